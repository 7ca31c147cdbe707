#pragma once
/// @file
/// A unit's schedule as an iCalendar file (RFC 5545): exported for calendar apps and for
/// moving a schedule between servers, imported all or nothing through the store's checks.

#include <cstdint>
#include <functional>
#include <optional>
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

/// Whether a caller may save an entry (e.g. use its program); its error refuses the entry.
using EntryCheck = std::function<common::Result<void>(const Entry&)>;

/// How an iCalendar file's events become entries.
struct IcsImportOptions {
    /// Every event plays this program (a calendar made in an ordinary calendar application,
    /// whose events name no program); X-LOA-PROGRAM is then ignored.
    std::optional<std::int64_t> program;
    /// An event without X-LOA-PROGRAM plays the one program titled as its SUMMARY that the
    /// caller may use (neither rejected nor an emergency's record); none or several is an error
    /// that names them.
    bool match_titles = false;
    /// Check every event as the import would, save nothing, and list every refusal instead of
    /// stopping at the first.
    bool dry_run = false;
};

/// The most events one import takes (it holds the database's write lock while it checks them).
inline constexpr std::size_t kMaxImportedEvents = 500;

/// What an import saved, or in a dry run would save.
struct IcsImport {
    std::vector<Entry> entries;       ///< in the order of the events (ids unset in a dry run)
    std::vector<std::string> events;  ///< each entry's event: UID and SUMMARY
    std::vector<std::string> refused; ///< dry run: each refused event and why
};

/// Saves every VEVENT of an iCalendar text as an entry of `unit`, all or none, in one
/// transaction (the entries are checked against each other as against the schedule).
///
/// The program comes from `options` (program, or X-LOA-PROGRAM, or the title); the targets
/// from X-LOA-UNITS (codes) and X-LOA-CLUSTERS, or `unit` itself when both are missing; the
/// class from X-LOA-PRIORITY (default normal); the recurrence from DTSTART with its TZID (a UTC
/// or floating DTSTART is read in kDefaultTimeZone), RRULE and EXDATE; the duration from
/// DURATION or DTEND - DTSTART. Targets must be `unit`, one of its communes, or a cluster of
/// those. Each entry is saved with ScheduleStore::add_entry(entry, now); the error names the
/// event (UID and SUMMARY) and the reason. `check`, if given, sees every entry before it is
/// saved (whether the caller may use its program).
common::Result<IcsImport> import_calendar(ScheduleStore& store, std::int64_t unit,
                                          std::string_view text, TimePoint now,
                                          const IcsImportOptions& options,
                                          const EntryCheck& check = {});

/// import_calendar with the default options (X-LOA-PROGRAM on every event): the new ids.
common::Result<std::vector<std::int64_t>> import_ics(ScheduleStore& store, std::int64_t unit,
                                                     std::string_view text, TimePoint now,
                                                     const EntryCheck& check = {});

} // namespace loa::schedules
