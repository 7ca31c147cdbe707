#include "loa/server/supervision/alarm_book.hpp"

#include <algorithm>

#include "loa/common/logging.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

auto log() {
    static auto logger = common::logger("alarms");
    return logger;
}

const std::vector<common::Migration> kMigrations = {
    {1, "CREATE TABLE alarm (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
        "severity TEXT NOT NULL, subject TEXT NOT NULL, unit INTEGER, "
        "raised_ms INTEGER NOT NULL, cleared_ms INTEGER, acknowledged_by TEXT, "
        "acknowledged_ms INTEGER, text_vi TEXT NOT NULL, text_en TEXT NOT NULL, "
        "figures TEXT NOT NULL);"
        // One active alarm per kind and subject: one alarm per episode.
        "CREATE UNIQUE INDEX alarm_active ON alarm (kind, subject) WHERE cleared_ms IS NULL;"
        "CREATE INDEX alarm_raised ON alarm (raised_ms);"},
    // The indicators find the alarms that were active on a day by when they cleared.
    {2, "CREATE INDEX alarm_cleared ON alarm (cleared_ms);"},
};

constexpr const char* kColumns =
    "SELECT id, kind, severity, subject, unit, raised_ms, cleared_ms, acknowledged_by, "
    "acknowledged_ms, text_vi, text_en, figures FROM alarm ";

schedules::Millis at_ms(std::int64_t ms) {
    return schedules::Millis(std::chrono::milliseconds(ms));
}

std::optional<schedules::Millis> optional_at(const common::Statement& row, int column) {
    auto ms = row.optional_integer(column);
    return ms ? std::optional(at_ms(*ms)) : std::nullopt;
}

Alarm read_alarm(const common::Statement& row) {
    Alarm a;
    a.id = row.integer(0);
    a.fault.kind = parse_alarm_kind(row.text(1)).value_or(AlarmKind::cluster_offline);
    a.fault.severity = parse_severity(row.text(2)).value_or(Severity::major);
    a.fault.subject = row.text(3);
    a.fault.unit = row.optional_integer(4);
    a.raised_at = at_ms(row.integer(5));
    a.cleared_at = optional_at(row, 6);
    a.acknowledged_by = row.optional_text(7).value_or("");
    a.acknowledged_at = optional_at(row, 8);
    a.fault.text_vi = row.text(9);
    a.fault.text_en = row.text(10);
    std::error_code ec;
    auto figures = json::parse(row.text(11), ec);
    if (!ec && figures.is_object())
        a.fault.figures = figures.as_object();
    return a;
}

/// Gravest first, then newest first.
bool graver(const Alarm& a, const Alarm& b) {
    if (a.fault.severity != b.fault.severity)
        return a.fault.severity < b.fault.severity;
    return a.raised_at != b.raised_at ? a.raised_at > b.raised_at : a.id > b.id;
}

} // namespace

bool matches(const Alarm& alarm, const AlarmFilter& filter) {
    if (filter.kind && alarm.fault.kind != *filter.kind)
        return false;
    if (filter.severity && alarm.fault.severity > *filter.severity)
        return false;
    if (filter.units && (!alarm.fault.unit || !filter.units->contains(*alarm.fault.unit)))
        return false;
    return true;
}

AlarmBook::AlarmBook(const std::string& database, const common::Clock& clock, Notify notify,
                     Stage stage)
    : clock_(clock), notify_(std::move(notify)), stage_(std::move(stage)), db_(database) {
    db_.migrate("alarms", kMigrations);
    auto s = db_.prepare(std::string(kColumns) + "WHERE cleared_ms IS NULL");
    auto active = common::collect<Alarm>(s, read_alarm);
    if (!active)
        throw std::runtime_error("alarms: " + active.error().message);
    for (auto& a : *active)
        active_.emplace(std::pair(a.fault.kind, a.fault.subject), std::move(a));
}

common::Result<std::pair<int, int>>
AlarmBook::reconcile(AlarmKind kind, const std::vector<Fault>& present,
                     const std::set<std::string>& undetermined) {
    std::vector<std::pair<Alarm, AlarmEvent>> events;
    {
        std::lock_guard lock(mutex_);
        std::set<std::string> subjects = undetermined;
        std::vector<Fault> to_raise;
        std::vector<decltype(active_)::iterator> to_clear;
        for (const auto& fault : present) {
            if (!subjects.insert(fault.subject).second)
                continue;
            auto it = active_.find({kind, fault.subject});
            // A cause grown graver (a certificate now expired) is a new alarm at its severity.
            if (it != active_.end() && fault.severity < it->second.fault.severity)
                to_clear.push_back(it);
            else if (it != active_.end())
                continue;
            to_raise.push_back(fault);
            to_raise.back().kind = kind;
        }
        for (auto it = active_.begin(); it != active_.end(); ++it)
            if (it->first.first == kind && !subjects.contains(it->first.second))
                to_clear.push_back(it);
        if (to_raise.empty() && to_clear.empty())
            return std::pair{0, 0};
        // All or nothing, with what the stage hook keeps (webhooks' deliveries): a province's
        // clusters lost at once are one transaction, and no event is lost on the way.
        common::Transaction tx(db_);
        for (auto it : to_clear) {
            Alarm cleared = it->second;
            if (auto done = clear(cleared); !done)
                return done.error();
            events.emplace_back(std::move(cleared), AlarmEvent::cleared);
        }
        for (const auto& fault : to_raise) {
            auto raised = raise(fault);
            if (!raised)
                return raised.error();
            events.emplace_back(std::move(*raised), AlarmEvent::raised);
        }
        for (const auto& [alarm, event] : events)
            if (auto staged = stage(alarm, event); !staged)
                return staged.error();
        if (auto done = tx.commit(); !done)
            return done.error();
        for (auto it : to_clear)
            active_.erase(it);
        for (const auto& [alarm, event] : events)
            if (event == AlarmEvent::raised)
                active_.emplace(std::pair(alarm.fault.kind, alarm.fault.subject), alarm);
    }
    for (const auto& [alarm, event] : events) {
        log()->info("{} {} alarm #{} ({}): {}", event == AlarmEvent::raised ? "raised" : "cleared",
                    to_string(alarm.fault.severity), alarm.id, to_string(alarm.fault.kind),
                    alarm.fault.text_en);
        if (notify_)
            notify_(alarm, event);
    }
    auto raised = std::count_if(events.begin(), events.end(),
                                [](const auto& e) { return e.second == AlarmEvent::raised; });
    return std::pair{static_cast<int>(raised), static_cast<int>(events.size() - raised)};
}

common::Result<void> AlarmBook::stage(const Alarm& alarm, AlarmEvent event) {
    return stage_ ? stage_(db_, alarm, event) : common::Result<void>{};
}

common::Result<Alarm> AlarmBook::raise(const Fault& fault) {
    Alarm a;
    a.fault = fault;
    a.raised_at = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.system_now());
    auto insert = db_.prepare("INSERT INTO alarm (kind, severity, subject, unit, raised_ms, "
                              "text_vi, text_en, figures) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, to_string(fault.kind))
        .bind(2, to_string(fault.severity))
        .bind(3, std::string_view(fault.subject))
        .bind(4, fault.unit)
        .bind(5, a.raised_at.time_since_epoch().count())
        .bind(6, std::string_view(fault.text_vi))
        .bind(7, std::string_view(fault.text_en))
        .bind(8, json::serialize(fault.figures));
    if (auto done = insert.run(); !done)
        return done.error();
    a.id = db_.last_insert_id();
    return a;
}

common::Result<void> AlarmBook::clear(Alarm& alarm) {
    alarm.cleared_at = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.system_now());
    auto update = db_.prepare("UPDATE alarm SET cleared_ms = ? WHERE id = ?");
    update.bind(1, alarm.cleared_at->time_since_epoch().count()).bind(2, alarm.id);
    return update.run();
}

std::vector<Alarm> AlarmBook::active(const AlarmFilter& filter) const {
    std::vector<Alarm> out;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, alarm] : active_)
            if (matches(alarm, filter))
                out.push_back(alarm);
    }
    std::sort(out.begin(), out.end(), graver);
    if (out.size() > filter.limit)
        out.resize(filter.limit);
    return out;
}

common::Result<std::vector<Alarm>> AlarmBook::history(const AlarmFilter& filter) {
    // Kind and time narrow the query; severity and units are filtered here, row by row, until
    // `limit` match.
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(std::string(kColumns) +
                         "WHERE raised_ms >= ? AND raised_ms < ? AND (?3 IS NULL OR kind = ?3) "
                         "ORDER BY raised_ms DESC, id DESC");
    s.bind(1, filter.from ? filter.from->time_since_epoch().count() : INT64_MIN)
        .bind(2, filter.to ? filter.to->time_since_epoch().count() : INT64_MAX)
        .bind(3, filter.kind ? std::optional(std::string(to_string(*filter.kind))) : std::nullopt);
    std::vector<Alarm> out;
    while (out.size() < filter.limit) {
        auto row = s.step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        auto a = read_alarm(s);
        if (matches(a, filter))
            out.push_back(std::move(a));
    }
    return out;
}

common::Result<Alarm> AlarmBook::find(std::int64_t id) {
    std::lock_guard lock(mutex_);
    return find_locked(id);
}

common::Result<Alarm> AlarmBook::find_locked(std::int64_t id) {
    auto s = db_.prepare(std::string(kColumns) + "WHERE id = ?");
    s.bind(1, id);
    auto rows = common::collect<Alarm>(s, read_alarm);
    if (!rows)
        return rows.error();
    if (rows->empty())
        return common::make_error(common::Errc::not_found, "no alarm #" + std::to_string(id));
    return rows->front();
}

common::Result<Alarm> AlarmBook::acknowledge(std::int64_t id, const std::string& who) {
    auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.system_now());
    common::Result<Alarm> alarm = common::make_error(common::Errc::not_found, "");
    bool first = false;
    {
        std::lock_guard lock(mutex_);
        common::Transaction tx(db_);
        auto update = db_.prepare("UPDATE alarm SET acknowledged_by = ?, acknowledged_ms = ? "
                                  "WHERE id = ? AND acknowledged_by IS NULL");
        update.bind(1, std::string_view(who)).bind(2, now.time_since_epoch().count()).bind(3, id);
        if (auto done = update.run(); !done)
            return done.error();
        first = db_.changes() == 1;
        alarm = find_locked(id);
        if (!alarm)
            return alarm;
        if (first) {
            if (auto staged = stage(*alarm, AlarmEvent::acknowledged); !staged)
                return staged.error();
        }
        if (auto done = tx.commit(); !done)
            return done.error();
        if (first)
            for (auto& [key, a] : active_)
                if (a.id == id) {
                    a.acknowledged_by = who;
                    a.acknowledged_at = now;
                }
    }
    if (first && notify_)
        notify_(*alarm, AlarmEvent::acknowledged);
    return alarm;
}

void AlarmBook::note_units_merged(const std::vector<std::int64_t>& units, std::int64_t into) {
    std::lock_guard lock(mutex_);
    for (auto& [key, alarm] : active_)
        if (alarm.fault.unit &&
            std::find(units.begin(), units.end(), *alarm.fault.unit) != units.end())
            alarm.fault.unit = into;
}

void AlarmBook::note_unit_split(std::int64_t unit, std::int64_t rest,
                                const std::map<std::string, std::int64_t>& by_subject) {
    std::lock_guard lock(mutex_);
    for (auto& [key, alarm] : active_)
        if (alarm.fault.unit == unit) {
            auto part = by_subject.find(alarm.fault.subject);
            alarm.fault.unit = part != by_subject.end() ? part->second : rest;
        }
}

std::map<std::tuple<AlarmKind, Severity, std::optional<std::int64_t>>, std::int64_t>
AlarmBook::active_counts() const {
    std::map<std::tuple<AlarmKind, Severity, std::optional<std::int64_t>>, std::int64_t> out;
    std::lock_guard lock(mutex_);
    for (const auto& [key, alarm] : active_)
        ++out[{alarm.fault.kind, alarm.fault.severity, alarm.fault.unit}];
    return out;
}

} // namespace loa::server
