#include "loa/schedules/store.hpp"

#include <set>
#include <sstream>

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
};

const char* kinds[] = {"file", "tts", "relay", "live"};

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
    return u;
}

constexpr const char* kUnitColumns = "SELECT id, code, name, parent, valid_from, valid_to, "
                                     "merged_into, approval_required, quiet_start, quiet_end "
                                     "FROM unit ";

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

common::Result<void> ScheduleStore::merge_unit(std::int64_t unit, std::int64_t into,
                                               const std::string& date) {
    auto s = db_.prepare("UPDATE unit SET valid_to = ?, merged_into = ? WHERE id = ?");
    s.bind(1, std::string_view(date)).bind(2, into).bind(3, unit);
    if (auto done = s.run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no unit #" + std::to_string(unit));
    return {};
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
    auto s = db_.prepare("INSERT INTO program (unit, kind, title, source) VALUES (?, ?, ?, ?)");
    s.bind(1, p.unit)
        .bind(2, std::string_view(kinds[static_cast<int>(p.kind)]))
        .bind(3, std::string_view(p.title))
        .bind(4, std::string_view(p.source));
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
    auto s = db_.prepare(
        "SELECT id, unit, kind, title, source, approval, decided_by FROM program WHERE id = ?");
    s.bind(1, id);
    auto row = s.step();
    if (!row)
        return row.error();
    if (!*row)
        return make_error(Errc::not_found, "no program #" + std::to_string(id));
    Program p;
    p.id = s.integer(0);
    p.unit = s.integer(1);
    std::string kind = s.text(2);
    for (int k = 0; k < 4; ++k)
        if (kind == kinds[k])
            p.kind = static_cast<ProgramKind>(k);
    p.title = s.text(3);
    p.source = s.text(4);
    std::string approval = s.text(5);
    for (auto a : {Approval::draft, Approval::pending, Approval::approved, Approval::rejected})
        if (approval == to_string(a))
            p.approval = a;
    p.decided_by = s.optional_text(6);
    return p;
}

common::Result<std::int64_t> ScheduleStore::add_entry(const Entry& e, TimePoint now) {
    if (e.duration <= std::chrono::seconds(0))
        return make_error(Errc::invalid_argument, "duration must be positive");
    if (e.units.empty())
        return make_error(Errc::invalid_argument, "an entry needs at least one target unit");
    if (auto valid = validate(e.when); !valid)
        return valid.error();
    auto first = local_to_utc(e.when.start_local, e.when.time_zone);
    if (auto ok = check_targets(e, *first); !ok)
        return ok.error();
    if (auto ok = check_quiet_hours(e, now); !ok)
        return ok.error();
    if (auto ok = check_conflicts(e, now); !ok)
        return ok.error();

    common::Transaction tx(db_);
    auto s = db_.prepare("INSERT INTO schedule_entry (program, priority, start_local, time_zone, "
                         "rule, exceptions, duration_s) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, e.program)
        .bind(2, std::string_view(to_string(e.priority)))
        .bind(3, std::string_view(e.when.start_local))
        .bind(4, std::string_view(e.when.time_zone))
        .bind(5, std::string_view(e.when.rule))
        .bind(6, std::string_view(join(e.when.exceptions)))
        .bind(7, static_cast<std::int64_t>(e.duration.count()));
    if (auto done = s.run(); !done)
        return done.error();
    std::int64_t id = db_.last_insert_id();
    auto target = db_.prepare("INSERT INTO entry_target (entry, unit) VALUES (?, ?)");
    for (auto u : std::set<std::int64_t>(e.units.begin(), e.units.end())) {
        target.bind(1, id).bind(2, u);
        if (auto done = target.run(); !done)
            return done.error();
    }
    if (auto done = tx.commit(); !done)
        return done.error();
    return id;
}

common::Result<std::vector<Entry>> ScheduleStore::entries() {
    std::vector<Entry> out;
    auto s = db_.prepare("SELECT id, program, priority, start_local, time_zone, rule, exceptions, "
                         "duration_s FROM schedule_entry ORDER BY id");
    auto targets = db_.prepare("SELECT unit FROM entry_target WHERE entry = ? ORDER BY unit");
    for (;;) {
        auto row = s.step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        Entry e;
        e.id = s.integer(0);
        e.program = s.integer(1);
        e.priority = parse_priority(s.text(2)).value_or(PriorityClass::normal);
        e.when = Recurrence{s.text(3), s.text(4), s.text(5), split(s.text(6))};
        e.duration = std::chrono::seconds(s.integer(7));
        targets.bind(1, e.id);
        while (true) {
            auto t = targets.step();
            if (!t)
                return t.error();
            if (!*t)
                break;
            e.units.push_back(targets.integer(0));
        }
        targets.reset();
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<std::int64_t> ScheduleStore::covered_units(const std::vector<std::int64_t>& units) {
    std::set<std::int64_t> covered(units.begin(), units.end());
    auto children = db_.prepare("SELECT id FROM unit WHERE parent = ? AND merged_into IS NULL");
    for (auto u : units) {
        children.bind(1, u);
        while (true) {
            auto row = children.step();
            if (!row || !*row)
                break;
            covered.insert(children.integer(0));
        }
        children.reset();
    }
    return {covered.begin(), covered.end()};
}

common::Result<std::vector<ScheduledEntry>> ScheduleStore::scheduled_entries() {
    auto all = entries();
    if (!all)
        return all.error();
    std::vector<ScheduledEntry> out;
    for (const auto& e : *all) {
        ScheduledEntry s{e.id, e.program, e.priority, {}, e.when, e.duration};
        for (auto u : covered_units(e.units)) {
            auto found = unit(u);
            if (!found)
                return found.error();
            s.channels.push_back(found->code);
        }
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace loa::schedules
