// Schedule entries: saving (after the checks of entry_checks.cpp), listing, deleting, and
// expanding targets to the channels the resolver works with.
#include <set>
#include <sstream>

#include "loa/schedules/store.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items)
        out += (out.empty() ? "" : ",") + i;
    return out;
}

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream s(text);
    for (std::string item; std::getline(s, item, ',');)
        if (!item.empty())
            out.push_back(item);
    return out;
}

/// Binds an entry's columns (program ... duration_s) to parameters 1-7.
common::Statement& bind_entry(common::Statement& s, const Entry& e) {
    return s.bind(1, e.program)
        .bind(2, std::string_view(to_string(e.priority)))
        .bind(3, std::string_view(e.when.start_local))
        .bind(4, std::string_view(e.when.time_zone))
        .bind(5, std::string_view(e.when.rule))
        .bind(6, std::string_view(join(e.when.exceptions)))
        .bind(7, static_cast<std::int64_t>(e.duration.count()));
}

} // namespace

common::Result<void> ScheduleStore::check_entry(const Entry& e, TimePoint now) {
    if (e.duration <= std::chrono::seconds(0))
        return make_error(Errc::invalid_argument, "duration must be positive");
    if (e.units.empty() && e.receivers.empty())
        return make_error(Errc::invalid_argument,
                          "an entry needs at least one target: a unit or a cluster");
    if (auto valid = validate(e.when); !valid)
        return valid.error();
    if (auto ok = check_targets(e); !ok)
        return ok.error();
    if (auto ok = check_quiet_hours(e, now); !ok)
        return ok.error();
    return check_conflicts(e, now);
}

common::Result<std::int64_t> ScheduleStore::add_entry(const Entry& e, TimePoint now) {
    if (auto ok = check_entry(e, now); !ok)
        return ok.error();
    common::Transaction tx(db_);
    auto s = db_.prepare("INSERT INTO schedule_entry (program, priority, start_local, time_zone, "
                         "rule, exceptions, duration_s) VALUES (?, ?, ?, ?, ?, ?, ?)");
    bind_entry(s, e);
    if (auto done = s.run(); !done)
        return done.error();
    std::int64_t id = db_.last_insert_id();
    if (auto saved = save_targets("INSERT INTO entry_target (entry, unit) VALUES (?, ?)",
                                  "INSERT INTO entry_cluster (entry, cluster) VALUES (?, ?)", id,
                                  e.units, e.receivers);
        !saved)
        return saved.error();
    if (auto done = tx.commit(); !done)
        return done.error();
    return id;
}

common::Result<void> ScheduleStore::update_entry(const Entry& e, TimePoint now) {
    if (auto ok = check_entry(e, now); !ok)
        return ok.error();
    common::Transaction tx(db_);
    auto s = db_.prepare("UPDATE schedule_entry SET program = ?, priority = ?, start_local = ?, "
                         "time_zone = ?, rule = ?, exceptions = ?, duration_s = ? WHERE id = ?");
    bind_entry(s, e).bind(8, e.id);
    if (auto done = s.run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no schedule entry #" + std::to_string(e.id));
    for (const char* sql : {"DELETE FROM entry_target WHERE entry = ?",
                            "DELETE FROM entry_cluster WHERE entry = ?"}) {
        auto clear = db_.prepare(sql);
        clear.bind(1, e.id);
        if (auto done = clear.run(); !done)
            return done.error();
    }
    if (auto saved = save_targets("INSERT INTO entry_target (entry, unit) VALUES (?, ?)",
                                  "INSERT INTO entry_cluster (entry, cluster) VALUES (?, ?)", e.id,
                                  e.units, e.receivers);
        !saved)
        return saved.error();
    return tx.commit();
}

common::Result<void> ScheduleStore::save_targets(const char* unit_sql, const char* cluster_sql,
                                                 std::int64_t id,
                                                 const std::vector<std::int64_t>& units,
                                                 const std::vector<std::string>& clusters) {
    auto unit = db_.prepare(unit_sql);
    for (auto u : std::set<std::int64_t>(units.begin(), units.end())) {
        unit.bind(1, id).bind(2, u);
        if (auto done = unit.run(); !done)
            return done;
    }
    auto cluster = db_.prepare(cluster_sql);
    for (const auto& c : std::set<std::string>(clusters.begin(), clusters.end())) {
        cluster.bind(1, id).bind(2, std::string_view(c));
        if (auto done = cluster.run(); !done)
            return done;
    }
    return {};
}

common::Result<void> ScheduleStore::remove_entry(std::int64_t entry) {
    auto s = db_.prepare("DELETE FROM schedule_entry WHERE id = ?");
    s.bind(1, entry);
    if (auto done = s.run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no schedule entry #" + std::to_string(entry));
    return {};
}

common::Result<std::vector<Entry>> ScheduleStore::entries() {
    auto s = db_.prepare("SELECT id, program, priority, start_local, time_zone, rule, exceptions, "
                         "duration_s FROM schedule_entry ORDER BY id");
    auto all = common::collect<Entry>(s, [](const common::Statement& row) {
        Entry e;
        e.id = row.integer(0);
        e.program = row.integer(1);
        e.priority = parse_priority(row.text(2)).value_or(PriorityClass::normal);
        e.when = Recurrence{row.text(3), row.text(4), row.text(5), split(row.text(6))};
        e.duration = std::chrono::seconds(row.integer(7));
        return e;
    });
    if (!all)
        return all;
    auto targets = db_.prepare("SELECT unit FROM entry_target WHERE entry = ? ORDER BY unit");
    auto clusters =
        db_.prepare("SELECT cluster FROM entry_cluster WHERE entry = ? ORDER BY cluster");
    for (auto& e : *all) {
        targets.bind(1, e.id);
        auto units = common::collect<std::int64_t>(
            targets, [](const common::Statement& row) { return row.integer(0); });
        targets.reset();
        clusters.bind(1, e.id);
        auto receivers = common::collect<std::string>(
            clusters, [](const common::Statement& row) { return row.text(0); });
        clusters.reset();
        if (!units)
            return units.error();
        if (!receivers)
            return receivers.error();
        e.units = std::move(*units);
        e.receivers = std::move(*receivers);
    }
    return all;
}

common::Result<std::vector<std::int64_t>>
ScheduleStore::covered_units(const std::vector<std::int64_t>& units) {
    // A unit's territory: the units within it, and the units merged into it (whose clusters
    // are still theirs, on their own channels), at any depth. A province-wide emergency must
    // reach a commune merged last month as surely as it reached it before.
    std::set<std::int64_t> covered(units.begin(), units.end());
    auto all = this->units();
    if (!all)
        return all.error();
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& u : *all) {
            // A merged unit is reached through its successor only (it may have gone into a
            // commune of another province).
            bool inside = u.merged_into ? covered.contains(*u.merged_into)
                                        : u.parent && covered.contains(*u.parent);
            if (inside && covered.insert(u.id).second)
                grew = true;
        }
    }
    return std::vector<std::int64_t>(covered.begin(), covered.end());
}

common::Result<std::vector<std::string>>
ScheduleStore::channels_of(const std::vector<std::int64_t>& units,
                           const std::vector<std::string>& receivers) {
    std::vector<std::string> out;
    auto covered = covered_units(units);
    if (!covered)
        return covered.error();
    for (auto u : *covered) {
        auto found = unit(u);
        if (!found)
            return found.error();
        out.push_back(found->code);
    }
    for (const auto& r : std::set<std::string>(receivers.begin(), receivers.end()))
        out.push_back(cluster_channel(r));
    return out;
}

common::Result<std::vector<ScheduledEntry>> ScheduleStore::scheduled_entries() {
    auto all = entries();
    if (!all)
        return all.error();
    // Only approved programs go on air where approval is required: a program approved when
    // scheduled and withdrawn later (back to draft, pending or rejected) stays off the air.
    auto may_air = db_.prepare("SELECT (p.approval = 'approved' OR u.approval_required = 0) "
                               "AND p.emergency_record = 0 "
                               "FROM program p JOIN unit u ON u.id = p.unit WHERE p.id = ?");
    std::vector<ScheduledEntry> out;
    for (const auto& e : *all) {
        may_air.bind(1, e.program);
        auto row = may_air.step();
        if (!row)
            return row.error();
        bool allowed = *row && may_air.integer(0) != 0;
        may_air.reset();
        if (!allowed)
            continue;
        auto channels = channels_of(e.units, e.receivers);
        if (!channels)
            return channels.error();
        out.push_back({e.id, e.program, e.priority, std::move(*channels), e.when, e.duration});
    }
    return out;
}

} // namespace loa::schedules
