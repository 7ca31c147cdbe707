#include "loa/schedules/timeline.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "resolve_detail.hpp"

namespace loa::schedules {

common::Result<Timeline> Timeline::build(std::vector<ScheduledEntry> entries, TimePoint from,
                                         TimePoint to) {
    Timeline t;
    t.entries_ = std::move(entries);
    t.from_ = from;
    t.to_ = to;
    for (std::size_t i = 0; i < t.entries_.size(); ++i) {
        const auto& e = t.entries_[i];
        if (e.duration <= std::chrono::seconds(0))
            continue;
        t.longest_ = std::max(t.longest_, e.duration);
        // Occurrences that started before `from` may still be on at `from`.
        auto starts = occurrences(e.when, from - e.duration + std::chrono::seconds(1), to,
                                  std::numeric_limits<std::size_t>::max());
        if (!starts)
            return starts.error();
        for (auto s : *starts) {
            t.windows_.push_back({i, s, s + e.duration});
            t.boundaries_.push_back(s);
            t.boundaries_.push_back(s + e.duration);
        }
    }
    std::stable_sort(t.windows_.begin(), t.windows_.end(),
                     [](const Window& a, const Window& b) { return a.start < b.start; });
    std::sort(t.boundaries_.begin(), t.boundaries_.end());
    t.boundaries_.erase(std::unique(t.boundaries_.begin(), t.boundaries_.end()),
                        t.boundaries_.end());
    return t;
}

std::map<std::string, Airing> Timeline::resolve(const std::vector<Override>& overrides, TimePoint t,
                                                const std::set<Occurrence>& finished) const {
    // The windows that can contain t started in (t - longest, t]; of each entry, the latest.
    auto first =
        std::lower_bound(windows_.begin(), windows_.end(), t - longest_ + std::chrono::seconds(1),
                         [](const Window& w, TimePoint at) { return w.start < at; });
    std::map<std::size_t, TimePoint> latest;
    for (auto it = first; it != windows_.end() && it->start <= t; ++it)
        if (it->end > t)
            latest[it->entry] = it->start;
    std::map<std::string, Airing> out;
    for (const auto& [entry, start] : latest) {
        const auto& e = entries_[entry];
        if (finished.count({e.id, start}) == 0)
            place_scheduled(out, e, start);
    }
    apply_overrides(out, overrides, t);
    return out;
}

std::optional<TimePoint> Timeline::next_boundary(TimePoint t, TimePoint horizon) const {
    auto it = std::upper_bound(boundaries_.begin(), boundaries_.end(), t);
    if (it == boundaries_.end() || *it > std::min(horizon, to_))
        return std::nullopt;
    return *it;
}

} // namespace loa::schedules
