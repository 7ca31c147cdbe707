#include "loa/schedules/store.hpp"

#include <set>

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;

const std::vector<common::Migration> kMigrations = {
    {1, R"(
CREATE TABLE unit (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent INTEGER REFERENCES unit(id),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    merged_into INTEGER REFERENCES unit(id),
    approval_required INTEGER NOT NULL DEFAULT 1,
    quiet_start TEXT NOT NULL DEFAULT '22:00',
    quiet_end TEXT NOT NULL DEFAULT '05:00'
);
CREATE TABLE program (
    id INTEGER PRIMARY KEY,
    unit INTEGER NOT NULL REFERENCES unit(id),
    kind TEXT NOT NULL CHECK (kind IN ('file', 'tts', 'relay', 'live')),
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    approval TEXT NOT NULL DEFAULT 'draft'
        CHECK (approval IN ('draft', 'pending', 'approved', 'rejected')),
    decided_by TEXT,
    decided_at TEXT
);
CREATE TABLE schedule_entry (
    id INTEGER PRIMARY KEY,
    program INTEGER NOT NULL REFERENCES program(id),
    priority TEXT NOT NULL CHECK (priority IN ('normal', 'priority', 'emergency')),
    start_local TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    rule TEXT NOT NULL DEFAULT '',
    exceptions TEXT NOT NULL DEFAULT '',
    duration_s INTEGER NOT NULL CHECK (duration_s > 0)
);
CREATE TABLE entry_target (
    entry INTEGER NOT NULL REFERENCES schedule_entry(id) ON DELETE CASCADE,
    unit INTEGER NOT NULL REFERENCES unit(id),
    PRIMARY KEY (entry, unit)
);
)"},
    {2, R"(
CREATE TABLE cluster (
    id TEXT PRIMARY KEY,
    unit INTEGER NOT NULL REFERENCES unit(id),
    name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE entry_cluster (
    entry INTEGER NOT NULL REFERENCES schedule_entry(id) ON DELETE CASCADE,
    cluster TEXT NOT NULL REFERENCES cluster(id),
    PRIMARY KEY (entry, cluster)
);
ALTER TABLE program ADD COLUMN media TEXT NOT NULL DEFAULT '';
ALTER TABLE program ADD COLUMN duration_ms INTEGER;
ALTER TABLE program ADD COLUMN voice TEXT NOT NULL DEFAULT 'vi';
ALTER TABLE program ADD COLUMN rate_wpm INTEGER NOT NULL DEFAULT 150;
CREATE TABLE override (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('emergency', 'stop_all')),
    program INTEGER REFERENCES program(id),
    started_at_ms INTEGER NOT NULL,
    started_by TEXT NOT NULL,
    ended_at_ms INTEGER,
    ended_by TEXT,
    CHECK ((kind = 'emergency') = (program IS NOT NULL))
);
CREATE TABLE override_target (
    override INTEGER NOT NULL REFERENCES override(id) ON DELETE CASCADE,
    unit INTEGER REFERENCES unit(id),
    cluster TEXT REFERENCES cluster(id),
    CHECK ((unit IS NULL) != (cluster IS NULL))
);
CREATE TABLE as_run (
    id INTEGER PRIMARY KEY,
    program INTEGER NOT NULL REFERENCES program(id),
    entry INTEGER,
    override INTEGER,
    priority TEXT NOT NULL,
    channel TEXT NOT NULL,
    scheduled_at INTEGER,
    started_at_ms INTEGER NOT NULL,
    ended_at_ms INTEGER,
    receivers INTEGER NOT NULL DEFAULT 0,
    outcome TEXT CHECK (outcome IN ('completed', 'preempted', 'stopped', 'failed', 'interrupted'))
);
CREATE INDEX as_run_by_start ON as_run(started_at_ms);
CREATE INDEX as_run_open ON as_run(outcome) WHERE outcome IS NULL;
CREATE TABLE heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms INTEGER NOT NULL
);
)"},
    // An emergency's inline source is kept as its record: it airs as that emergency only.
    {3, R"(
ALTER TABLE program ADD COLUMN emergency_record INTEGER NOT NULL DEFAULT 0;
)"},
    // Proof of play: the clusters that verifiably played each airing.
    {4, R"(
ALTER TABLE as_run ADD COLUMN played INTEGER NOT NULL DEFAULT 0;
CREATE INDEX as_run_by_end ON as_run(ended_at_ms);
)"},
    // Reorganisations: the codes and names units bore before (renames), kept for history.
    {5, R"(
ALTER TABLE unit ADD COLUMN named_from TEXT;
CREATE TABLE unit_former_name (
    unit INTEGER NOT NULL REFERENCES unit(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL
);
CREATE INDEX unit_former_name_by_unit ON unit_former_name(unit, valid_from);
)"},
    // Splits: the units a unit was divided among, from the day it ended.
    {6, R"(
CREATE TABLE unit_split (
    unit INTEGER NOT NULL REFERENCES unit(id),
    part INTEGER NOT NULL REFERENCES unit(id),
    date TEXT NOT NULL,
    PRIMARY KEY (unit, part)
);
CREATE INDEX unit_split_by_part ON unit_split(part);
)"},
    // Indicators: when each program was created (time to approval of bulletins), and the
    // airings of an occurrence found by its scheduled start.
    {7, R"(
ALTER TABLE program ADD COLUMN created_at TEXT;
ALTER TABLE as_run ADD COLUMN first_played_ms INTEGER;
ALTER TABLE as_run ADD COLUMN last_played_ms INTEGER;
CREATE INDEX as_run_by_schedule ON as_run(scheduled_at) WHERE entry IS NOT NULL;
)"},
    // Live broadcasts: an override of a third kind, with its priority class. SQLite cannot
    // change a CHECK, so both tables are made again (the targets first, so that dropping the
    // old override table cascades to nothing).
    {8, R"(
CREATE TABLE override_new (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('emergency', 'stop_all', 'live')),
    program INTEGER REFERENCES program(id),
    started_at_ms INTEGER NOT NULL,
    started_by TEXT NOT NULL,
    ended_at_ms INTEGER,
    ended_by TEXT,
    priority TEXT CHECK (priority IN ('normal', 'priority', 'emergency')),
    CHECK ((kind = 'stop_all') = (program IS NULL))
);
INSERT INTO override_new (id, kind, program, started_at_ms, started_by, ended_at_ms, ended_by)
    SELECT id, kind, program, started_at_ms, started_by, ended_at_ms, ended_by FROM override;
CREATE TABLE override_target_new (
    override INTEGER NOT NULL REFERENCES override_new(id) ON DELETE CASCADE,
    unit INTEGER REFERENCES unit(id),
    cluster TEXT REFERENCES cluster(id),
    CHECK ((unit IS NULL) != (cluster IS NULL))
);
INSERT INTO override_target_new SELECT override, unit, cluster FROM override_target;
DROP TABLE override_target;
DROP TABLE override;
ALTER TABLE override_new RENAME TO override;
ALTER TABLE override_target_new RENAME TO override_target;
)"},
};

const char* kinds[] = {"file", "tts", "relay", "live"};

constexpr const char* kProgramColumns =
    "SELECT id, unit, kind, title, source, media, duration_ms, voice, rate_wpm, approval, "
    "decided_by, decided_at, emergency_record FROM program ";

Program read_program(const common::Statement& s) {
    Program p;
    p.id = s.integer(0);
    p.unit = s.integer(1);
    p.kind = parse_program_kind(s.text(2)).value_or(ProgramKind::file);
    p.title = s.text(3);
    p.source = s.text(4);
    p.media = s.text(5);
    if (auto ms = s.optional_integer(6))
        p.duration = std::chrono::milliseconds(*ms);
    p.voice = s.text(7);
    p.rate_wpm = static_cast<int>(s.integer(8));
    p.approval = parse_approval(s.text(9)).value_or(Approval::draft);
    p.decided_by = s.optional_text(10);
    p.decided_at = s.optional_text(11);
    p.emergency_record = s.integer(12) != 0;
    return p;
}

Unit read_unit(const common::Statement& s) {
    Unit u;
    u.id = s.integer(0);
    u.code = s.text(1);
    u.name = s.text(2);
    u.parent = s.optional_integer(3);
    u.valid_from = s.text(4);
    u.valid_to = s.optional_text(5);
    u.merged_into = s.optional_integer(6);
    u.approval_required = s.integer(7) != 0;
    u.quiet_start = s.text(8);
    u.quiet_end = s.text(9);
    u.named_from = s.optional_text(10).value_or(u.valid_from);
    return u;
}

constexpr const char* kUnitColumns = "SELECT id, code, name, parent, valid_from, valid_to, "
                                     "merged_into, approval_required, quiet_start, quiet_end, "
                                     "named_from FROM unit ";

} // namespace

std::string to_string(Approval approval) {
    switch (approval) {
    case Approval::draft:
        return "draft";
    case Approval::pending:
        return "pending";
    case Approval::approved:
        return "approved";
    case Approval::rejected:
        return "rejected";
    }
    return "draft";
}

std::string to_string(ProgramKind kind) {
    return kinds[static_cast<int>(kind)];
}

std::optional<ProgramKind> parse_program_kind(std::string_view name) {
    for (int k = 0; k < 4; ++k)
        if (name == kinds[k])
            return static_cast<ProgramKind>(k);
    return std::nullopt;
}

std::optional<Approval> parse_approval(std::string_view name) {
    for (auto a : {Approval::draft, Approval::pending, Approval::approved, Approval::rejected})
        if (name == to_string(a))
            return a;
    return std::nullopt;
}

std::string cluster_channel(const std::string& receiver) {
    return "@" + receiver;
}

std::optional<std::string> cluster_of(std::string_view channel) {
    if (channel.empty() || channel.front() != '@')
        return std::nullopt;
    return std::string(channel.substr(1));
}

ScheduleStore::ScheduleStore(const std::string& path) : db_(path) {
    db_.migrate(kMigrations);
}

common::Result<std::int64_t> ScheduleStore::add_unit(const Unit& u) {
    auto s = db_.prepare("INSERT INTO unit (code, name, parent, valid_from, approval_required, "
                         "quiet_start, quiet_end) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, std::string_view(u.code))
        .bind(2, std::string_view(u.name))
        .bind(3, u.parent)
        .bind(4, std::string_view(u.valid_from))
        .bind(5, std::int64_t{u.approval_required ? 1 : 0})
        .bind(6, std::string_view(u.quiet_start))
        .bind(7, std::string_view(u.quiet_end));
    if (auto done = s.run(); !done)
        return make_error(Errc::already_exists,
                          "cannot add unit \"" + u.code + "\": " + done.error().message);
    return db_.last_insert_id();
}

namespace {

std::string named(const Unit& u) {
    return "\"" + u.code + "\" (" + u.name + ")";
}

} // namespace

common::Result<void> ScheduleStore::check_merge(const Unit& from, const Unit& into,
                                                const std::string& date) {
    auto refused = [](const std::string& why) { return make_error(Errc::invalid_argument, why); };
    if (from.id == into.id)
        return refused("a unit cannot be merged into itself");
    if (from.merged_into) {
        auto then = unit(*from.merged_into);
        return refused("unit " + named(from) + " was merged into " +
                       (then ? named(*then) : "#" + std::to_string(*from.merged_into)) + " on " +
                       from.valid_to.value_or("?") + " already");
    }
    if (from.valid_to && *from.valid_to <= date)
        return refused("unit " + named(from) + " ended on " + *from.valid_to);
    // Whatever `into` became: a unit merged into `from` (at any remove) would make a cycle.
    // Bounded: a database from before these checks may hold a cycle already.
    std::set<std::int64_t> seen{into.id};
    for (auto at = into; at.merged_into && seen.insert(*at.merged_into).second;) {
        if (*at.merged_into == from.id)
            return refused("merging " + named(from) + " into " + named(into) +
                           " would make a cycle: " + named(into) + " was merged into " +
                           named(from));
        auto next = unit(*at.merged_into);
        if (!next)
            return next.error();
        at = *next;
    }
    if (into.merged_into) {
        auto then = unit(*into.merged_into);
        return refused("unit " + named(into) + " ended on " + into.valid_to.value_or("?") +
                       " (merged into " +
                       (then ? named(*then) : "#" + std::to_string(*into.merged_into)) +
                       "): merge into the unit it became");
    }
    if (into.valid_to && *into.valid_to <= date)
        return refused("unit " + named(into) + " ends on " + *into.valid_to +
                       ": a unit cannot be merged into a unit that no longer exists");
    if (!from.parent && into.parent)
        return refused("a province cannot be merged into a commune: " + named(from) + " into " +
                       named(into));
    if (from.parent && !into.parent)
        return refused("a commune is merged into a commune, not into a province: " + named(from) +
                       " into " + named(into));
    if (date < from.valid_from || date < into.valid_from)
        return refused("a merge on " + date + " comes before " +
                       named(date < from.valid_from ? from : into) + " began (" +
                       std::max(from.valid_from, into.valid_from) + ")");
    // Its current name runs from named_from to the merge: never backwards.
    if (date < from.named_from)
        return refused("a merge on " + date + " comes before " + named(from) +
                       " bore its current name (from " + from.named_from + ")");
    return {};
}

common::Result<void> ScheduleStore::atomically(const std::function<common::Result<void>()>& work,
                                               bool keep) {
    common::Transaction tx(db_);
    if (auto done = work(); !done || !keep)
        return done; // undone as tx ends
    return tx.commit();
}

common::Result<void> ScheduleStore::merge_unit(std::int64_t unit, std::int64_t into,
                                               const std::string& date) {
    auto from = this->unit(unit);
    if (!from)
        return from.error();
    auto successor = this->unit(into);
    if (!successor)
        return successor.error();
    if (auto ok = check_merge(*from, *successor, date); !ok)
        return ok;
    auto s = db_.prepare("UPDATE unit SET valid_to = ?, merged_into = ? WHERE id = ?");
    s.bind(1, std::string_view(date)).bind(2, into).bind(3, unit);
    return s.run();
}

common::Result<Unit> ScheduleStore::unit(std::int64_t id) {
    auto s = db_.prepare(std::string(kUnitColumns) + "WHERE id = ?");
    s.bind(1, id);
    return one_unit(s, "no unit #" + std::to_string(id));
}

common::Result<Unit> ScheduleStore::unit_by_code(const std::string& code) {
    auto s = db_.prepare(std::string(kUnitColumns) + "WHERE code = ?");
    s.bind(1, std::string_view(code));
    return one_unit(s, "no unit with code \"" + code + "\"");
}

common::Result<Unit> ScheduleStore::one_unit(common::Statement& query, const std::string& missing) {
    auto row = query.step();
    if (!row)
        return row.error();
    if (!*row)
        return make_error(Errc::not_found, missing);
    return read_unit(query);
}

common::Result<std::int64_t> ScheduleStore::add_program(const Program& p) {
    if (auto u = unit(p.unit); !u)
        return u.error();
    if (p.title.empty())
        return make_error(Errc::invalid_argument, "a program needs a title");
    auto s =
        db_.prepare("INSERT INTO program (unit, kind, title, source, media, duration_ms, "
                    "voice, rate_wpm, emergency_record, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
    std::optional<std::int64_t> duration;
    if (p.duration)
        duration = p.duration->count();
    s.bind(1, p.unit)
        .bind(2, std::string_view(kinds[static_cast<int>(p.kind)]))
        .bind(3, std::string_view(p.title))
        .bind(4, std::string_view(p.source))
        .bind(5, std::string_view(p.media))
        .bind(6, duration)
        .bind(7, std::string_view(p.voice))
        .bind(8, std::int64_t{p.rate_wpm})
        .bind(9, std::int64_t{p.emergency_record ? 1 : 0});
    if (auto done = s.run(); !done)
        return done.error();
    return db_.last_insert_id();
}

common::Result<void> ScheduleStore::decide(std::int64_t program, Approval state,
                                           const std::string& who) {
    auto s = db_.prepare("UPDATE program SET approval = ?, decided_by = ?, "
                         "decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?");
    s.bind(1, std::string_view(to_string(state))).bind(2, std::string_view(who)).bind(3, program);
    if (auto done = s.run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no program #" + std::to_string(program));
    return {};
}

common::Result<Program> ScheduleStore::program(std::int64_t id) {
    auto s = db_.prepare(std::string(kProgramColumns) + "WHERE id = ?");
    s.bind(1, id);
    auto row = s.step();
    if (!row)
        return row.error();
    if (!*row)
        return make_error(Errc::not_found, "no program #" + std::to_string(id));
    return read_program(s);
}

common::Result<std::vector<Program>> ScheduleStore::programs() {
    auto s = db_.prepare(std::string(kProgramColumns) + "ORDER BY id");
    return common::collect<Program>(s, read_program);
}

common::Result<void> ScheduleStore::set_program_media(std::int64_t program,
                                                      const std::string& media,
                                                      std::chrono::milliseconds duration) {
    auto s = db_.prepare("UPDATE program SET media = ?, duration_ms = ? WHERE id = ?");
    s.bind(1, std::string_view(media))
        .bind(2, static_cast<std::int64_t>(duration.count()))
        .bind(3, program);
    if (auto done = s.run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no program #" + std::to_string(program));
    return {};
}

common::Result<void> ScheduleStore::keep_recording(std::int64_t program, const std::string& media,
                                                   std::chrono::milliseconds duration,
                                                   const std::string& source) {
    auto s = db_.prepare("UPDATE program SET kind = 'file', media = ?, duration_ms = ?, "
                         "source = ?, emergency_record = 0, approval = 'draft', decided_by = "
                         "NULL, decided_at = NULL WHERE id = ?");
    s.bind(1, std::string_view(media))
        .bind(2, static_cast<std::int64_t>(duration.count()))
        .bind(3, std::string_view(source))
        .bind(4, program);
    if (auto done = s.run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no program #" + std::to_string(program));
    return {};
}

common::Result<std::vector<Unit>> ScheduleStore::units() {
    auto s = db_.prepare(std::string(kUnitColumns) + "ORDER BY id");
    return common::collect<Unit>(s, read_unit);
}

common::Result<void> ScheduleStore::put_cluster(const Cluster& c) {
    if (c.id.empty() || c.id.find_first_of(" ,@") != std::string::npos)
        return make_error(Errc::invalid_argument,
                          "cluster id \"" + c.id +
                              "\" must be non-empty, without spaces, commas or @");
    if (auto u = unit(c.unit); !u)
        return u.error();
    auto s =
        db_.prepare("INSERT INTO cluster (id, unit, name) VALUES (?, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET unit = excluded.unit, name = excluded.name");
    s.bind(1, std::string_view(c.id)).bind(2, c.unit).bind(3, std::string_view(c.name));
    return s.run();
}

common::Result<void> ScheduleStore::put_clusters(const std::vector<Cluster>& clusters) {
    common::Transaction tx(db_);
    for (const auto& c : clusters)
        if (auto put = put_cluster(c); !put)
            return make_error(put.error().code, "cluster \"" + c.id + "\": " + put.error().message);
    return tx.commit();
}

common::Result<std::vector<Cluster>> ScheduleStore::clusters() {
    auto s = db_.prepare("SELECT id, unit, name FROM cluster ORDER BY id");
    return common::collect<Cluster>(s, [](const common::Statement& row) {
        return Cluster{row.text(0), row.integer(1), row.text(2)};
    });
}

} // namespace loa::schedules
