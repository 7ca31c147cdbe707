// Live broadcasts in the schedule: the override and program of a speaker going live, their end,
// and the recording kept as the program afterwards (the WebRTC side is server/live/).
#include "loa/server/schedule/schedule_api.hpp"
#include "schedule_json.hpp"

#include <algorithm>

namespace loa::server {

LiveStart ScheduleApi::start_live(const Params& p, const std::string& caller, const Scope& scope,
                                  bool save) {
    schedules::OverrideRecord r;
    r.kind = schedules::Override::Kind::live;
    r.units = ids_of(p.strings("units"));
    r.receivers = p.strings("clusters");
    if (r.units.empty() && r.receivers.empty())
        throw RpcError(rpc_code::kInvalidParams,
                       "a live broadcast needs a target: params.units and/or params.clusters");
    auto priority_name = p.optional_string("priority").value_or("normal");
    auto priority = schedules::parse_priority(priority_name);
    if (!priority)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.priority: \"" + priority_name +
                           "\" is not a class; expected normal, priority or emergency");
    r.priority = *priority;
    value_or_throw(store_.check_receivers(r.receivers));
    require(scope, r.units, r.receivers);
    // Who speaks where first: it says whom to ask.
    value_or_throw(store_.check_one_speaker(r));
    auto start = now();
    if (r.priority != schedules::PriorityClass::emergency)
        value_or_throw(store_.check_quiet_now(r.units, r.receivers,
                                              std::chrono::floor<std::chrono::seconds>(start),
                                              settings_.time_zone));
    auto title = p.optional_string("title").value_or("");
    if (title.size() > 200)
        throw RpcError(rpc_code::kInvalidParams, "params.title: at most 200 bytes");
    LiveStart out;
    out.priority = r.priority;
    out.units = r.units;
    out.clusters = r.receivers;
    if (!save)
        return out;
    // The program is the broadcast's record: while it is on, the speaker's voice; afterwards
    // the recording. It airs as this broadcast only until then.
    auto unit = !r.units.empty() ? r.units.front() : cluster_units().at(r.receivers.front());
    ProgramInput voice;
    voice.kind = schedules::ProgramKind::live;
    voice.source = std::string(kLiveVoicePrefix) + caller;
    if (title.empty()) {
        auto local = schedules::utc_to_local(std::chrono::floor<std::chrono::seconds>(start),
                                             settings_.time_zone);
        title = "Phát trực tiếp";
        if (local)
            title.append(" ").append(local->substr(0, 10)).append(" ").append(local->substr(11, 5));
    }
    r.program = make_program(unit, voice, title, true);
    r.started_at = start;
    r.started_by = caller;
    out.override_id = value_or_throw(store_.start_override(r));
    out.program = *r.program;
    out.channels = value_or_throw(store_.active_overrides()).back().channels;
    changed_();
    return out;
}

bool ScheduleApi::may_change_all(const Scope& scope, const std::vector<std::int64_t>& units,
                                 const std::vector<std::string>& clusters) {
    return all_within(scope, units, clusters, [&](std::int64_t u) { return scope.may_change(u); });
}

bool ScheduleApi::may_read_all(const Scope& scope, const std::vector<std::int64_t>& units,
                               const std::vector<std::string>& clusters) {
    return all_within(scope, units, clusters, [&](std::int64_t u) { return scope.may_read(u); });
}

bool ScheduleApi::all_within(const Scope& scope, const std::vector<std::int64_t>& units,
                             const std::vector<std::string>& clusters,
                             const std::function<bool(std::int64_t)>& allowed) {
    if (scope.all)
        return true;
    auto of_cluster = [&] {
        std::lock_guard lock(mutex_);
        return cluster_units();
    }();
    return std::all_of(units.begin(), units.end(), allowed) &&
           std::all_of(clusters.begin(), clusters.end(), [&](const std::string& c) {
               auto it = of_cluster.find(c);
               return it != of_cluster.end() && allowed(it->second);
           });
}

bool ScheduleApi::end_live(std::int64_t id, const std::string& who) {
    std::lock_guard lock(mutex_);
    auto record = value_or_throw(store_.override_record(id));
    if (record.ended_at)
        return false;
    value_or_throw(store_.end_override(id, who, now()));
    changed_();
    return true;
}

bool ScheduleApi::override_active(std::int64_t id) {
    std::lock_guard lock(mutex_);
    auto record = store_.override_record(id);
    return record && !record->ended_at;
}

void ScheduleApi::keep_recording(std::int64_t program, const std::string& media,
                                 std::chrono::milliseconds duration, const std::string& source) {
    std::lock_guard lock(mutex_);
    value_or_throw(store_.keep_recording(program, media, duration, source));
}

std::vector<schedules::OverrideRecord> ScheduleApi::end_stale_lives(const std::string& who) {
    std::lock_guard lock(mutex_);
    std::vector<schedules::OverrideRecord> ended;
    for (const auto& o : value_or_throw(store_.active_overrides()))
        if (o.kind == schedules::Override::Kind::live) {
            ended.push_back(value_or_throw(store_.override_record(o.id)));
            value_or_throw(store_.end_override(o.id, who, now()));
        }
    if (!ended.empty())
        changed_();
    return ended;
}

} // namespace loa::server
