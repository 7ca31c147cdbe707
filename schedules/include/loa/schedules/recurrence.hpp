#pragma once
/// @file
/// When a schedule entry happens: a local start time in a named time zone and an optional
/// iCalendar recurrence rule (RFC 5545 RRULE, through libical) with exception dates.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "loa/common/result.hpp"

namespace loa::schedules {

/// A point in time, UTC, to the second.
using TimePoint = std::chrono::sys_seconds;

/// The default zone of Vietnamese provinces.
inline constexpr const char* kDefaultTimeZone = "Asia/Ho_Chi_Minh";

/// A start and how it repeats.
struct Recurrence {
    std::string start_local;                  ///< "2026-11-23T06:30:00", wall time in time_zone
    std::string time_zone = kDefaultTimeZone; ///< IANA name
    std::string rule;                    ///< RRULE value, e.g. "FREQ=WEEKLY;BYDAY=MO,WE"; "" = once
    std::vector<std::string> exceptions; ///< local start times that are skipped (EXDATE)
};

/// Checks a recurrence; the error names what is wrong and how to write it.
common::Result<void> validate(const Recurrence& recurrence);

/// Starts of the occurrences in [from, to), ascending, at most `limit` of them.
common::Result<std::vector<TimePoint>> occurrences(const Recurrence& recurrence, TimePoint from,
                                                   TimePoint to, std::size_t limit = 10000);

/// "2026-11-23T06:30:00" in `time_zone` as a UTC time point; errors name the bad part.
common::Result<TimePoint> local_to_utc(const std::string& local, const std::string& time_zone);

/// A UTC time point as local wall time "YYYY-MM-DDTHH:MM:SS" in `time_zone`.
common::Result<std::string> utc_to_local(TimePoint at, const std::string& time_zone);

/// The VTIMEZONE component of `time_zone` (RFC 5545 §3.6.5) as iCalendar text, its TZID the
/// zone's plain IANA name, as DTSTART;TZID= names it, with the zone's rules from `from` on.
common::Result<std::string> vtimezone(const std::string& time_zone, TimePoint from);

/// The recurrence's rule with its UNTIL as a UTC date-time, as RFC 5545 §3.3.10 requires with a
/// DTSTART in a zone: a date alone means that local day's midnight (as the schedule expands it:
/// the day itself is not included), a time without Z local wall time. A rule without UNTIL, or
/// already in UTC, comes back as it is.
common::Result<std::string> rule_with_utc_until(const Recurrence& recurrence);

} // namespace loa::schedules
