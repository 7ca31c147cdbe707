#include "loa/schedules/engine.hpp"

#include <algorithm>

#include "loa/common/logging.hpp"

namespace loa::schedules {
namespace {

using namespace std::chrono_literals;

auto log() {
    static auto logger = common::logger("engine");
    return logger;
}

/// How strongly an airing holds a channel, for the rule of single clusters.
int rank(const Airing& a) {
    if (a.override)
        return a.program ? 4 : 3; // an operator's emergency, then a stop-all
    return static_cast<int>(a.priority);
}

std::string key_of(const Airing& a) {
    if (a.override)
        return "o" + std::to_string(*a.override);
    return "e" + std::to_string(a.entry.value_or(0)) + "@" +
           std::to_string(a.start.time_since_epoch().count());
}

/// An interrupted airing resumed less than this after its start plays from its beginning.
constexpr auto kLateStart = 500ms;
/// Finished occurrences are forgotten once they are this old.
constexpr auto kForgetFinished = std::chrono::days(8);
/// How far ahead the next boundary is looked for.
constexpr auto kLookAhead = std::chrono::days(1);

} // namespace

Engine::Engine(ScheduleStore& store, Air& air, const common::Clock& clock, EngineSettings settings)
    : store_(store), air_(air), clock_(clock), settings_(settings) {
    // A heartbeat of nothing would wake the engine at once, again and again, while anything is
    // on air (a write to the database each time).
    settings_.heartbeat = std::max(settings_.heartbeat, kMinHeartbeat);
}

common::Result<void> Engine::start() {
    auto now = std::chrono::floor<std::chrono::seconds>(clock_.system_now());
    auto cut = store_.cut_occurrences(now - kForgetFinished);
    if (!cut)
        return cut.error();
    interrupted_ = std::set<Occurrence>(cut->begin(), cut->end());
    auto closed = store_.close_interrupted();
    if (!closed)
        return closed.error();
    if (*closed > 0)
        log()->warn("{} airing(s) were cut short by the last stop; closed as interrupted", *closed);
    if (auto loaded = reload(); !loaded)
        return loaded;
    return tick();
}

void Engine::schedule_changed() {
    std::lock_guard lock(inbox_mutex_);
    reload_wanted_ = true;
}

void Engine::instance_ended(const std::string& key, bool failed) {
    std::lock_guard lock(inbox_mutex_);
    ended_.emplace_back(key, failed);
}

common::Result<void> Engine::reload() {
    auto entries = store_.scheduled_entries();
    if (!entries)
        return entries.error();
    auto overrides = store_.active_overrides();
    if (!overrides)
        return overrides.error();
    auto clusters = store_.clusters();
    if (!clusters)
        return clusters.error();
    auto units = store_.units();
    if (!units)
        return units.error();
    entries_ = std::move(*entries);
    overrides_ = std::move(*overrides);
    timeline_.reset();
    std::map<std::int64_t, std::string> codes;
    for (const auto& u : *units)
        codes[u.id] = u.code;
    home_of_.clear();
    for (const auto& c : *clusters)
        home_of_[cluster_channel(c.id)] = codes[c.unit];
    // An entry deleted and another saved with the same id must not inherit its past.
    std::set<std::int64_t> ids;
    for (const auto& e : entries_)
        ids.insert(e.id);
    for (auto it = finished_.begin(); it != finished_.end();)
        it = ids.count(it->first) == 0 ? finished_.erase(it) : std::next(it);
    return {};
}

common::Result<void> Engine::ensure_timeline(TimePoint t) {
    if (timeline_ && timeline_->covers(t) && t + kLookAhead < timeline_->horizon_end())
        return {};
    auto built = Timeline::build(entries_, t, t + 2 * kLookAhead);
    if (!built)
        return built.error();
    timeline_ = std::move(*built);
    return {};
}

common::Result<std::map<std::string, Airing>> Engine::effective(TimePoint t) {
    if (auto ready = ensure_timeline(t); !ready)
        return ready.error();
    std::vector<Override> overrides;
    for (const auto& o : overrides_)
        if (finished_overrides_.count(o.id) == 0)
            overrides.push_back(o);
    auto airings = timeline_->resolve(overrides, t, finished_);
    for (auto it = airings.begin(); it != airings.end();) {
        auto home = home_of_.find(it->first);
        if (home != home_of_.end()) {
            auto at_home = airings.find(home->second);
            if (at_home != airings.end() && rank(at_home->second) > rank(it->second)) {
                it = airings.erase(it);
                continue;
            }
        }
        ++it;
    }
    return airings;
}

Instance Engine::instance_of(const Airing& a) const {
    Instance i;
    i.key = key_of(a);
    i.program = a.program.value_or(0);
    i.priority = a.priority;
    i.entry = a.entry;
    i.override_id = a.override;
    i.start = a.start;
    i.end = a.end;
    return i;
}

common::Result<void> Engine::tick() {
    auto now = std::chrono::floor<std::chrono::milliseconds>(clock_.system_now());
    if (auto taken = take_reports(now); !taken)
        return taken;
    auto t = std::chrono::floor<std::chrono::seconds>(now);
    auto airings = effective(t);
    if (!airings)
        return airings.error();

    std::set<std::string> channels;
    for (const auto& [channel, segment] : segments_)
        channels.insert(channel);
    for (const auto& [channel, airing] : *airings)
        if (airing.program)
            channels.insert(channel);
    for (const auto& channel : channels) {
        auto wanted = airings->find(channel);
        std::optional<Instance> next;
        if (wanted != airings->end() && wanted->second.program)
            next = instance_of(wanted->second);
        auto current = segments_.find(channel);
        std::string current_key = current == segments_.end() ? "" : current->second.key;
        if ((next ? next->key : "") == current_key)
            continue;
        if (auto changed = change(channel, next ? &*next : nullptr, now, *airings); !changed)
            return changed;
    }
    // Single clusters under a stop-all hear nothing, whatever their unit plays.
    std::set<std::string> silence;
    for (const auto& [channel, airing] : *airings)
        if (!airing.program && home_of_.count(channel) != 0)
            silence.insert(channel);
    for (const auto& channel : silence)
        if (silenced_.count(channel) == 0)
            air_.silence(channel);
    for (const auto& channel : silenced_)
        if (silence.count(channel) == 0 && segments_.count(channel) == 0)
            air_.assign(channel, nullptr); // back to its unit's channel
    silenced_ = std::move(silence);
    if (auto prepared = prepare_upcoming(now); !prepared)
        return prepared;
    release_unused(t);
    for (auto it = finished_.begin(); it != finished_.end();)
        it = it->second + kForgetFinished < t ? finished_.erase(it) : std::next(it);
    if (!segments_.empty() && now - last_beat_ >= settings_.heartbeat) {
        if (auto beaten = store_.beat(now); !beaten)
            return beaten;
        for (const auto& [channel, segment] : segments_)
            if (segment.reached)
                if (auto noted = store_.note_reach(segment.as_run, segment.reached()); !noted)
                    return noted;
        last_beat_ = now;
    }
    return plan_wakeup(now);
}

common::Result<void> Engine::change(const std::string& channel, const Instance* next, Millis now,
                                    const std::map<std::string, Airing>& airings) {
    // The air first: it is what listeners hear; the log follows.
    if (next != nullptr) {
        auto [it, added] = live_.try_emplace(next->key, Live{*next, false});
        prepare(it->second.instance, now);
        air_.assign(channel, &it->second.instance);
    } else {
        air_.assign(channel, nullptr);
    }

    if (auto current = segments_.find(channel); current != segments_.end()) {
        auto outcome = outcome_of(current->second, now);
        auto playing = airings.find(channel);
        if (outcome == Outcome::preempted && playing != airings.end() && !playing->second.program)
            outcome = Outcome::stopped; // a stop-all
        auto reached = current->second.reached ? current->second.reached() : 0;
        if (auto closed = store_.close_as_run(current->second.as_run, now, reached, outcome);
            !closed)
            log()->error("as-run: {}", closed.error().message);
        log()->info("{}: {} ended ({})", channel, current->second.key, to_string(outcome));
        segments_.erase(current);
    }
    if (next == nullptr)
        return {};

    AsRunRecord row;
    row.program = next->program;
    row.entry = next->entry;
    row.override_id = next->override_id;
    row.priority = next->priority;
    row.channel = channel;
    if (next->entry)
        row.scheduled_at = next->start;
    row.started_at = now;
    auto id = store_.open_as_run(row);
    if (!id)
        return id.error();
    segments_[channel] = Segment{next->key, *id, air_.count_reached(channel)};
    log()->info("{}: {} on air (program #{}, {})", channel, next->key, next->program,
                to_string(next->priority));
    return {};
}

Outcome Engine::outcome_of(const Segment& segment, Millis now) const {
    if (failed_.count(segment.key) != 0)
        return Outcome::failed;
    auto live = live_.find(segment.key);
    if (live == live_.end())
        return Outcome::stopped;
    const Instance& i = live->second.instance;
    if (i.entry) {
        if (finished_.count({*i.entry, i.start}) != 0 || (i.end && *i.end <= now))
            return Outcome::completed;
        return has_entry(*i.entry) ? Outcome::preempted : Outcome::stopped;
    }
    if (i.override_id) {
        if (finished_overrides_.count(*i.override_id) != 0)
            return Outcome::completed;
        return has_override(*i.override_id) ? Outcome::preempted : Outcome::stopped;
    }
    return Outcome::stopped;
}

bool Engine::has_entry(std::int64_t id) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const ScheduledEntry& e) { return e.id == id; });
}

bool Engine::has_override(std::int64_t id) const {
    return std::any_of(overrides_.begin(), overrides_.end(),
                       [&](const Override& o) { return o.id == id; });
}

void Engine::prepare(const Instance& instance, Millis now) {
    auto& live = live_.try_emplace(instance.key, Live{instance, false}).first->second;
    if (live.prepared)
        return;
    // Only an airing cut by the last stop resumes mid-way: anything else starts at its
    // beginning, even late (a file preempted from its start plays all of it, its end cut by
    // its window), so nothing is skipped.
    std::chrono::milliseconds offset{0};
    if (instance.entry && interrupted_.count({*instance.entry, instance.start}) != 0 &&
        now - instance.start > kLateStart)
        offset = std::chrono::duration_cast<std::chrono::milliseconds>(now - instance.start);
    if (offset > 0ms)
        log()->info("{}: resuming program #{} {} ms in", instance.key, instance.program,
                    offset.count());
    air_.prepare(instance, offset);
    live.prepared = true;
}

common::Result<void> Engine::prepare_upcoming(Millis now) {
    auto horizon = std::chrono::floor<std::chrono::seconds>(now + settings_.lead);
    auto at = std::chrono::floor<std::chrono::seconds>(now);
    for (int i = 0; i < 16; ++i) { // boundaries within the lead: a handful at most
        if (auto ready = ensure_timeline(at); !ready)
            return ready;
        auto next = timeline_->next_boundary(at, horizon);
        if (!next)
            return {};
        auto airings = effective(*next);
        if (!airings)
            return airings.error();
        for (const auto& [channel, airing] : *airings)
            if (airing.program && airing.entry && airing.start == *next)
                prepare(instance_of(airing), Millis(airing.start));
        at = *next;
    }
    return {};
}

void Engine::release_unused(TimePoint t) {
    std::set<std::string> in_use;
    for (const auto& [channel, segment] : segments_)
        in_use.insert(segment.key);
    auto horizon = t + settings_.lead + 1s;
    for (auto it = live_.begin(); it != live_.end();) {
        const Instance& i = it->second.instance;
        bool keep = in_use.count(i.key) != 0;
        if (!keep && i.entry) {
            keep = has_entry(*i.entry) && finished_.count({*i.entry, i.start}) == 0 && i.end &&
                   *i.end > t && i.start <= horizon;
        } else if (!keep && i.override_id) {
            keep = finished_overrides_.count(*i.override_id) == 0 && has_override(*i.override_id);
        }
        if (keep) {
            ++it;
            continue;
        }
        if (it->second.prepared)
            air_.release(i.key);
        it = live_.erase(it);
    }
}

common::Result<void> Engine::take_reports(Millis now) {
    bool reload_wanted = false;
    std::vector<std::pair<std::string, bool>> ended;
    {
        std::lock_guard lock(inbox_mutex_);
        std::swap(reload_wanted, reload_wanted_);
        ended.swap(ended_);
    }
    for (const auto& [key, failed] : ended) {
        auto live = live_.find(key);
        if (live == live_.end())
            continue;
        const Instance& i = live->second.instance;
        if (failed)
            failed_.insert(key);
        if (i.entry) {
            finished_.insert({*i.entry, i.start});
        } else if (i.override_id) {
            finished_overrides_.insert(*i.override_id);
            // An emergency whose program has played to its end hands back by itself.
            if (auto ended_now = store_.end_override(*i.override_id, "loa (program ended)", now);
                !ended_now)
                log()->warn("override #{}: {}", *i.override_id, ended_now.error().message);
        }
        log()->info("{}: program #{} {}", key, i.program, failed ? "failed" : "played to its end");
    }
    if (reload_wanted)
        return reload();
    return {};
}

common::Result<void> Engine::plan_wakeup(Millis now) {
    auto t = std::chrono::floor<std::chrono::seconds>(now);
    // While something is on air the heartbeat keeps the end of a crash's rows close.
    Millis wake = segments_.empty() ? now + kLookAhead : now + settings_.heartbeat;
    if (auto ready = ensure_timeline(t); !ready)
        return ready;
    if (auto next = timeline_->next_boundary(t, t + kLookAhead)) {
        Millis boundary(*next);
        Millis early = boundary - settings_.lead;
        wake = std::min(wake, early > now ? early : boundary);
    }
    next_wakeup_ = wake;
    return {};
}

void Engine::stop() {
    auto now = std::chrono::floor<std::chrono::milliseconds>(clock_.system_now());
    for (auto& [channel, segment] : segments_) {
        auto reached = segment.reached ? segment.reached() : 0;
        if (auto closed = store_.close_as_run(segment.as_run, now, reached, Outcome::interrupted);
            !closed)
            log()->error("as-run: {}", closed.error().message);
    }
    segments_.clear();
    for (const auto& [key, live] : live_)
        if (live.prepared)
            air_.release(key);
    live_.clear();
}

std::map<std::string, std::string> Engine::on_air() const {
    std::map<std::string, std::string> out;
    for (const auto& [channel, segment] : segments_)
        out[channel] = segment.key;
    return out;
}

std::optional<Instance> Engine::instance(const std::string& key) const {
    auto it = live_.find(key);
    if (it == live_.end())
        return std::nullopt;
    return it->second.instance;
}

} // namespace loa::schedules
