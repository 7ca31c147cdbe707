#include "loa/schedules/resolver.hpp"

#include "resolve_detail.hpp"

#include <algorithm>
#include <tuple>

namespace loa::schedules {
namespace {

/// True if `a` keeps a channel against `b`, both scheduled.
bool outranks(const Airing& a, const Airing& b) {
    return std::tuple(static_cast<int>(a.priority), -a.start.time_since_epoch().count(),
                      -a.entry.value_or(0)) > std::tuple(static_cast<int>(b.priority),
                                                         -b.start.time_since_epoch().count(),
                                                         -b.entry.value_or(0));
}

/// The occurrence of `e` whose window contains `t`, if any.
common::Result<std::optional<TimePoint>> active_start(const ScheduledEntry& e, TimePoint t) {
    if (e.duration <= std::chrono::seconds(0))
        return std::optional<TimePoint>();
    auto starts =
        occurrences(e.when, t - e.duration + std::chrono::seconds(1), t + std::chrono::seconds(1));
    if (!starts)
        return starts.error();
    if (starts->empty())
        return std::optional<TimePoint>();
    return std::optional<TimePoint>(starts->back());
}

/// The order in which overrides are laid over the schedule: the later laid wins.
int override_rank(const Override& o) {
    switch (o.kind) {
    case Override::Kind::live:
        return o.priority == PriorityClass::emergency ? 3 : static_cast<int>(o.priority);
    case Override::Kind::stop_all:
        return 2;
    case Override::Kind::emergency:
        return 3;
    }
    return 3;
}

} // namespace

void place_scheduled(std::map<std::string, Airing>& out, const ScheduledEntry& e, TimePoint start) {
    Airing a{e.program, e.priority, e.id, std::nullopt, start, start + e.duration};
    for (const auto& channel : e.channels) {
        auto it = out.find(channel);
        if (it == out.end() || outranks(a, it->second))
            out[channel] = a;
    }
}

void apply_overrides(std::map<std::string, Airing>& out, const std::vector<Override>& overrides,
                     TimePoint t) {
    // Overrides decide over the schedule: laid in rank order, so an emergency plays over a
    // stop-all and a stop-all over a live normal broadcast; among overrides of one rank the
    // latest started decides.
    std::vector<const Override*> active;
    for (const auto& o : overrides)
        if (o.started <= t)
            active.push_back(&o);
    std::sort(active.begin(), active.end(), [](const Override* a, const Override* b) {
        return std::tuple(override_rank(*a), a->started, a->id) <
               std::tuple(override_rank(*b), b->started, b->id);
    });
    for (const Override* o : active) {
        Airing a;
        a.priority = o->kind == Override::Kind::live ? o->priority : PriorityClass::emergency;
        a.override = o->id;
        a.start = o->started;
        if (o->kind != Override::Kind::stop_all)
            a.program = o->program;
        for (const auto& channel : o->channels) {
            // A live broadcast below the emergency class leaves a scheduled airing of a higher
            // class where it is.
            auto it = out.find(channel);
            if (o->kind == Override::Kind::live && a.priority != PriorityClass::emergency &&
                it != out.end() && !it->second.override && it->second.priority > a.priority)
                continue;
            out[channel] = a;
        }
    }
}

common::Result<std::map<std::string, Airing>> resolve(const std::vector<ScheduledEntry>& entries,
                                                      const std::vector<Override>& overrides,
                                                      TimePoint t,
                                                      const std::set<Occurrence>& finished) {
    std::map<std::string, Airing> out;
    for (const auto& e : entries) {
        auto start = active_start(e, t);
        if (!start)
            return start.error();
        if (!*start || finished.count({e.id, **start}) != 0)
            continue;
        place_scheduled(out, e, **start);
    }
    apply_overrides(out, overrides, t);
    return out;
}

common::Result<std::optional<TimePoint>> next_boundary(const std::vector<ScheduledEntry>& entries,
                                                       TimePoint t, TimePoint horizon) {
    std::optional<TimePoint> best;
    auto consider = [&](TimePoint at) {
        if (at > t && at <= horizon && (!best || at < *best))
            best = at;
    };
    for (const auto& e : entries) {
        // An occurrence that started before t may end after it; one more may start before horizon.
        auto starts = occurrences(e.when, t - e.duration, horizon + std::chrono::seconds(1));
        if (!starts)
            return starts.error();
        for (auto s : *starts) {
            consider(s);
            consider(s + e.duration);
        }
    }
    return best;
}

} // namespace loa::schedules
