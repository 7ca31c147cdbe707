// The national list of administrative units imported into the province's units: previewed
// (a dry run), then applied from a date, all or nothing; new units get their channels.
#include <algorithm>

#include "loa/schedules/unit_list.hpp"
#include "loa/server/schedule/schedule_api.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

/// The largest list taken (the whole country is about 3,400 units, some 200 kB); an API
/// message is at most 1 MiB anyway.
constexpr std::size_t kMaxListBytes = 1U << 20U;

json::object plan_json(const schedules::UnitListPlan& plan, bool dry_run) {
    json::array changes;
    for (const auto& c : plan.changes) {
        json::object o{{"kind", schedules::to_string(c.kind)}, {"code", c.code}, {"name", c.name}};
        if (c.kind == schedules::UnitListChange::Kind::rename)
            o["old_name"] = c.old_name;
        if (c.line > 0)
            o["line"] = c.line;
        changes.push_back(std::move(o));
    }
    json::array problems;
    for (const auto& p : plan.problems)
        problems.emplace_back(p);
    return {{"changes", std::move(changes)},
            {"unchanged", plan.unchanged},
            {"other_provinces", plan.other_provinces},
            {"problems", std::move(problems)},
            {"dry_run", dry_run}};
}

} // namespace

json::value ScheduleApi::import_units(const Params& p, const Scope& scope) {
    if (!scope.all)
        throw RpcError(rpc_code::kUnauthorized,
                       "importing the list of units is for province admins");
    if (!settings_.province)
        throw RpcError(rpc_code::kInvalidParams,
                       "this server has no province in its configuration to import units into");
    auto csv = p.string("csv");
    if (csv.size() > kMaxListBytes)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.csv: a list of more than 1 MiB is not one province's");
    auto date = effective_date(p, "a list");
    bool dry_run = p.optional_boolean("dry_run").value_or(false);
    auto list = schedules::read_official_list(csv);
    auto province = settings_.province->province.code;
    // A dry run first: nothing is changed while the list has problems.
    auto plan = value_or_throw(store_.apply_unit_list(list, province, date, false));
    for (const auto& c : plan.changes)
        if (c.kind == schedules::UnitListChange::Kind::add)
            if (auto unkeyed = unkeyed_channel(c.code); !unkeyed.empty())
                plan.problems.push_back(unkeyed);
    if (dry_run)
        return plan_json(plan, true);
    if (!plan.problems.empty()) {
        std::string first;
        for (std::size_t i = 0; i < plan.problems.size() && i < 3; ++i)
            first += (i ? "; " : "") + plan.problems[i];
        throw RpcError(rpc_code::kInvalidParams, "the list cannot be applied as it is (" +
                                                     std::to_string(plan.problems.size()) +
                                                     " problem(s); a dry run lists " +
                                                     "them all): " + first);
    }
    plan = value_or_throw(store_.apply_unit_list(list, province, date, true));
    UnitsChanged changed;
    for (const auto& c : plan.changes)
        if (c.kind == schedules::UnitListChange::Kind::add)
            changed.added.push_back(c.code);
    changed_();
    if (units_changed_)
        units_changed_(changed);
    return plan_json(plan, false);
}

} // namespace loa::server
