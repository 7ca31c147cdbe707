// alarms.*: what the supervisor found, as far as the caller's units reach.
#include "loa/server/api/gateway.hpp"

namespace loa::server {

namespace json = boost::json;

namespace {

/// The filter of alarms.list and alarms.history: {unit?, kind?, severity?} within `scope`.
AlarmFilter filter_of(const Params& p, const Scope& scope, ScheduleApi& schedule) {
    AlarmFilter f;
    if (auto kind = p.optional_string("kind")) {
        f.kind = parse_alarm_kind(*kind);
        if (!f.kind)
            throw RpcError(rpc_code::kInvalidParams,
                           "params.kind: \"" + *kind +
                               "\" is not an alarm kind (docs/supervision.md)");
    }
    if (auto severity = p.optional_string("severity")) {
        f.severity = parse_severity(*severity);
        if (!f.severity)
            throw RpcError(rpc_code::kInvalidParams,
                           "params.severity: expected critical, major, minor or warning");
    }
    if (!scope.all)
        f.units = scope.units;
    if (auto unit = p.optional_string("unit")) {
        auto within = schedule.scope_of(schedule.unit_ids({*unit})).units;
        if (f.units)
            std::erase_if(within, [&](std::int64_t u) { return !f.units->contains(u); });
        f.units = std::move(within);
    }
    return f;
}

} // namespace

json::array ApiGateway::alarms_json(const std::vector<Alarm>& alarms) {
    std::map<std::int64_t, std::string> code_of;
    for (const auto& a : alarms)
        if (a.fault.unit && !code_of.contains(*a.fault.unit)) {
            auto codes = schedule_.unit_codes({*a.fault.unit});
            code_of[*a.fault.unit] = codes.empty() ? std::string() : codes.front();
        }
    json::array out;
    for (const auto& a : alarms)
        out.push_back(alarm_json(a, a.fault.unit ? code_of[*a.fault.unit] : std::string()));
    return out;
}

json::value ApiGateway::list_alarms(const Params& p, const Caller& caller) {
    return alarms_json(alarms_.active(filter_of(p, caller.scope, schedule_)));
}

json::value ApiGateway::alarm_history(const Params& p, const Caller& caller) {
    auto f = filter_of(p, caller.scope, schedule_);
    if (auto from = p.optional_integer("from_ms"))
        f.from = schedules::Millis(std::chrono::milliseconds(*from));
    if (auto to = p.optional_integer("to_ms"))
        f.to = schedules::Millis(std::chrono::milliseconds(*to));
    if (auto limit = p.optional_integer("limit")) {
        if (*limit < 1 || *limit > 10000)
            throw RpcError(rpc_code::kInvalidParams, "params.limit: expected 1 to 10000");
        f.limit = static_cast<std::size_t>(*limit);
    }
    return alarms_json(value_or_throw(alarms_.history(f)));
}

void ApiGateway::require_alarm(const Caller& caller, std::int64_t id) {
    auto alarm = value_or_throw(alarms_.find(id));
    if (!caller.scope.all && (!alarm.fault.unit || !caller.scope.may_change(*alarm.fault.unit)))
        throw RpcError(rpc_code::kUnauthorized,
                       "alarm #" + std::to_string(id) + " is outside the units you act for");
}

json::value ApiGateway::acknowledge_alarm(const Params& p, const Caller& caller) {
    auto id = p.integer("id");
    return alarms_json({value_or_throw(alarms_.acknowledge(id, caller.name()))}).front();
}

} // namespace loa::server
