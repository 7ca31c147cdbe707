#pragma once
/// @file
/// A unit's schedule as an iCalendar file (RFC 5545): exported for calendar apps and for
/// moving a schedule between servers, imported all or nothing through the store's checks.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "loa/common/result.hpp"
#include "loa/schedules/recurrence.hpp"
#include "loa/schedules/store.hpp"

namespace loa::schedules {

/// The PRODID written in every exported calendar.
inline constexpr const char* kIcsProductId = "-//Loa//Loa schedule//EN";

/// The schedule of `unit` as a VCALENDAR named after the unit (X-WR-CALNAME "<code> <name>"):
/// one VEVENT per entry that targets the unit itself or one of its clusters (an entry of the
/// province is exported with the province, not with each commune). Each VEVENT carries UID
/// "entry-<id>@loa", DTSTART;TZID=<zone> in local time, DURATION, the RRULE exactly as saved,
/// one EXDATE per exception and SUMMARY (the program's title); what iCalendar lacks travels as
/// X-LOA-PROGRAM, X-LOA-PRIORITY, X-LOA-UNITS (unit codes) and X-LOA-CLUSTERS (omitted if
/// none). Lines end in CRLF and are folded at 75 octets.
common::Result<std::string> export_ics(ScheduleStore& store, std::int64_t unit);

/// Saves every VEVENT of an iCalendar text as an entry of `unit`, all or none, and returns the
/// new ids in the order of the events.
///
/// The program comes from X-LOA-PROGRAM (required); the targets from X-LOA-UNITS (codes) and
/// X-LOA-CLUSTERS, or `unit` itself when both are missing; the class from X-LOA-PRIORITY (default
/// normal); the recurrence from DTSTART with its TZID (a UTC or floating DTSTART is read in
/// kDefaultTimeZone), RRULE and EXDATE; the duration from DURATION or DTEND - DTSTART.
/// Targets must be `unit`, one of its communes, or a cluster of those. Each entry is saved
/// with ScheduleStore::add_entry(entry, now); if any event is malformed or refused, the
/// entries this import already saved are removed and the error names the event (UID and
/// SUMMARY) and the reason. `check`, if given, sees every entry read before any is saved
/// (e.g. whether the caller may use its program); its error refuses the whole import.
common::Result<std::vector<std::int64_t>>
import_ics(ScheduleStore& store, std::int64_t unit, std::string_view text, TimePoint now,
           const std::function<common::Result<void>(const Entry&)>& check = {});

} // namespace loa::schedules
