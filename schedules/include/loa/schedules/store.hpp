#pragma once
/// @file
/// The schedule store (SQLite): units, programs with their approval state, and schedule entries,
/// validated when they are saved so that a wrong schedule is refused with a reason instead of
/// being discovered on air.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/schedules/priority.hpp"
#include "loa/schedules/recurrence.hpp"
#include "loa/schedules/resolver.hpp"

namespace loa::schedules {

/// The province or one of its communes/wards. Each unit has a channel named by its code.
struct Unit {
    std::int64_t id = 0;
    std::string code; ///< administrative code; also its channel id
    std::string name;
    std::optional<std::int64_t> parent;    ///< the province, for a commune
    std::string valid_from = "2025-07-01"; ///< ISO date
    std::optional<std::string> valid_to;   ///< set when the unit ends (merged away)
    std::optional<std::int64_t> merged_into;
    bool approval_required = true;
    std::string quiet_start = "22:00"; ///< local time; normal and priority entries are refused
    std::string quiet_end = "05:00";   ///< from quiet_start up to quiet_end
};

/// What a program is made of.
enum class ProgramKind { file, tts, relay, live };
/// Approval workflow: draft -> pending -> approved | rejected.
enum class Approval { draft, pending, approved, rejected };

/// A program: an uploaded file, a text bulletin, a relay or a live input.
struct Program {
    std::int64_t id = 0;
    std::int64_t unit = 0;
    ProgramKind kind = ProgramKind::file;
    std::string title;
    std::string source; ///< stored file, bulletin text, URL or device
    Approval approval = Approval::draft;
    std::optional<std::string> decided_by;
};

/// A schedule entry as saved.
struct Entry {
    std::int64_t id = 0;
    std::int64_t program = 0;
    PriorityClass priority = PriorityClass::normal;
    std::vector<std::int64_t> units; ///< target units (a province covers its communes)
    Recurrence when;
    std::chrono::seconds duration{0};
};

/// How far ahead quiet hours and conflicts are checked when an entry is saved.
inline constexpr auto kValidationHorizon = std::chrono::days(366);

/// Owns one SQLite connection (create one store per thread).
class ScheduleStore {
public:
    /// Opens or creates the database and brings its schema up to date; throws on failure.
    explicit ScheduleStore(const std::string& path);

    common::Result<std::int64_t> add_unit(const Unit& unit);
    /// Ends `unit` on `date` and points it at `into`; entries can no longer target it.
    common::Result<void> merge_unit(std::int64_t unit, std::int64_t into, const std::string& date);
    common::Result<Unit> unit(std::int64_t id);
    common::Result<Unit> unit_by_code(const std::string& code);

    common::Result<std::int64_t> add_program(const Program& program);
    /// Moves a program through the approval workflow; `who` is recorded.
    common::Result<void> decide(std::int64_t program, Approval state, const std::string& who);
    common::Result<Program> program(std::int64_t id);

    /// Validates and saves an entry: targets exist and are valid, the program may go on air,
    /// the recurrence parses, no occurrence falls in a target's quiet hours (normal and
    /// priority), and no entry of the same class overlaps it on an overlapping target.
    /// `now` bounds the checks to [now, now + kValidationHorizon].
    common::Result<std::int64_t> add_entry(const Entry& entry, TimePoint now);
    common::Result<std::vector<Entry>> entries();

    /// Every entry as the resolver needs it: targets expanded to channels (unit codes, a
    /// province's entries reaching each of its communes).
    common::Result<std::vector<ScheduledEntry>> scheduled_entries();

private:
    common::Result<void> check_targets(const Entry& entry, TimePoint start);
    common::Result<void> check_quiet_hours(const Entry& entry, TimePoint now);
    common::Result<void> check_conflicts(const Entry& entry, TimePoint now);
    std::vector<std::int64_t> covered_units(const std::vector<std::int64_t>& units);
    common::Result<Unit> one_unit(common::Statement& query, const std::string& missing);

    common::Database db_;
};

/// "draft", "pending", "approved", "rejected".
std::string to_string(Approval approval);

} // namespace loa::schedules
