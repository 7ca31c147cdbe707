// Splits of one unit among several: it ends, each of its clusters and of the units within it
// goes to the part named for it, and what targeted it reaches the same territory (its new
// parts, and what it gave to existing ones), in one transaction.
#include <algorithm>
#include <map>
#include <set>

#include "loa/schedules/store.hpp"
#include "loa/schedules/unit_list.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;

common::Result<std::vector<std::int64_t>> ids_of(common::Database& db, const char* sql,
                                                 std::int64_t unit) {
    auto s = db.prepare(sql);
    s.bind(1, unit);
    return common::collect<std::int64_t>(
        s, [](const common::Statement& row) { return row.integer(0); });
}

common::Result<void> run(common::Database& db, const char* sql, std::int64_t a, std::int64_t b) {
    auto s = db.prepare(sql);
    s.bind(1, a).bind(2, b);
    return s.run();
}

} // namespace

common::Result<std::vector<Unit>> ScheduleStore::split_parts(const Unit& from,
                                                             const std::vector<SplitPart>& parts,
                                                             const std::string& date,
                                                             UnitSplit& split) {
    auto refused = [&](const std::string& why) {
        return make_error(Errc::invalid_argument,
                          "cannot split unit \"" + from.code + "\" (" + from.name + "): " + why);
    };
    std::vector<Unit> out;
    std::set<std::string> codes;
    for (const auto& part : parts) {
        if (!codes.insert(part.code).second)
            return refused("the part " + part.code + " is named twice");
        if (part.code == from.code)
            return refused("it cannot be one of its own parts; to give some of its clusters to "
                           "another unit, split it into that unit and a new one");
        if (part.name.empty()) {
            auto existing = unit_by_code(part.code);
            if (!existing)
                return refused("no unit " + part.code + " (a new part needs a name)");
            if (existing->merged_into || existing->valid_to)
                return refused("the part " + part.code + " ended on " +
                               existing->valid_to.value_or("?"));
            if (existing->valid_from > date)
                return refused("the part " + part.code + " begins on " + existing->valid_from +
                               ", after the split");
            if (existing->parent.has_value() != from.parent.has_value())
                return refused("the part " + part.code +
                               " is not of its level (a province's "
                               "parts are provinces, a commune's communes)");
            out.push_back(*existing);
            continue;
        }
        if (auto bad = bad_unit_code(part.code, !from.parent))
            return refused("the new part " + part.code + ": " + *bad);
        if (auto bad = bad_unit_name(part.name))
            return refused("the new part " + part.code + ": " + *bad);
        if (auto taken = code_holder(part.code, 0); !taken)
            return taken.error();
        else if (*taken)
            return refused("the new part " + part.code + ": " + **taken);
        Unit made;
        made.code = part.code;
        made.name = part.name;
        made.parent = from.parent;
        made.valid_from = date;
        made.named_from = date;
        made.approval_required = from.approval_required;
        made.quiet_start = from.quiet_start;
        made.quiet_end = from.quiet_end;
        auto id = add_unit(made);
        if (!id)
            return id.error();
        made.id = *id;
        split.added.push_back(*id);
        out.push_back(made);
    }
    return out;
}

common::Result<void> ScheduleStore::retarget_split(std::int64_t from, const Unit& part, bool whole,
                                                   const UnitSplit& split) {
    // ?1 the unit or cluster aimed at, ?2 the split unit. Overrides' targets have no key:
    // one already there is not added twice.
    constexpr const char* kEntryUnit = "INSERT OR IGNORE INTO entry_target (entry, unit) "
                                       "SELECT entry, ?1 FROM entry_target WHERE unit = ?2";
    constexpr const char* kEntryCluster = "INSERT OR IGNORE INTO entry_cluster (entry, cluster) "
                                          "SELECT entry, ?1 FROM entry_target WHERE unit = ?2";
    constexpr const char* kOverrideUnit =
        "INSERT INTO override_target (override, unit) SELECT DISTINCT t.override, ?1 FROM "
        "override_target t JOIN override o ON o.id = t.override WHERE t.unit = ?2 AND "
        "o.ended_at_ms IS NULL AND NOT EXISTS (SELECT 1 FROM override_target x WHERE "
        "x.override = t.override AND x.unit = ?1)";
    constexpr const char* kOverrideCluster =
        "INSERT INTO override_target (override, cluster) SELECT DISTINCT t.override, ?1 FROM "
        "override_target t JOIN override o ON o.id = t.override WHERE t.unit = ?2 AND "
        "o.ended_at_ms IS NULL AND NOT EXISTS (SELECT 1 FROM override_target x WHERE "
        "x.override = t.override AND x.cluster = ?1)";
    std::vector<std::int64_t> units;
    if (whole)
        units.push_back(part.id);
    for (const auto& [unit, to] : split.units)
        if (!whole && to == part.id)
            units.push_back(unit);
    for (auto unit : units)
        for (const auto* sql : {kEntryUnit, kOverrideUnit})
            if (auto aimed = run(db_, sql, unit, from); !aimed)
                return aimed;
    if (whole)
        return {};
    for (const auto& [cluster, to] : split.clusters) {
        if (to != part.id)
            continue;
        for (const auto* sql : {kEntryCluster, kOverrideCluster}) {
            auto s = db_.prepare(sql);
            s.bind(1, std::string_view(cluster)).bind(2, from);
            if (auto aimed = s.run(); !aimed)
                return aimed;
        }
    }
    return {};
}

common::Result<UnitSplit> ScheduleStore::split_unit(std::int64_t id,
                                                    const std::vector<SplitPart>& parts,
                                                    const std::string& date, TimePoint now,
                                                    const SplitFollower& follow) {
    UnitSplit split;
    auto done = atomically([&]() -> common::Result<void> {
        auto from = unit(id);
        if (!from)
            return from.error();
        auto refused = [&](const std::string& why) {
            return make_error(Errc::invalid_argument, "cannot split unit \"" + from->code + "\" (" +
                                                          from->name + "): " + why);
        };
        if (from->merged_into || from->valid_to)
            return refused("it ended on " + from->valid_to.value_or("?"));
        if (parts.size() < 2)
            return refused("name two parts or more (one is a rename or a change of code)");
        if (date <= from->named_from)
            return refused("it bears its name from " + from->named_from +
                           "; a split takes effect on a later day");
        auto units = split_parts(*from, parts, date, split);
        if (!units)
            return units.error();
        // Each cluster and each unit within it goes to exactly one part.
        std::map<std::string, std::size_t> cluster_part;
        std::map<std::string, std::size_t> unit_part;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            for (const auto& c : parts[i].clusters)
                if (!cluster_part.emplace(c, i).second)
                    return refused("the cluster " + c + " is given to two parts");
            for (const auto& u : parts[i].units)
                if (!unit_part.emplace(u, i).second)
                    return refused("the unit " + u + " is given to two parts");
        }
        auto own_clusters = clusters();
        if (!own_clusters)
            return own_clusters.error();
        std::set<std::string> left;
        for (const auto& c : *own_clusters)
            if (c.unit == id) {
                auto it = cluster_part.find(c.id);
                if (it == cluster_part.end()) {
                    left.insert(c.id);
                    continue;
                }
                if (auto moved = put_cluster({c.id, (*units)[it->second].id, c.name}); !moved)
                    return moved;
                split.clusters[c.id] = (*units)[it->second].id;
                cluster_part.erase(it);
            }
        if (!left.empty())
            return refused(
                "give every cluster of it to a part; not given: " + *left.begin() +
                (left.size() > 1 ? " and " + std::to_string(left.size() - 1) + " more" : ""));
        if (!cluster_part.empty())
            return refused("the cluster " + cluster_part.begin()->first + " is not one of its");
        auto within = ids_of(db_,
                             "SELECT id FROM unit WHERE parent = ? AND merged_into IS NULL AND "
                             "valid_to IS NULL ORDER BY id",
                             id);
        if (!within)
            return within.error();
        for (auto sub : *within) {
            auto u = unit(sub);
            if (!u)
                return u.error();
            auto it = unit_part.find(u->code);
            if (it == unit_part.end())
                return refused("give every unit within it to a part; not given: " + u->code);
            if (auto moved = run(db_, "UPDATE unit SET parent = ?1 WHERE id = ?2",
                                 (*units)[it->second].id, sub);
                !moved)
                return moved;
            split.units[sub] = (*units)[it->second].id;
            unit_part.erase(it);
        }
        if (!unit_part.empty())
            return refused("the unit " + unit_part.begin()->first + " is not within it");
        // It ends; what targeted it reaches the same territory, its programs go to the first.
        auto entries =
            ids_of(db_, "SELECT entry FROM entry_target WHERE unit = ? ORDER BY entry", id);
        if (!entries)
            return entries.error();
        split.entries = *entries;
        auto programs = ids_of(db_, "SELECT id FROM program WHERE unit = ? ORDER BY id", id);
        if (!programs)
            return programs.error();
        split.programs = *programs;
        auto end = db_.prepare("UPDATE unit SET valid_to = ? WHERE id = ?");
        if (auto ended = end.bind(1, date).bind(2, id).run(); !ended)
            return ended;
        for (const auto& part : *units) {
            split.parts.push_back(part.id);
            bool whole =
                std::find(split.added.begin(), split.added.end(), part.id) != split.added.end();
            if (auto aimed = retarget_split(id, part, whole, split); !aimed)
                return aimed;
            auto noted = db_.prepare("INSERT INTO unit_split (unit, part, date) VALUES (?, ?, ?)");
            if (auto saved = noted.bind(1, id).bind(2, part.id).bind(3, date).run(); !saved)
                return saved;
        }
        for (const auto* sql :
             {"DELETE FROM entry_target WHERE unit = ?2",
              "DELETE FROM override_target WHERE unit = ?2 AND override IN (SELECT id FROM "
              "override WHERE ended_at_ms IS NULL)",
              "UPDATE program SET unit = ?1 WHERE unit = ?2"})
            if (auto moved = run(db_, sql, split.parts.front(), id); !moved)
                return moved;
        if (follow)
            if (auto followed = follow(db_, id, split); !followed)
                return followed;
        return list_collisions(split.entries, split.collisions, now);
    });
    if (!done)
        return done.error();
    return split;
}

common::Result<std::pair<std::vector<std::int64_t>, std::string>>
ScheduleStore::split_into(std::int64_t unit) {
    auto s = db_.prepare("SELECT part, date FROM unit_split WHERE unit = ? ORDER BY rowid");
    s.bind(1, unit);
    using Part = std::pair<std::int64_t, std::string>;
    auto rows = common::collect<Part>(s, [](const common::Statement& row) {
        return Part{row.integer(0), row.text(1)};
    });
    if (!rows)
        return rows.error();
    std::pair<std::vector<std::int64_t>, std::string> out;
    for (const auto& [part, date] : *rows) {
        out.first.push_back(part);
        out.second = date; // one split: one day
    }
    return out;
}

common::Result<std::vector<std::int64_t>> ScheduleStore::split_from(std::int64_t unit) {
    return ids_of(db_, "SELECT unit FROM unit_split WHERE part = ? ORDER BY unit", unit);
}

} // namespace loa::schedules
