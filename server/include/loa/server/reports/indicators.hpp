#pragma once
/// @file
/// The indicators a province's operations centre and the ministry read (docs/indicators.md):
/// each unit's figures per reporting day (the 24 hours that end at the daily cut-off),
/// computed from what loa.db holds (clusters online, alarms, the as-run log, the schedule,
/// emergencies, bulletins), frozen at the cut-off and never rewritten; weeks, months and years
/// are sums of days.

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/schedules/store.hpp"

namespace loa::server {

/// One emergency as one unit saw it.
struct EmergencyReach {
    std::int64_t call_ms = 0;  ///< when it was called
    std::int64_t targeted = 0; ///< clusters on its channels
    std::int64_t reached = 0;  ///< of them, those that verifiably played it
    /// When the first and the last of them began to play it (0: none did, or not known).
    std::int64_t first_ms = 0, last_ms = 0;
};

/// One unit's figures over one reporting day, its own clusters and channel only (a province's
/// communes have their own). Every field adds up over days and units, so that periods and a
/// province's total are sums.
struct DayFigures {
    // Clusters.
    std::int64_t clusters = 0;        ///< provisioned at the day's last sample
    std::int64_t samples = 0;         ///< samples of clusters online taken (every 5 minutes)
    std::int64_t samples_working = 0; ///< of them, with at least one cluster online
    std::int64_t online_sum = 0;      ///< clusters online, summed over the samples
    std::int64_t cluster_sum = 0;     ///< clusters provisioned, summed over the samples
    std::int64_t played = 0;          ///< most clusters that verifiably played one airing
    std::set<std::string> faulty;     ///< clusters with a fault alarm during the day
    double alarm_minutes = 0;         ///< their alarms' minutes within the day
    // Broadcasts, counted the day they started; minutes within the day.
    std::map<std::string, std::int64_t> airings_by_priority, airings_by_source;
    std::map<std::string, double> minutes_by_priority, minutes_by_source;
    std::int64_t scheduled = 0; ///< occurrences due on its channel
    std::int64_t missed = 0;    ///< of them, never on air
    std::int64_t delayed_airings = 0, delay_ms_sum = 0, delay_ms_max = 0; ///< start delay
    // Emergencies, by override id.
    std::map<std::int64_t, EmergencyReach> emergencies;
    // Bulletins (text programs) of the unit.
    std::int64_t bulletins_created = 0, bulletins_approved = 0, bulletins_rejected = 0;
    std::vector<std::int64_t> approval_ms; ///< creation to approval, of those approved

    bool operator==(const DayFigures&) const = default;
    /// Adds `other` (another day, or another unit of the same day).
    void add(const DayFigures& other);
};

bool operator==(const EmergencyReach& a, const EmergencyReach& b);

boost::json::value to_json(const DayFigures& figures);
DayFigures day_figures_from_json(const boost::json::value& v);

/// The reporting day `date` ("YYYY-MM-DD") in `zone` with the daily `cutoff` ("HH:MM"): the 24
/// hours that end at its cut-off (with "00:00", the calendar day): [from, to) in UTC.
std::pair<schedules::Millis, schedules::Millis>
reporting_day(const std::string& date, const std::string& zone, const std::string& cutoff);
/// The reporting day `at` falls in.
std::string reporting_date(schedules::Millis at, const std::string& zone,
                           const std::string& cutoff);

/// Each unit's figures (by unit id) over [from, to), as of `now` (later parts are not there
/// yet), read from the server's database `db`.
common::Result<std::map<std::int64_t, DayFigures>>
compute_day(common::Database& db, schedules::ScheduleStore& store, const std::string& date,
            schedules::Millis from, schedules::Millis to, schedules::Millis now);

/// How the indicators are kept.
struct IndicatorSettings {
    std::string time_zone = "Asia/Ho_Chi_Minh";
    std::string cutoff = "17:00"; ///< local "HH:MM": the day's figures are frozen then
    /// Frozen days checked again at each cut-off: a later difference is a correction.
    int recheck_days = 7;
};

/// A frozen day's figures found different later: kept beside the history, never in it.
struct Correction {
    std::int64_t id = 0;
    std::string date;
    std::int64_t unit = 0;
    DayFigures figures; ///< as computed when the difference was found
    schedules::Millis recorded_at{};
};

/// The frozen days and their corrections (tables indicator_day and indicator_correction of
/// loa.db; the database refuses to change or delete a frozen day). Thread-safe.
class IndicatorBook {
public:
    IndicatorBook(const std::string& database, IndicatorSettings settings,
                  const common::Clock& clock);

    /// Freezes every reporting day whose cut-off has passed and is not frozen yet (on a first
    /// start, the last one only), and checks the frozen days before it again (corrections).
    /// Returns the dates frozen.
    common::Result<std::vector<std::string>> freeze_due();
    /// The figures of each unit on each reporting day in [first, last]: frozen days as frozen
    /// (their dates added to `frozen`), the others up to the day under way as computed now.
    /// By date, then unit id.
    common::Result<std::map<std::string, std::map<std::int64_t, DayFigures>>>
    days(const std::string& first, const std::string& last, std::set<std::string>& frozen);
    /// The corrections of days in [first, last].
    common::Result<std::vector<Correction>> corrections(const std::string& first,
                                                        const std::string& last);
    /// The reporting day under way now.
    std::string today() const;
    const IndicatorSettings& settings() const { return settings_; }
    /// Every unit, ended ones too.
    common::Result<std::vector<schedules::Unit>> units();

private:
    common::Result<std::map<std::int64_t, DayFigures>> compute(const std::string& date);
    common::Result<void> freeze(const std::string& date);
    common::Result<void> recheck(const std::string& date);
    common::Result<std::map<std::int64_t, DayFigures>> frozen(const std::string& date);
    common::Result<std::vector<Correction>> corrections_of(const std::string& first,
                                                           const std::string& last);
    schedules::Millis now() const;

    IndicatorSettings settings_;
    const common::Clock& clock_;
    std::mutex mutex_;
    common::Database db_;
    schedules::ScheduleStore store_;
};

} // namespace loa::server
