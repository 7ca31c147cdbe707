// Units through reorganisations: listed with the names they bore, renamed, traced back
// through what they were made of and found by any of their names.
#include <algorithm>
#include <set>

#include "loa/schedules/search_text.hpp"
#include "loa/server/schedule/schedule_api.hpp"
#include "schedule_json.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
using namespace schedule_json; // NOLINT(google-build-using-namespace)

constexpr std::size_t kMaxSearchText = 100;
constexpr std::size_t kMaxFound = 50;

json::object name_json(const schedules::UnitName& n) {
    json::object o{{"code", n.code}, {"name", n.name}, {"valid_from", n.valid_from}};
    o["valid_to"] = n.valid_to ? json::value(*n.valid_to) : json::value(nullptr);
    return o;
}

json::array names_json(const std::vector<schedules::UnitName>& names) {
    return array_of(names, name_json);
}

/// A unit as units.list shows it: with the names it bore before its current one.
json::object listed_unit(const schedules::Unit& u,
                         const std::map<std::int64_t, std::vector<schedules::UnitName>>& former) {
    auto o = unit_json(u);
    auto it = former.find(u.id);
    o["former_names"] = it == former.end() ? json::array{} : names_json(it->second);
    return o;
}

} // namespace

std::string ScheduleApi::local_today() {
    return value_or_throw(schedules::utc_to_local(std::chrono::floor<std::chrono::seconds>(now()),
                                                  settings_.time_zone))
        .substr(0, 10);
}

std::string ScheduleApi::effective_date(const Params& p, const std::string& what) {
    auto date = p.optional_string("date").value_or(local_today());
    if (auto valid = schedules::local_to_utc(date + "T00:00:00", settings_.time_zone);
        !valid || date.size() != 10)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.date: expected a date YYYY-MM-DD, got \"" + date + "\"");
    auto today = local_today();
    if (date > today)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.date: " + what + " takes effect on a day up to today (" + today +
                           "), not on " + date + "; make it on that day");
    return date;
}

json::value ScheduleApi::list_units() {
    auto former = value_or_throw(store_.former_unit_names());
    json::array out;
    for (const auto& u : value_or_throw(store_.units()))
        out.push_back(listed_unit(u, former));
    return out;
}

json::value ScheduleApi::rename_unit(const Params& p, const Scope& scope) {
    if (!scope.all)
        throw RpcError(rpc_code::kUnauthorized, "renaming units is for province admins");
    auto id = unit_id(p.string("unit"));
    auto date = effective_date(p, "a rename");
    value_or_throw(store_.rename_unit(id, p.string("name"), date));
    changed_();
    return listed_unit(value_or_throw(store_.unit(id)), value_or_throw(store_.former_unit_names()));
}

std::string ScheduleApi::unkeyed_channel(const std::string& code) const {
    if (settings_.key_mode != KeyMode::group ||
        std::any_of(settings_.channels.begin(), settings_.channels.end(),
                    [&](const ChannelSettings& c) { return c.id == code && !c.group_key.empty(); }))
        return "";
    return "unit " + code +
           ": in group key mode each unit's channel needs its key in the configuration "
           "(\"channels\"); add it there first";
}

json::value ScheduleApi::recode_unit(const Params& p, const Scope& scope) {
    if (!scope.all)
        throw RpcError(rpc_code::kUnauthorized, "changing a unit's code is for province admins");
    auto id = unit_id(p.string("unit"));
    auto date = effective_date(p, "a change of code");
    auto code = p.string("code");
    if (auto unkeyed = unkeyed_channel(code); !unkeyed.empty())
        throw RpcError(rpc_code::kInvalidParams, unkeyed);
    value_or_throw(store_.recode_unit(id, code, date));
    // Its receivers go over to the channel of the new code.
    UnitsChanged changed{{code}, {}, id, {}, std::nullopt, {}};
    for (const auto& c : value_or_throw(store_.clusters()))
        if (c.unit == id)
            changed.clusters.push_back(c.id);
    changed_();
    if (units_changed_)
        units_changed_(changed);
    return listed_unit(value_or_throw(store_.unit(id)), value_or_throw(store_.former_unit_names()));
}

json::object ScheduleApi::lineage_of(const schedules::Unit& u,
                                     const std::vector<schedules::Unit>& all,
                                     std::set<std::int64_t>& seen) {
    json::object o{{"unit", unit_json(u)},
                   {"names", names_json(value_or_throw(store_.unit_names(u.id)))}};
    json::array predecessors;
    for (const auto& before : all)
        if (before.merged_into == u.id && seen.insert(before.id).second) {
            auto p = lineage_of(before, all, seen);
            p["merged_on"] = before.valid_to ? json::value(*before.valid_to) : json::value(nullptr);
            predecessors.push_back(std::move(p));
        }
    o["predecessors"] = std::move(predecessors);
    return o;
}

json::value ScheduleApi::unit_lineage(const Params& p) {
    auto u = value_or_throw(store_.unit(unit_id(p.string("unit"))));
    auto all = value_or_throw(store_.units());
    std::set<std::int64_t> seen{u.id};
    auto out = lineage_of(u, all, seen);
    // What it became: the units it was merged into, up to the one that lives on.
    json::array became;
    for (auto at = u; at.merged_into && seen.insert(*at.merged_into).second;) {
        auto merged_on = at.valid_to;
        at = value_or_throw(store_.unit(*at.merged_into));
        json::object step{{"code", at.code}, {"name", at.name}};
        step["merged_on"] = merged_on ? json::value(*merged_on) : json::value(nullptr);
        became.push_back(std::move(step));
    }
    out["became"] = std::move(became);
    // A split: the units it was divided among, or those a part came from.
    auto [parts, split_on] = value_or_throw(store_.split_into(u.id));
    json::array split_into;
    for (auto id : parts) {
        auto part = value_or_throw(store_.unit(id));
        split_into.push_back(json::object{{"code", part.code}, {"name", part.name}});
    }
    out["split_into"] = std::move(split_into);
    out["split_on"] = parts.empty() ? json::value(nullptr) : json::value(split_on);
    json::array split_from;
    for (auto id : value_or_throw(store_.split_from(u.id))) {
        auto whole = value_or_throw(store_.unit(id));
        split_from.push_back(json::object{
            {"code", whole.code}, {"name", whole.name}, {"split_on", whole.valid_to.value_or("")}});
    }
    out["split_from"] = std::move(split_from);
    return out;
}

json::value ScheduleApi::find_units(const Params& p) {
    auto text = p.string("text");
    if (text.empty() || text.size() > kMaxSearchText)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.text: 1 to " + std::to_string(kMaxSearchText) + " bytes");
    // Marks alone (combining accents) leave nothing to look for, and would find every unit.
    if (schedules::search_key(text).find_first_not_of(" \t") == std::string::npos)
        throw RpcError(rpc_code::kInvalidParams, "params.text: nothing to search for but marks "
                                                 "or spaces");
    json::array out;
    for (const auto& found : value_or_throw(store_.find_units(text, kMaxFound))) {
        json::object o{{"unit", unit_json(found.unit)}, {"matched", name_json(found.matched)}};
        // An ended unit is shown with the unit it lives on in.
        auto now = found.unit;
        std::set<std::int64_t> seen{now.id};
        while (now.merged_into && seen.insert(*now.merged_into).second)
            now = value_or_throw(store_.unit(*now.merged_into));
        o["now"] = now.id == found.unit.id
                       ? json::value(nullptr)
                       : json::value(json::object{{"code", now.code}, {"name", now.name}});
        // A unit that split lives on in several: its parts.
        json::array parts;
        for (auto id : value_or_throw(store_.split_into(now.id)).first) {
            auto part = value_or_throw(store_.unit(id));
            parts.push_back(json::object{{"code", part.code}, {"name", part.name}});
        }
        o["split_into"] = std::move(parts);
        out.push_back(std::move(o));
    }
    return out;
}

} // namespace loa::server
