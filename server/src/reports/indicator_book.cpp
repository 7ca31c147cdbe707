// The frozen reporting days and their corrections, in loa.db.
#include "loa/common/logging.hpp"
#include "loa/server/reports/indicators.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
using common::Errc;
using common::make_error;
using schedules::Millis;

const std::vector<common::Migration> kMigrations = {
    {1, R"(
CREATE TABLE indicator_day (
    date TEXT NOT NULL,
    unit INTEGER NOT NULL,
    figures TEXT NOT NULL,
    frozen_at_ms INTEGER NOT NULL,
    PRIMARY KEY (date, unit)
);
CREATE TABLE indicator_frozen (date TEXT PRIMARY KEY, frozen_at_ms INTEGER NOT NULL);
CREATE TABLE indicator_correction (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    date TEXT NOT NULL,
    unit INTEGER NOT NULL,
    figures TEXT NOT NULL,
    recorded_at_ms INTEGER NOT NULL
);
CREATE INDEX indicator_correction_by_day ON indicator_correction(date, unit);
CREATE TRIGGER indicator_day_kept BEFORE UPDATE ON indicator_day
BEGIN SELECT RAISE(ABORT, 'a frozen day is never rewritten: record a correction'); END;
CREATE TRIGGER indicator_day_not_deleted BEFORE DELETE ON indicator_day
BEGIN SELECT RAISE(ABORT, 'a frozen day is never deleted'); END;
)"},
};

auto log() {
    static auto logger = common::logger("indicators");
    return logger;
}

std::int64_t ms(Millis at) {
    return at.time_since_epoch().count();
}

std::string day_after(const std::string& date, int days = 1) {
    int y = 0;
    unsigned m = 0, d = 0;
    std::sscanf(date.c_str(), "%d-%u-%u", &y, &m, &d);
    std::chrono::sys_days day{std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)};
    std::chrono::year_month_day next(day + std::chrono::days(days));
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(next.year()),
                  static_cast<unsigned>(next.month()), static_cast<unsigned>(next.day()));
    return text;
}

} // namespace

IndicatorBook::IndicatorBook(const std::string& database, IndicatorSettings settings,
                             const common::Clock& clock)
    : settings_(std::move(settings)), clock_(clock), db_(database), store_(database) {
    db_.migrate("indicators", kMigrations);
}

Millis IndicatorBook::now() const {
    return std::chrono::floor<std::chrono::milliseconds>(clock_.system_now());
}

std::string IndicatorBook::today() const {
    return reporting_date(now(), settings_.time_zone, settings_.cutoff);
}

common::Result<std::map<std::int64_t, DayFigures>> IndicatorBook::compute(const std::string& date) {
    auto [from, to] = reporting_day(date, settings_.time_zone, settings_.cutoff);
    return compute_day(db_, store_, date, from, to, now());
}

common::Result<std::vector<std::string>> IndicatorBook::freeze_due() {
    std::lock_guard lock(mutex_);
    auto last_due = day_after(today(), -1); // the latest day whose cut-off has passed
    auto q = db_.prepare("SELECT MAX(date) FROM indicator_frozen");
    std::optional<std::string> newest;
    if (q.step().value_or(false))
        newest = q.optional_text(0);
    q.reset(); // no read left open under the writes below
    std::vector<std::string> frozen_now;
    if (newest && *newest >= last_due)
        return frozen_now;
    // Days the server was off are frozen when it comes back (400 days at most).
    auto date = newest ? day_after(*newest) : last_due;
    if (day_after(date, 400) < last_due)
        date = day_after(last_due, -400);
    for (; date <= last_due; date = day_after(date)) {
        if (auto done = freeze(date); !done)
            return done.error();
        frozen_now.push_back(date);
    }
    for (int back = 1; back <= settings_.recheck_days; ++back)
        if (auto done = recheck(day_after(frozen_now.front(), -back)); !done)
            return done.error();
    return frozen_now;
}

common::Result<void> IndicatorBook::freeze(const std::string& date) {
    auto figures = compute(date);
    if (!figures)
        return figures.error();
    common::Transaction tx(db_);
    auto insert = db_.prepare(
        "INSERT INTO indicator_day (date, unit, figures, frozen_at_ms) VALUES (?, ?, ?, ?)");
    for (const auto& [unit, f] : *figures) {
        insert.bind(1, date).bind(2, unit).bind(3, json::serialize(to_json(f))).bind(4, ms(now()));
        if (auto done = insert.run(); !done)
            return done.error();
    }
    auto mark = db_.prepare("INSERT INTO indicator_frozen (date, frozen_at_ms) VALUES (?, ?)");
    mark.bind(1, date).bind(2, ms(now()));
    if (auto done = mark.run(); !done)
        return done.error();
    if (auto done = tx.commit(); !done)
        return done.error();
    log()->info("indicators of {} frozen ({} units)", date, figures->size());
    return {};
}

common::Result<std::map<std::int64_t, DayFigures>> IndicatorBook::frozen(const std::string& date) {
    std::map<std::int64_t, DayFigures> out;
    auto q = db_.prepare("SELECT unit, figures FROM indicator_day WHERE date = ?");
    q.bind(1, date);
    auto read = common::for_each_row(q, [&](const common::Statement& row) {
        out[row.integer(0)] = day_figures_from_json(json::parse(row.text(1)));
    });
    if (!read)
        return read.error();
    return out;
}

common::Result<void> IndicatorBook::recheck(const std::string& date) {
    auto was = db_.prepare("SELECT 1 FROM indicator_frozen WHERE date = ?");
    was.bind(1, date);
    bool frozen_before = was.step().value_or(false);
    was.reset();
    if (!frozen_before)
        return {};
    auto kept = frozen(date);
    if (!kept)
        return kept.error();
    auto latest = corrections_of(date, date);
    if (!latest)
        return latest.error();
    for (const auto& c : *latest) // the newest correction of each unit stands for it
        (*kept)[c.unit] = c.figures;
    auto now_figures = compute(date);
    if (!now_figures)
        return now_figures.error();
    auto insert = db_.prepare("INSERT INTO indicator_correction (date, unit, figures, "
                              "recorded_at_ms) VALUES (?, ?, ?, ?)");
    for (const auto& [unit, f] : *now_figures) {
        auto it = kept->find(unit);
        if (it != kept->end() && it->second == f)
            continue;
        if (it == kept->end() && f == DayFigures{})
            continue;
        insert.bind(1, date).bind(2, unit).bind(3, json::serialize(to_json(f))).bind(4, ms(now()));
        if (auto done = insert.run(); !done)
            return done.error();
        log()->info("indicators of {}: unit {} corrected", date, unit);
    }
    return {};
}

common::Result<std::vector<Correction>> IndicatorBook::corrections(const std::string& first,
                                                                   const std::string& last) {
    std::lock_guard lock(mutex_);
    return corrections_of(first, last);
}

common::Result<std::vector<schedules::Unit>> IndicatorBook::units() {
    std::lock_guard lock(mutex_);
    return store_.units();
}

common::Result<std::vector<Correction>> IndicatorBook::corrections_of(const std::string& first,
                                                                      const std::string& last) {
    auto q = db_.prepare("SELECT id, date, unit, figures, recorded_at_ms FROM indicator_correction "
                         "WHERE date >= ? AND date <= ? ORDER BY id");
    q.bind(1, first).bind(2, last);
    return common::collect<Correction>(q, [](const common::Statement& row) {
        return Correction{row.integer(0), row.text(1), row.integer(2),
                          day_figures_from_json(json::parse(row.text(3))),
                          Millis(std::chrono::milliseconds(row.integer(4)))};
    });
}

common::Result<std::map<std::string, std::map<std::int64_t, DayFigures>>>
IndicatorBook::days(const std::string& first, const std::string& last,
                    std::set<std::string>& frozen_dates) {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::map<std::int64_t, DayFigures>> out;
    auto frozen_days =
        db_.prepare("SELECT date FROM indicator_frozen WHERE date >= ? AND date <= ?");
    frozen_days.bind(1, first).bind(2, last);
    while (frozen_days.step().value_or(false))
        frozen_dates.insert(frozen_days.text(0));
    auto q =
        db_.prepare("SELECT date, unit, figures FROM indicator_day WHERE date >= ? AND date <= ?");
    q.bind(1, first).bind(2, last);
    auto read = common::for_each_row(q, [&](const common::Statement& row) {
        out[row.text(0)][row.integer(1)] = day_figures_from_json(json::parse(row.text(2)));
    });
    if (!read)
        return read.error();
    // The day under way, and days not frozen (before the first cut-off), as they are now.
    auto today_date = today();
    for (auto date = first; date <= last && date <= today_date; date = day_after(date)) {
        if (frozen_dates.count(date) != 0)
            continue;
        auto figures = compute(date);
        if (!figures)
            return figures.error();
        out[date] = std::move(*figures);
    }
    return out;
}

} // namespace loa::server
