// Merges of units: several units into one (a new one, or one keeping its code and taking a
// new name), with what was theirs moving to it: entries, programs, clusters, the units within
// them, receivers, users' scopes and active alarms, in one transaction. Splits: one unit
// divided among several, each of its clusters going with its receiver to its part.
#include <array>

#include "loa/server/schedule/schedule_api.hpp"
#include "schedule_json.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
using namespace schedule_json; // NOLINT(google-build-using-namespace)

/// What other components keep by unit and a merge moved.
struct FollowedUnits {
    std::vector<std::string> users; ///< whose scope named a merged unit, now the successor
    std::int64_t alarms = 0;        ///< active alarms, now the successor's
};

/// The tables other components keep by unit, and the statements that move their rows from a
/// merged unit (?2) to its successor (?1).
const std::map<std::string_view, std::vector<const char*>> kUnitRows = {
    {"receiver", {"UPDATE receiver SET unit = ?1 WHERE unit = ?2"}},
    {"user_unit",
     {"INSERT OR IGNORE INTO user_unit (user, unit) SELECT user, ?1 FROM user_unit WHERE unit = ?2",
      "DELETE FROM user_unit WHERE unit = ?2"}},
    {"alarm", {"UPDATE alarm SET unit = ?1 WHERE unit = ?2 AND cleared_ms IS NULL"}},
};

/// Whether `table` exists: a test's database may hold the schedule's tables only.
common::Result<bool> has_table(common::Database& db, const std::string& table) {
    auto s = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    s.bind(1, std::string_view(table));
    auto row = s.step();
    if (!row)
        return row.error();
    return *row;
}

/// Runs a statement whose ?1 is the successor and ?2 the merged unit; how many rows changed.
common::Result<std::int64_t> run_move(common::Database& db, const char* sql, std::int64_t from,
                                      std::int64_t into) {
    auto s = db.prepare(sql);
    s.bind(1, into).bind(2, from);
    if (auto done = s.run(); !done)
        return done.error();
    return static_cast<std::int64_t>(db.changes());
}

/// Moves, on the store's connection inside the merge, the rows other components keep by unit:
/// receivers (they join the successor's channel), users' scopes and active alarms (cleared
/// ones keep the unit they were raised for).
schedules::ScheduleStore::UnitFollower follow_units(FollowedUnits& followed) {
    return [&followed](common::Database& db, std::int64_t from,
                       std::int64_t into) -> common::Result<void> {
        for (const auto& [table, moves] : kUnitRows) {
            auto present = has_table(db, std::string(table));
            if (!present)
                return present.error();
            if (!*present)
                continue;
            if (table == "user_unit") {
                auto who = db.prepare("SELECT name FROM user WHERE id IN "
                                      "(SELECT user FROM user_unit WHERE unit = ?) ORDER BY name");
                who.bind(1, from);
                auto names = common::collect<std::string>(
                    who, [](const common::Statement& row) { return row.text(0); });
                if (!names)
                    return names.error();
                followed.users.insert(followed.users.end(), names->begin(), names->end());
            }
            for (const auto* sql : moves) {
                auto moved = run_move(db, sql, from, into);
                if (!moved)
                    return moved.error();
                if (table == "alarm")
                    followed.alarms += *moved;
            }
        }
        return {};
    };
}

/// Moves, on the store's connection inside a split, the rows other components keep by unit:
/// a cluster's receiver and active alarms go with the cluster to its part, users' scopes to
/// every part (they acted for the whole territory), other active alarms to the first part.
schedules::ScheduleStore::SplitFollower follow_split(FollowedUnits& followed) {
    return [&followed](common::Database& db, std::int64_t from,
                       const schedules::UnitSplit& split) -> common::Result<void> {
        auto first = split.parts.front();
        auto run = [&](const char* sql, std::int64_t to) -> common::Result<std::int64_t> {
            return run_move(db, sql, from, to);
        };
        for (const auto& [table, moves] : kUnitRows) {
            auto present = has_table(db, std::string(table));
            if (!present)
                return present.error();
            if (!*present)
                continue;
            common::Result<std::int64_t> moved = std::int64_t{0};
            if (table == "receiver") {
                moved = run("UPDATE receiver SET unit = coalesce((SELECT c.unit FROM cluster c "
                            "WHERE c.id = receiver.id), ?1) WHERE unit = ?2",
                            first);
            } else if (table == "alarm") {
                moved = run("UPDATE alarm SET unit = coalesce((SELECT c.unit FROM cluster c "
                            "WHERE c.id = alarm.subject), ?1) WHERE unit = ?2 AND cleared_ms IS "
                            "NULL",
                            first);
                if (moved)
                    followed.alarms += *moved;
            } else {
                auto who = db.prepare("SELECT name FROM user WHERE id IN "
                                      "(SELECT user FROM user_unit WHERE unit = ?) ORDER BY name");
                who.bind(1, from);
                auto names = common::collect<std::string>(
                    who, [](const common::Statement& row) { return row.text(0); });
                if (!names)
                    return names.error();
                followed.users = *names;
                for (auto part : split.parts)
                    if (auto added = run(moves.front(), part); !added)
                        return added.error();
                moved = run(moves.back(), first);
            }
            if (!moved)
                return moved.error();
        }
        return {};
    };
}

/// units.merge's answer: the successor, the merged units, what moved, what collides.
json::object merge_json(const std::vector<schedules::Unit>& all, std::int64_t into,
                        const std::vector<std::int64_t>& from, const schedules::UnitMerge& merge,
                        const FollowedUnits& followed, bool dry_run) {
    auto code_of = [&](std::int64_t id) {
        for (const auto& u : all)
            if (u.id == id)
                return u.code;
        return "#" + std::to_string(id);
    };
    json::object out;
    json::array merged;
    for (const auto& u : all) {
        if (u.id == into)
            out["unit"] = unit_json(u);
        if (std::find(from.begin(), from.end(), u.id) != from.end())
            merged.push_back(unit_json(u));
    }
    out["merged"] = std::move(merged);
    json::array units;
    for (auto id : merge.units)
        units.push_back(json::value(code_of(id)));
    out["moved"] = {{"entries", json::value_from(merge.entries)},
                    {"programs", json::value_from(merge.programs)},
                    {"clusters", json::value_from(merge.clusters)},
                    {"units", std::move(units)},
                    {"users", json::value_from(followed.users)},
                    {"alarms", followed.alarms}};
    json::array collisions;
    for (const auto& c : merge.collisions)
        collisions.push_back(json::object{{"entry", c.entry}, {"problem", c.problem}});
    out["collisions"] = std::move(collisions);
    out["dry_run"] = dry_run;
    return out;
}

} // namespace

json::value ScheduleApi::merge_units(const Params& p, const Scope& scope) {
    if (!scope.all)
        throw RpcError(rpc_code::kUnauthorized, "merging units is for province admins");
    // Since 2025 communes merge, often into one that keeps an old commune's code: the merged
    // ones keep their history but can no longer be targeted (errors point at the successor),
    // and what was theirs becomes the successor's.
    auto codes = p.strings("units");
    if (auto one = p.optional_string("unit"))
        codes.push_back(*one);
    if (codes.empty())
        throw RpcError(rpc_code::kInvalidParams, "params.units: name the units to merge");
    auto from = unit_ids(codes);
    auto into = unit_id(p.string("into"));
    auto date = effective_date(p, "a merge");
    auto name = p.optional_string("name");
    bool dry_run = p.optional_boolean("dry_run").value_or(false);
    schedules::UnitMerge merge;
    FollowedUnits followed;
    json::object answer;
    value_or_throw(store_.atomically(
        [&]() -> common::Result<void> {
            if (name)
                if (auto renamed = store_.rename_unit(into, *name, date); !renamed)
                    return renamed;
            auto merged = store_.merge_units(from, into, date,
                                             std::chrono::floor<std::chrono::seconds>(now()),
                                             follow_units(followed));
            if (!merged)
                return merged.error();
            merge = std::move(*merged);
            // Read inside the transaction: a dry run shows the units as they would be.
            auto all = store_.units();
            if (!all)
                return all.error();
            answer = merge_json(*all, into, from, merge, followed, dry_run);
            return {};
        },
        !dry_run));
    if (!dry_run) {
        changed_();
        if (units_changed_)
            units_changed_({{}, from, into, merge.clusters, std::nullopt, {}});
    }
    return answer;
}

namespace {

/// units.split's answer: the unit, its parts, what moved, what collides.
json::object split_json(const std::vector<schedules::Unit>& all, std::int64_t from,
                        const schedules::UnitSplit& split, const FollowedUnits& followed,
                        bool dry_run) {
    auto code_of = [&](std::int64_t id) {
        for (const auto& u : all)
            if (u.id == id)
                return u.code;
        return "#" + std::to_string(id);
    };
    json::object out;
    json::array parts;
    for (auto id : split.parts)
        for (const auto& u : all)
            if (u.id == id)
                parts.push_back(unit_json(u));
    for (const auto& u : all)
        if (u.id == from)
            out["unit"] = unit_json(u);
    out["parts"] = std::move(parts);
    json::array added;
    for (auto id : split.added)
        added.push_back(json::value(code_of(id)));
    out["added"] = std::move(added);
    out["moved"] = {{"entries", json::value_from(split.entries)},
                    {"programs", json::value_from(split.programs)},
                    {"clusters", json::value_from(split.clusters)},
                    {"users", json::value_from(followed.users)},
                    {"alarms", followed.alarms}};
    json::array collisions;
    for (const auto& c : split.collisions)
        collisions.push_back(json::object{{"entry", c.entry}, {"problem", c.problem}});
    out["collisions"] = std::move(collisions);
    out["dry_run"] = dry_run;
    return out;
}

/// params.parts: [{code, name?, clusters?, units?}].
std::vector<schedules::SplitPart> split_parts_of(const Params& p) {
    const auto* list = p.object().if_contains("parts");
    if (list == nullptr || !list->is_array() || list->as_array().empty())
        throw RpcError(rpc_code::kInvalidParams,
                       "params.parts: expected [{code, name?, clusters?, units?}, ...]");
    std::vector<schedules::SplitPart> out;
    for (std::size_t i = 0; i < list->as_array().size(); ++i) {
        const auto& item = list->as_array()[i];
        auto where = "params.parts[" + std::to_string(i) + "]";
        if (!item.is_object())
            throw RpcError(rpc_code::kInvalidParams, where + ": expected {code, name?, ...}");
        Params part(item.as_object());
        try {
            out.push_back({part.string("code"), part.optional_string("name").value_or(""),
                           part.strings("clusters"), part.strings("units")});
        } catch (const RpcError& e) {
            throw RpcError(e.code, where + ": " + e.what());
        }
    }
    return out;
}

} // namespace

json::value ScheduleApi::split_unit(const Params& p, const Scope& scope) {
    if (!scope.all)
        throw RpcError(rpc_code::kUnauthorized, "splitting units is for province admins");
    auto from = unit_id(p.string("unit"));
    auto parts = split_parts_of(p);
    auto date = effective_date(p, "a split");
    bool dry_run = p.optional_boolean("dry_run").value_or(false);
    schedules::UnitSplit split;
    FollowedUnits followed;
    json::object answer;
    value_or_throw(store_.atomically(
        [&]() -> common::Result<void> {
            auto made = store_.split_unit(from, parts, date,
                                          std::chrono::floor<std::chrono::seconds>(now()),
                                          follow_split(followed));
            if (!made)
                return made.error();
            split = std::move(*made);
            auto all = store_.units();
            if (!all)
                return all.error();
            answer = split_json(*all, from, split, followed, dry_run);
            return {};
        },
        !dry_run));
    if (!dry_run) {
        changed_();
        if (units_changed_) {
            UnitsChanged changed;
            changed.added = codes_of(split.added);
            changed.into = split.parts.front();
            changed.clusters = split.clusters;
            changed.split = from;
            for (const auto& [cluster, unit] : cluster_units())
                if (std::find(split.clusters.begin(), split.clusters.end(), cluster) !=
                    split.clusters.end())
                    changed.split_subjects[cluster] = unit;
            units_changed_(changed);
        }
    }
    return answer;
}

} // namespace loa::server
