// Emergencies and stop-alls: started, ended and listed; what is on air and the as-run log.
#include "loa/server/schedule/schedule_api.hpp"
#include "schedule_json.hpp"
#include "unit_history.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
using schedules::Millis;
using namespace schedule_json; // NOLINT(google-build-using-namespace)

} // namespace

std::vector<ActiveOverride> ScheduleApi::active_overrides(const Scope& scope) {
    std::vector<ActiveOverride> out;
    for (const auto& o : value_or_throw(store_.active_overrides())) {
        bool visible = scope.all;
        for (const auto& c : o.channels)
            visible = visible || sees_channel(scope, c);
        if (!visible)
            continue;
        auto r = value_or_throw(store_.override_record(o.id));
        out.push_back(
            {o.id, o.kind, o.channels, iso_utc(r.started_at), r.started_by, r.program, o.priority});
    }
    return out;
}

json::value ScheduleApi::list_overrides(const Scope& scope) {
    return array_of(active_overrides(scope), override_json);
}

json::object override_json(const ActiveOverride& o) {
    json::object item{
        {"id", o.id},
        {"kind", schedules::to_string(o.kind)},
        {"channels", array_of(o.channels, [](const auto& c) { return json::value(c); })},
        {"started_at", o.started_at},
        {"started_by", o.started_by}};
    item["program"] = o.program ? json::value(*o.program) : json::value(nullptr);
    if (o.kind == schedules::Override::Kind::live)
        item["priority"] = schedules::to_string(o.priority);
    return item;
}

json::object ScheduleApi::on_air(const Scope& scope) {
    std::lock_guard lock(mutex_);
    return on_air_of(scope);
}

json::object ScheduleApi::on_air_of(const Scope& scope) {
    json::object on_air;
    for (const auto& [channel, key] : view_.on_air())
        if (sees_channel(scope, channel))
            on_air[channel] = key;
    return on_air;
}

json::value ScheduleApi::status(const Scope& scope) {
    auto on_air = on_air_of(scope);
    json::array receivers;
    for (const auto& r : view_.receivers())
        if (scope.all || sees_channel(scope, schedules::cluster_channel(r.id)))
            receivers.push_back(json::object{{"id", r.id},
                                             {"address", r.address},
                                             {"packets_sent", r.packets_sent},
                                             {"reports", r.reports},
                                             {"seconds_since_report", r.seconds_since_report},
                                             {"loss_percent", r.loss_percent},
                                             {"jitter_ms", r.jitter_ms}});
    return json::object{{"on_air", std::move(on_air)}, {"receivers", std::move(receivers)}};
}

json::value ScheduleApi::start_emergency(const Params& p, const std::string& caller,
                                         const Scope& scope,
                                         const std::optional<ProgramInput>& input) {
    schedules::OverrideRecord r;
    r.kind = schedules::Override::Kind::emergency;
    r.units = ids_of(p.strings("units"));
    r.receivers = p.strings("clusters");
    // Targets first: a refused emergency must not leave an approved program behind.
    if (r.units.empty() && r.receivers.empty())
        throw RpcError(rpc_code::kInvalidParams,
                       "an emergency needs a target: params.units and/or params.clusters");
    value_or_throw(store_.check_receivers(r.receivers));
    require(scope, r.units, r.receivers);
    if (auto program = p.optional_integer("program")) {
        auto stored = value_or_throw(store_.program(*program));
        require_read(scope, stored.unit);
        require_airable(stored);
        r.program = *program;
    } else {
        // A source given inline (text, file, URL or live input): an operator's emergency
        // needs no approval, the operator is the authority. What went out is kept as the
        // emergency's record, which no entry may schedule.
        auto province = value_or_throw(store_.units()).front().id;
        r.program =
            make_program(province, *input, p.optional_string("title").value_or("Khẩn cấp"), true);
        value_or_throw(store_.decide(*r.program, schedules::Approval::approved, caller));
    }
    r.started_at = now();
    r.started_by = caller;
    auto id = value_or_throw(store_.start_override(r));
    changed_();
    return json::object{{"override", id}, {"program", *r.program}};
}

void ScheduleApi::require_airable(const schedules::Program& program) {
    auto label = "program #" + std::to_string(program.id) + " \"" + program.title + "\"";
    if (program.approval == schedules::Approval::rejected)
        throw RpcError(rpc_code::kInvalidParams, label + " was rejected; it cannot go on air");
    auto owner = value_or_throw(store_.unit(program.unit));
    if (owner.approval_required && program.approval != schedules::Approval::approved &&
        !program.emergency_record)
        throw RpcError(rpc_code::kInvalidParams,
                       label + " is " + schedules::to_string(program.approval) + ": unit \"" +
                           owner.code + "\" requires approval before a program goes on air");
}

json::value ScheduleApi::start_stop_all(const Params& p, const std::string& caller,
                                        const Scope& scope) {
    schedules::OverrideRecord r;
    r.kind = schedules::Override::Kind::stop_all;
    r.units = ids_of(p.strings("units"));
    r.receivers = p.strings("clusters");
    require(scope, r.units, r.receivers);
    r.started_at = now();
    r.started_by = caller;
    auto id = value_or_throw(store_.start_override(r));
    changed_();
    return json::object{{"override", id}};
}

json::value ScheduleApi::end_override(const Params& p, const std::string& caller,
                                      schedules::Override::Kind kind, const Scope& scope) {
    auto id = p.integer("id");
    auto record = value_or_throw(store_.override_record(id));
    require(scope, record.units, record.receivers);
    if (record.kind != kind) {
        std::string how = record.kind == schedules::Override::Kind::emergency ? "emergency.stop"
                          : record.kind == schedules::Override::Kind::live    ? "live.stop"
                                                                              : "stop_all.release";
        throw RpcError(rpc_code::kInvalidParams, "override #" + std::to_string(id) + " is " +
                                                     schedules::to_string(record.kind) + "; use " +
                                                     how);
    }
    value_or_throw(store_.end_override(id, caller, now()));
    changed_();
    return json::object{{"ended", id}};
}

json::value ScheduleApi::list_as_run(const Params& p, const Scope& scope) {
    auto to = time_ms(p, "to_ms").value_or(now().time_since_epoch().count() + 1);
    auto from = time_ms(p, "from_ms").value_or(to - 24LL * 3600 * 1000);
    auto rows = value_or_throw(store_.as_run(Millis(std::chrono::milliseconds(from)),
                                             Millis(std::chrono::milliseconds(to))));
    UnitHistory history(store_);
    // One unit's rows: under any code it bore, its clusters' own, and with `predecessors`
    // those of the units merged into it.
    std::optional<std::set<std::string>> channels;
    if (auto code = p.optional_string("unit")) {
        auto unit = history.unit_of(*code);
        if (!unit)
            throw RpcError(rpc_code::kNotFound, "no unit bears or bore the code \"" + *code + "\"");
        require_read(scope, *unit);
        channels = history.codes_of(*unit, p.optional_boolean("predecessors").value_or(false));
        for (const auto& [cluster, its_unit] : cluster_units())
            if (its_unit == *unit)
                channels->insert(schedules::cluster_channel(cluster));
    }
    json::array out;
    std::map<std::string, bool> seen; // by channel: a day's rows name few channels
    for (const auto& row : rows) {
        auto sees = seen.find(row.channel);
        if (sees == seen.end())
            sees = seen.emplace(row.channel, sees_channel(scope, row.channel)).first;
        if ((channels && channels->count(row.channel) == 0) || !sees->second)
            continue;
        auto o = as_run_json(row);
        // The unit as it was named the day it aired (a unit keeping its code under a new name
        // shows its old name before that day).
        auto local = schedules::utc_to_local(
            std::chrono::floor<std::chrono::seconds>(row.started_at), settings_.time_zone);
        auto then = local ? history.at(row.channel, local->substr(0, 10)) : std::nullopt;
        o["unit"] = then ? json::value(json::object{{"code", then->code}, {"name", then->name}})
                         : json::value(nullptr);
        out.push_back(std::move(o));
    }
    return out;
}

std::vector<schedules::AsRunRecord> ScheduleApi::recent_as_run(schedules::Millis ended_after) {
    std::lock_guard lock(mutex_);
    return value_or_throw(store_.as_run_open_or_ended_after(ended_after));
}

void ScheduleApi::note_played(std::int64_t as_run, std::int64_t clusters,
                              std::optional<schedules::Millis> first,
                              std::optional<schedules::Millis> last) {
    std::lock_guard lock(mutex_);
    value_or_throw(store_.note_played(as_run, clusters, first, last));
}

} // namespace loa::server
