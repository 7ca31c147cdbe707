// Merges of several units into one: the merged units end, and what was theirs (entries,
// programs, clusters, the units within them) goes to the successor in the same transaction.
#include <algorithm>
#include <set>
#include <type_traits>

#include "loa/schedules/store.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;

/// The ids a one-parameter query gives for `unit`.
template <class T>
common::Result<std::vector<T>> ids_of(common::Database& db, const char* sql, std::int64_t unit) {
    auto s = db.prepare(sql);
    s.bind(1, unit);
    return common::collect<T>(s, [](const common::Statement& row) {
        if constexpr (std::is_same_v<T, std::string>)
            return row.text(0);
        else
            return row.integer(0);
    });
}

/// Runs a statement whose ?1 is the successor and ?2 the merged unit.
common::Result<void> move(common::Database& db, const char* sql, std::int64_t from,
                          std::int64_t into) {
    auto s = db.prepare(sql);
    s.bind(1, into).bind(2, from);
    return s.run();
}

} // namespace

common::Result<UnitMerge> ScheduleStore::merge_units(const std::vector<std::int64_t>& units,
                                                     std::int64_t into, const std::string& date,
                                                     TimePoint now, const UnitFollower& follow) {
    if (units.empty())
        return make_error(Errc::invalid_argument, "name the units to merge");
    if (std::set<std::int64_t>(units.begin(), units.end()).size() != units.size())
        return make_error(Errc::invalid_argument, "a unit is named twice among those to merge");
    UnitMerge merge;
    auto done = atomically([&]() -> common::Result<void> {
        for (auto from : units) {
            if (auto merged = merge_unit(from, into, date); !merged)
                return merged;
            if (auto taken = take_over(from, into, merge); !taken)
                return taken;
            if (follow)
                if (auto followed = follow(db_, from, into); !followed)
                    return followed;
        }
        return list_collisions(merge.entries, merge.collisions, now);
    });
    if (!done)
        return done.error();
    return merge;
}

common::Result<void> ScheduleStore::take_over(std::int64_t from, std::int64_t into,
                                              UnitMerge& merge) {
    auto entries = ids_of<std::int64_t>(
        db_, "SELECT entry FROM entry_target WHERE unit = ? ORDER BY entry", from);
    if (!entries)
        return entries.error();
    auto programs =
        ids_of<std::int64_t>(db_, "SELECT id FROM program WHERE unit = ? ORDER BY id", from);
    if (!programs)
        return programs.error();
    auto clusters =
        ids_of<std::string>(db_, "SELECT id FROM cluster WHERE unit = ? ORDER BY id", from);
    if (!clusters)
        return clusters.error();
    // Units within it that still exist: a province's communes go to the province it became;
    // those merged or ended before keep their place in history.
    auto within = ids_of<std::int64_t>(
        db_, "SELECT id FROM unit WHERE parent = ? AND merged_into IS NULL AND valid_to IS NULL",
        from);
    if (!within)
        return within.error();
    merge.entries.insert(merge.entries.end(), entries->begin(), entries->end());
    merge.programs.insert(merge.programs.end(), programs->begin(), programs->end());
    merge.clusters.insert(merge.clusters.end(), clusters->begin(), clusters->end());
    merge.units.insert(merge.units.end(), within->begin(), within->end());
    for (const auto* sql : {
             "INSERT OR IGNORE INTO entry_target (entry, unit) "
             "SELECT entry, ?1 FROM entry_target WHERE unit = ?2",
             "DELETE FROM entry_target WHERE unit = ?2",
             // An emergency or stop-all under way goes on reaching the moved receivers.
             "INSERT OR IGNORE INTO override_target (override, unit) SELECT override, ?1 FROM "
             "override_target WHERE unit = ?2 AND override IN "
             "(SELECT id FROM override WHERE ended_at_ms IS NULL)",
             "UPDATE program SET unit = ?1 WHERE unit = ?2",
             "UPDATE cluster SET unit = ?1 WHERE unit = ?2",
             "UPDATE unit SET parent = ?1 WHERE parent = ?2 AND merged_into IS NULL "
             "AND valid_to IS NULL",
         })
        if (auto moved = move(db_, sql, from, into); !moved)
            return moved;
    return {};
}

common::Result<void> ScheduleStore::list_collisions(std::vector<std::int64_t>& moved,
                                                    std::vector<EntryCollision>& collisions,
                                                    TimePoint now) {
    std::sort(moved.begin(), moved.end());
    moved.erase(std::unique(moved.begin(), moved.end()), moved.end());
    auto all = entries();
    if (!all)
        return all.error();
    for (const auto& e : *all) {
        if (!std::binary_search(moved.begin(), moved.end(), e.id))
            continue;
        if (e.units.empty() && e.receivers.empty()) {
            collisions.push_back({e.id, "it reaches no unit or cluster any more (its unit was "
                                        "split among others and gave them nothing); aim it "
                                        "anew or delete it"});
            continue;
        }
        for (auto check : {&ScheduleStore::check_quiet_hours, &ScheduleStore::check_conflicts}) {
            auto ok = (this->*check)(e, now);
            if (ok)
                continue;
            if (ok.error().code != Errc::invalid_argument &&
                ok.error().code != Errc::already_exists)
                return ok.error();
            collisions.push_back({e.id, ok.error().message});
        }
    }
    return {};
}

common::Result<std::vector<EntryCollision>>
ScheduleStore::collisions_of(std::vector<std::int64_t> entries, TimePoint now) {
    std::vector<EntryCollision> out;
    if (auto listed = list_collisions(entries, out, now); !listed)
        return listed.error();
    return out;
}

} // namespace loa::schedules
