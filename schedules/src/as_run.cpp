// The as-run log: what really went out, where, for how long, to how many clusters, and how it
// ended. Rows are opened when a program starts on a channel and closed when it stops; a crash
// leaves rows open, and the next start-up closes them as interrupted at the last heartbeat.
#include "loa/schedules/store.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;

constexpr const char* kOutcomes[] = {"completed", "preempted", "stopped", "failed", "interrupted"};

std::int64_t ms(Millis at) {
    return static_cast<std::int64_t>(at.time_since_epoch().count());
}

Millis from_ms(std::int64_t value) {
    return Millis(std::chrono::milliseconds(value));
}

constexpr const char* kAsRunColumns =
    "SELECT a.id, a.program, p.title, a.entry, a.override, a.priority, a.channel, "
    "a.scheduled_at, a.started_at_ms, a.ended_at_ms, a.receivers, a.outcome, a.played, "
    "a.first_played_ms, a.last_played_ms "
    "FROM as_run a JOIN program p ON p.id = a.program ";

AsRunRecord read_as_run(const common::Statement& s) {
    AsRunRecord r;
    r.id = s.integer(0);
    r.program = s.integer(1);
    r.title = s.text(2);
    r.entry = s.optional_integer(3);
    r.override_id = s.optional_integer(4);
    r.priority = parse_priority(s.text(5)).value_or(PriorityClass::normal);
    r.channel = s.text(6);
    if (auto at = s.optional_integer(7))
        r.scheduled_at = TimePoint(std::chrono::seconds(*at));
    r.started_at = from_ms(s.integer(8));
    if (auto end = s.optional_integer(9))
        r.ended_at = from_ms(*end);
    r.receivers = s.integer(10);
    r.played = s.integer(12);
    if (auto first = s.optional_integer(13))
        r.first_played = from_ms(*first);
    if (auto last = s.optional_integer(14))
        r.last_played = from_ms(*last);
    if (auto outcome = s.optional_text(11))
        for (int o = 0; o < 5; ++o)
            if (*outcome == kOutcomes[o])
                r.outcome = static_cast<Outcome>(o);
    return r;
}

} // namespace

std::string to_string(Outcome outcome) {
    return kOutcomes[static_cast<int>(outcome)];
}

common::Result<std::int64_t> ScheduleStore::open_as_run(const AsRunRecord& r) {
    auto s = db_.prepare("INSERT INTO as_run (program, entry, override, priority, channel, "
                         "scheduled_at, started_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
    std::optional<std::int64_t> scheduled;
    if (r.scheduled_at)
        scheduled = r.scheduled_at->time_since_epoch().count();
    s.bind(1, r.program)
        .bind(2, r.entry)
        .bind(3, r.override_id)
        .bind(4, std::string_view(to_string(r.priority)))
        .bind(5, std::string_view(r.channel))
        .bind(6, scheduled)
        .bind(7, ms(r.started_at));
    if (auto done = s.run(); !done)
        return done.error();
    return db_.last_insert_id();
}

common::Result<void> ScheduleStore::close_as_run(std::int64_t id, Millis ended_at,
                                                 std::int64_t receivers, Outcome outcome) {
    auto s = db_.prepare("UPDATE as_run SET ended_at_ms = ?, receivers = ?, outcome = ? "
                         "WHERE id = ? AND outcome IS NULL");
    s.bind(1, ms(ended_at))
        .bind(2, receivers)
        .bind(3, std::string_view(to_string(outcome)))
        .bind(4, id);
    if (auto done = s.run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no open as-run row #" + std::to_string(id));
    return {};
}

common::Result<void> ScheduleStore::note_reach(std::int64_t id, std::int64_t receivers) {
    auto s = db_.prepare("UPDATE as_run SET receivers = ? WHERE id = ? AND outcome IS NULL");
    s.bind(1, receivers).bind(2, id);
    return s.run();
}

common::Result<std::vector<AsRunRecord>> ScheduleStore::as_run(Millis from, Millis to) {
    auto s = db_.prepare(std::string(kAsRunColumns) +
                         "WHERE a.started_at_ms >= ? AND a.started_at_ms < ? "
                         "ORDER BY a.started_at_ms, a.id");
    s.bind(1, ms(from)).bind(2, ms(to));
    return common::collect<AsRunRecord>(s, read_as_run);
}

common::Result<void> ScheduleStore::note_played(std::int64_t id, std::int64_t clusters,
                                                std::optional<Millis> first,
                                                std::optional<Millis> last) {
    auto s = db_.prepare(
        "UPDATE as_run SET played = ?, first_played_ms = ?, last_played_ms = ? WHERE id = ?");
    std::optional<std::int64_t> first_ms, last_ms;
    if (first)
        first_ms = ms(*first);
    if (last)
        last_ms = ms(*last);
    s.bind(1, clusters).bind(2, first_ms).bind(3, last_ms).bind(4, id);
    return s.run();
}

common::Result<std::vector<AsRunRecord>>
ScheduleStore::as_run_open_or_ended_after(Millis ended_after) {
    auto s = db_.prepare(std::string(kAsRunColumns) +
                         "WHERE a.outcome IS NULL OR a.ended_at_ms >= ? ORDER BY a.id");
    s.bind(1, ms(ended_after));
    return common::collect<AsRunRecord>(s, read_as_run);
}

common::Result<void> ScheduleStore::beat(Millis at) {
    auto s = db_.prepare("INSERT INTO heartbeat (id, at_ms) VALUES (1, ?) "
                         "ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms");
    s.bind(1, ms(at));
    return s.run();
}

common::Result<std::vector<Occurrence>> ScheduleStore::cut_occurrences(TimePoint since) {
    auto s = db_.prepare("SELECT DISTINCT entry, scheduled_at FROM as_run "
                         "WHERE (outcome IS NULL OR outcome = 'interrupted') "
                         "AND entry IS NOT NULL AND scheduled_at >= ?");
    s.bind(1, static_cast<std::int64_t>(since.time_since_epoch().count()));
    return common::collect<Occurrence>(s, [](const common::Statement& row) {
        return Occurrence{row.integer(0), TimePoint(std::chrono::seconds(row.integer(1)))};
    });
}

common::Result<int> ScheduleStore::close_interrupted() {
    // A row opened after the last heartbeat ends where it started.
    auto s =
        db_.prepare("UPDATE as_run SET outcome = 'interrupted', ended_at_ms = MAX(started_at_ms, "
                    "COALESCE((SELECT at_ms FROM heartbeat WHERE id = 1), started_at_ms)) "
                    "WHERE outcome IS NULL");
    if (auto done = s.run(); !done)
        return done.error();
    return db_.changes();
}

} // namespace loa::schedules
