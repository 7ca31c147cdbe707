// Merges of units: several units into one (a new one, or one keeping its code and taking a
// new name), with what was theirs moving to it: entries, programs, clusters, the units within
// them, receivers, users' scopes and active alarms, in one transaction. Splits: one unit
// divided among several, each of its clusters going with its receiver to its part.
#include <algorithm>
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

/// Runs a statement whose ?1 is the successor and ?2 the merged unit; how many rows changed.
common::Result<std::int64_t> run_move(common::Database& db, const char* sql, std::int64_t from,
                                      std::int64_t into) {
    auto s = db.prepare(sql);
    s.bind(1, into).bind(2, from);
    if (auto done = s.run(); !done)
        return done.error();
    return static_cast<std::int64_t>(db.changes());
}

/// The names of the users whose scope names `unit`.
common::Result<std::vector<std::string>> scoped_users(common::Database& db, std::int64_t unit) {
    auto who = db.prepare("SELECT name FROM user WHERE id IN "
                          "(SELECT user FROM user_unit WHERE unit = ?) ORDER BY name");
    who.bind(1, unit);
    return common::collect<std::string>(who,
                                        [](const common::Statement& row) { return row.text(0); });
}

/// Moves, on the store's connection inside the merge, the rows other components keep by unit:
/// receivers (they join the successor's channel), users' scopes and active alarms (cleared
/// ones keep the unit they were raised for).
schedules::ScheduleStore::UnitFollower follow_units(FollowedUnits& followed) {
    return [&followed](common::Database& db, std::int64_t from,
                       std::int64_t into) -> common::Result<void> {
        for (const auto& [table, moves] : kUnitRows) {
            // A test's database may hold the schedule's tables only.
            auto present = db.has_table(std::string(table));
            if (!present)
                return present.error();
            if (!*present)
                continue;
            if (table == "user_unit") {
                auto names = scoped_users(db, from);
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
/// what the split unit became (its new parts; of an existing part, the units within the split
/// one given to it), other active alarms to the first part.
schedules::ScheduleStore::SplitFollower follow_split(FollowedUnits& followed) {
    return [&followed](common::Database& db, std::int64_t from,
                       const schedules::UnitSplit& split) -> common::Result<void> {
        auto first = split.parts.front();
        auto run = [&](const char* sql, std::int64_t to) -> common::Result<std::int64_t> {
            return run_move(db, sql, from, to);
        };
        for (const auto& [table, moves] : kUnitRows) {
            // A test's database may hold the schedule's tables only.
            auto present = db.has_table(std::string(table));
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
                // They acted for its territory and are given no more: its new parts, and the
                // units within it that went to existing parts.
                auto names = scoped_users(db, from);
                if (!names)
                    return names.error();
                followed.users = *names;
                std::vector<std::int64_t> scopes = split.added;
                for (const auto& [unit, part] : split.units)
                    if (std::find(split.added.begin(), split.added.end(), part) ==
                        split.added.end())
                        scopes.push_back(unit);
                for (auto scope : scopes)
                    if (auto added = run(moves.front(), scope); !added)
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
/// The code of unit `id` among `all` ("#id" if it is not there).
std::string code_of(const std::vector<schedules::Unit>& all, std::int64_t id) {
    for (const auto& u : all)
        if (u.id == id)
            return u.code;
    return "#" + std::to_string(id);
}

/// What a reorganisation moved ("moved" of units.merge and units.split).
json::object moved_json(const std::vector<std::int64_t>& entries,
                        const std::vector<std::int64_t>& programs,
                        const std::vector<std::string>& clusters, const FollowedUnits& followed) {
    return {{"entries", json::value_from(entries)},
            {"programs", json::value_from(programs)},
            {"clusters", json::value_from(clusters)},
            {"users", json::value_from(followed.users)},
            {"alarms", followed.alarms}};
}

json::array collisions_json(const std::vector<schedules::EntryCollision>& collisions) {
    json::array out;
    for (const auto& c : collisions)
        out.push_back(json::object{{"entry", c.entry}, {"problem", c.problem}});
    return out;
}

json::object merge_json(const std::vector<schedules::Unit>& all, std::int64_t into,
                        const std::vector<std::int64_t>& from, const schedules::UnitMerge& merge,
                        const FollowedUnits& followed, bool dry_run) {
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
        units.push_back(json::value(code_of(all, id)));
    auto moved = moved_json(merge.entries, merge.programs, merge.clusters, followed);
    moved["units"] = std::move(units);
    out["moved"] = std::move(moved);
    out["collisions"] = collisions_json(merge.collisions);
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

/// The clusters a split gave to its parts.
std::vector<std::string> clusters_of(const schedules::UnitSplit& split) {
    std::vector<std::string> out;
    for (const auto& [cluster, part] : split.clusters)
        out.push_back(cluster);
    return out;
}

/// units.split's answer: the unit, its parts, what moved, what collides.
json::object split_json(const std::vector<schedules::Unit>& all, std::int64_t from,
                        const schedules::UnitSplit& split, const FollowedUnits& followed,
                        bool dry_run) {
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
        added.push_back(json::value(code_of(all, id)));
    out["added"] = std::move(added);
    out["moved"] = moved_json(split.entries, split.programs, clusters_of(split), followed);
    out["collisions"] = collisions_json(split.collisions);
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

common::Result<void> ScheduleApi::split_fits_configuration(const schedules::UnitSplit& split) {
    for (const auto& r : settings_.receivers)
        if (split.clusters.contains(r.id))
            return common::make_error(
                common::Errc::invalid_argument,
                "the cluster " + r.id +
                    " is a receiver of the configuration (\"receivers\"), "
                    "which keeps it on channel " +
                    r.channel +
                    " whatever its unit: provision it "
                    "(receivers.provision) or give it its part's code there first");
    for (auto id : split.added) {
        auto part = store_.unit(id);
        if (!part)
            return part.error();
        if (auto unkeyed = unkeyed_channel(part->code); !unkeyed.empty())
            return common::make_error(common::Errc::invalid_argument, unkeyed);
    }
    return {};
}

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
            if (auto fits = split_fits_configuration(split); !fits)
                return fits;
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
            changed.clusters = clusters_of(split);
            changed.split = from;
            changed.split_subjects = split.clusters;
            units_changed_(changed);
        }
    }
    return answer;
}

} // namespace loa::server
