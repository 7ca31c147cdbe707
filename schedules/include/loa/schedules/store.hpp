#pragma once
/// @file
/// The schedule store (SQLite): units, programs with their approval state, and schedule entries,
/// validated when they are saved so that a wrong schedule is refused with a reason instead of
/// being discovered on air.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
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
    /// The first day of its current name: valid_from, or the day of its last rename.
    std::string named_from = "2025-07-01";
    bool approval_required = true;
    std::string quiet_start = "22:00"; ///< local time; normal and priority entries are refused
    std::string quiet_end = "05:00";   ///< from quiet_start up to quiet_end; equal: none
};

/// A code and name a unit bore over a period: its names before renames, and its current one.
struct UnitName {
    std::string code;
    std::string name;
    std::string valid_from;              ///< ISO date: the first day it bore them
    std::optional<std::string> valid_to; ///< the first day it no longer did; nullopt: current
};

/// A unit found by a search, with the code and name of it that matched (a former one, or the
/// current one).
struct FoundUnit {
    Unit unit;
    UnitName matched;
};

/// An entry that a merge moved onto its successor and that now breaks a rule there: it
/// overlaps an entry of its class, or falls in the successor's quiet hours. It is kept as it
/// is, for a person to resolve.
struct EntryCollision {
    std::int64_t entry = 0;
    std::string problem; ///< as add_entry would refuse it
};

/// What merging units into one moved to the successor, and what it left for a person.
struct UnitMerge {
    std::vector<std::int64_t> entries;  ///< entries that targeted a merged unit
    std::vector<std::int64_t> programs; ///< programs the merged units owned
    std::vector<std::string> clusters;  ///< clusters of the merged units
    std::vector<std::int64_t> units;    ///< units within the merged ones (a province's communes)
    std::vector<EntryCollision> collisions;
};

/// One part of a unit that splits: an existing unit, or a new one, and what of the split unit
/// goes to it.
struct SplitPart {
    std::string code;                  ///< an existing unit's code, or the new unit's
    std::string name;                  ///< the new unit's name; "" names an existing unit
    std::vector<std::string> clusters; ///< the split unit's clusters that go to it
    std::vector<std::string> units;    ///< codes of units within the split one that go to it
};

/// What splitting a unit did, and what it left for a person.
struct UnitSplit {
    std::vector<std::int64_t> parts; ///< ids, in the order given
    std::vector<std::int64_t> added; ///< the parts the split made
    /// Entries that targeted it. They now target its new parts as wholes, and within an
    /// existing part only what came from it: the clusters and the units within it given there.
    std::vector<std::int64_t> entries;
    std::vector<std::int64_t> programs;           ///< its programs, now the first part's
    std::map<std::string, std::int64_t> clusters; ///< its clusters, each with its part (id)
    std::map<std::int64_t, std::int64_t> units;   ///< the units within it, each with its part
    std::vector<EntryCollision> collisions;       ///< moved entries that now break a rule
};

struct OfficialList;
struct UnitListPlan;

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
    std::string source; ///< original file name, bulletin text, URL or capture device
    /// The audio that goes on air: the name, in the server's media folder, of the stored file
    /// (named by its content hash) for files and of the cached rendering for bulletins; empty
    /// for relays and live inputs. Rows from before held a whole path: only its name counts.
    std::string media;
    std::optional<std::chrono::milliseconds> duration; ///< measured, or given for a relay
    std::string voice = "vi";                          ///< bulletins only
    int rate_wpm = 150;                                ///< bulletins only
    Approval approval = Approval::draft;
    std::optional<std::string> decided_by;
    std::optional<std::string> decided_at; ///< UTC, ISO 8601
    /// The source an operator gave inline with an emergency: kept as the record of what went
    /// out, it airs as that emergency only and can never be scheduled as an entry.
    bool emergency_record = false;
};

/// A cluster (receiver) as the schedule sees it: which unit it belongs to.
struct Cluster {
    std::string id;
    std::int64_t unit = 0;
    std::string name;
};

/// A schedule entry as saved.
struct Entry {
    std::int64_t id = 0;
    std::int64_t program = 0;
    PriorityClass priority = PriorityClass::normal;
    std::vector<std::int64_t> units;    ///< target units (a province covers its communes)
    std::vector<std::string> receivers; ///< single clusters targeted on their own
    Recurrence when;
    std::chrono::seconds duration{0};
};

/// An override as saved: who started it, on what, and how it ended.
struct OverrideRecord {
    std::int64_t id = 0;
    Override::Kind kind = Override::Kind::emergency;
    std::optional<std::int64_t> program;               ///< emergency and live only
    PriorityClass priority = PriorityClass::emergency; ///< a live broadcast's class
    std::vector<std::int64_t> units;
    std::vector<std::string> receivers;
    std::chrono::sys_time<std::chrono::milliseconds> started_at;
    std::string started_by;
    std::optional<std::chrono::sys_time<std::chrono::milliseconds>> ended_at;
    std::optional<std::string> ended_by;
};

/// How an airing ended, in the as-run log.
enum class Outcome { completed, preempted, stopped, failed, interrupted };
/// "completed", "preempted", "stopped", "failed", "interrupted".
std::string to_string(Outcome outcome);

/// Milliseconds since the Unix epoch, UTC: the resolution of the as-run log.
using Millis = std::chrono::sys_time<std::chrono::milliseconds>;

/// One row of the as-run log: a program that really went out on one channel.
struct AsRunRecord {
    std::int64_t id = 0;
    std::int64_t program = 0;
    std::string title; ///< the program's title, for reading the log without joins
    std::optional<std::int64_t> entry;
    std::optional<std::int64_t> override_id;
    PriorityClass priority = PriorityClass::normal;
    std::string channel;                   ///< unit code, or "@" + receiver id
    std::optional<TimePoint> scheduled_at; ///< the occurrence's start, for scheduled airings
    Millis started_at;
    std::optional<Millis> ended_at; ///< nullopt while on air
    std::int64_t receivers = 0;     ///< receivers that were sent its packets
    std::int64_t played = 0; ///< clusters whose played level had sound during it (proof of play)
    /// When the first of them began to play it, and the last of them (their first second of
    /// sound in it, as they reported), if any did.
    std::optional<Millis> first_played, last_played;
    std::optional<Outcome> outcome; ///< nullopt while on air
};

/// How far ahead quiet hours and conflicts are checked when an entry is saved.
inline constexpr auto kValidationHorizon = std::chrono::days(366);

/// Owns one SQLite connection (create one store per thread).
class ScheduleStore {
public:
    /// Opens or creates the database and brings its schema up to date; throws on failure.
    explicit ScheduleStore(const std::string& path);

    common::Result<std::int64_t> add_unit(const Unit& unit);
    /// Ends `unit` on `date` and points it at `into`; entries can no longer target it, and
    /// targets of `into` (or of a unit above it) reach its clusters. Refused (invalid_argument,
    /// naming the units): into itself, a unit merged already, a cycle, into a unit merged or
    /// ended, a province into a commune or a commune into a province, a date before either
    /// unit began.
    /// Runs `work` in one transaction: all of its changes or none. With `keep` false they are
    /// undone even when it succeeds (a dry run sees what it would change, and changes nothing).
    /// The store's own changes inside it are savepoints of it.
    common::Result<void> atomically(const std::function<common::Result<void>()>& work,
                                    bool keep = true);
    common::Result<void> merge_unit(std::int64_t unit, std::int64_t into, const std::string& date);
    /// Rows other components keep by unit (receivers, users' scopes, alarms), moved from a
    /// merged unit to its successor inside the merge's transaction, on the store's connection.
    using UnitFollower = std::function<common::Result<void>(common::Database& db, std::int64_t from,
                                                            std::int64_t into)>;
    /// Merges `units` into `into` on `date` (ISO, local), all or nothing: each is checked and
    /// ended as merge_unit does it, then what was theirs becomes the successor's: the entries
    /// that targeted them, their programs, their clusters, the units within them, and what
    /// `follow` moves. The history (as-run log, former names, audit) keeps them as they were.
    /// Moved entries that now overlap an entry of their class, or fall in the successor's
    /// quiet hours, are listed, not changed; `now` bounds those checks. Refused as well: no
    /// unit, or one named twice.
    common::Result<UnitMerge> merge_units(const std::vector<std::int64_t>& units, std::int64_t into,
                                          const std::string& date, TimePoint now,
                                          const UnitFollower& follow = {});
    /// Rows other components keep by unit (receivers, users' scopes, alarms), moved from a unit
    /// that splits to its parts inside the split's transaction, on the store's connection.
    using SplitFollower = std::function<common::Result<void>(
        common::Database& db, std::int64_t from, const UnitSplit& split)>;
    /// Splits `unit` on `date` (ISO, local) into `parts`, all or nothing: the parts named that
    /// exist (current units of its level, not itself) or are made (the code and name given;
    /// within its parent, with its quiet hours and approval rule, from `date`); it ends on
    /// `date`, its successors kept (unit_split) for its lineage. Each of its clusters and of
    /// the units within it goes to the one part that names it; the entries and the overrides
    /// under way that targeted it reach the same territory and no more: each new part as a
    /// whole, and of an existing part only the clusters and units given to it. Its programs
    /// go to the first part; `follow` moves the rest. Moved entries that now overlap or fall
    /// in a part's quiet hours are listed, not changed; `now` bounds those checks. Refused
    /// (invalid_argument, with the reason): fewer than two parts, a part named twice, the unit
    /// merged or ended, a part that is the unit itself, of another level, merged, ended or
    /// begun after `date`, a new part's code of the wrong form or borne or bore by a unit, a
    /// bad name, a cluster or unit within it given to no part or to two, or to a part not its
    /// own, a date not after the first day of its current name.
    common::Result<UnitSplit> split_unit(std::int64_t unit, const std::vector<SplitPart>& parts,
                                         const std::string& date, TimePoint now,
                                         const SplitFollower& follow = {});
    /// Of `entries`, those that overlap an entry of their class or fall in their units' quiet
    /// hours (`now` bounds the checks), each with the problem: what a person must look at
    /// after entries arrived from elsewhere (a handover).
    common::Result<std::vector<EntryCollision>> collisions_of(std::vector<std::int64_t> entries,
                                                              TimePoint now);
    /// The units `unit` split into (ids) and the day, if it split.
    common::Result<std::pair<std::vector<std::int64_t>, std::string>> split_into(std::int64_t unit);
    /// The unit split that made or enlarged `unit` (ids of the units it came from), if any.
    common::Result<std::vector<std::int64_t>> split_from(std::int64_t unit);
    common::Result<Unit> unit(std::int64_t id);
    common::Result<Unit> unit_by_code(const std::string& code);
    /// Renames `unit` from `date` (ISO, local): the name it bore until then stays in its
    /// history, where searches find it. Refused (invalid_argument): a unit merged away or
    /// ended, a name empty, of more than 200 bytes, with control characters or unchanged, a date
    /// not after the first day of its current name.
    common::Result<void> rename_unit(std::int64_t unit, const std::string& name,
                                     const std::string& date);
    /// Compares the national list of units with the province whose code is `province`
    /// (plan_unit_list), and with `keep` applies it from `date` (ISO, local), all or nothing:
    /// units added (within the province, with its quiet hours and approval rule), renamed
    /// (their former names kept) and retired (ended on `date`). A commune to retire that still
    /// has clusters, programs or entries is a problem (merge it first); with any problem
    /// nothing is applied, and the plan says why.
    common::Result<UnitListPlan> apply_unit_list(const OfficialList& list,
                                                 const std::string& province,
                                                 const std::string& date, bool keep);
    /// Gives `unit` the code `code` from `date` (ISO, local): its channel is named by the new
    /// code from then on, and the code it bore stays in its history (the as-run log keeps it
    /// on the rows of before), where searches find it. Refused (invalid_argument): a unit
    /// merged away or ended, a code not of 2 digits (a province) or 5 (a commune, ward or
    /// special zone) or unchanged, a code another unit bears or bore, a date not after the
    /// first day of its current code and name.
    common::Result<void> recode_unit(std::int64_t unit, const std::string& code,
                                     const std::string& date);
    /// The unit that bore `code` before its current one (a change of code), if any.
    common::Result<std::optional<Unit>> unit_that_bore(const std::string& code);
    /// Every code and name `unit` bore, oldest first, the current one last.
    common::Result<std::vector<UnitName>> unit_names(std::int64_t unit);
    /// The names units bore before their current ones, oldest first, by unit.
    common::Result<std::map<std::int64_t, std::vector<UnitName>>> former_unit_names();
    /// Units whose code or name, now or before, contains `text`, ignoring case and Vietnamese
    /// diacritics ("dong nai" finds "Đồng Nai"); at most `limit`, in unit order.
    common::Result<std::vector<FoundUnit>> find_units(const std::string& text, std::size_t limit);

    /// Every unit, in id order.
    common::Result<std::vector<Unit>> units();

    /// Records which unit a cluster belongs to (added, or moved if it exists).
    common::Result<void> put_cluster(const Cluster& cluster);
    /// The same for many clusters, in one transaction (all or none).
    common::Result<void> put_clusters(const std::vector<Cluster>& clusters);
    common::Result<std::vector<Cluster>> clusters();
    /// Checks that clusters may be targeted: each exists, and its unit was not merged away.
    common::Result<void> check_receivers(const std::vector<std::string>& receivers);

    common::Result<std::int64_t> add_program(const Program& program);
    /// Records the audio that goes on air for a program, and its duration.
    common::Result<void> set_program_media(std::int64_t program, const std::string& media,
                                           std::chrono::milliseconds duration);
    common::Result<std::vector<Program>> programs();
    /// Moves a program through the approval workflow; `who` is recorded.
    common::Result<void> decide(std::int64_t program, Approval state, const std::string& who);
    common::Result<Program> program(std::int64_t id);

    /// Validates and saves an entry: targets exist and are valid, the program may go on air,
    /// the recurrence parses, no occurrence falls in a target's quiet hours (normal and
    /// priority), and no entry of the same class overlaps it on an overlapping target.
    /// `now` bounds the checks to [now, now + kValidationHorizon].
    common::Result<std::int64_t> add_entry(const Entry& entry, TimePoint now);
    /// The checks of add_entry without saving (a form showing conflicts before it is saved).
    /// An entry with an id is not checked against itself.
    common::Result<void> check_entry(const Entry& entry, TimePoint now);
    /// Replaces entry `entry.id` after the same checks (not against itself); all or nothing.
    common::Result<void> update_entry(const Entry& entry, TimePoint now);
    common::Result<std::vector<Entry>> entries();
    /// Deletes an entry (its as-run history stays).
    common::Result<void> remove_entry(std::int64_t entry);

    /// Every entry that may go on air, as the resolver needs it: targets expanded to channels
    /// (unit codes, a province's entries reaching each of its communes, "@id" for a single
    /// cluster). Entries of programs no longer approved, where approval is required, are left
    /// out.
    common::Result<std::vector<ScheduledEntry>> scheduled_entries();

    /// Saves a started override (targets must exist); returns its id.
    common::Result<std::int64_t> start_override(const OverrideRecord& record);
    /// Ends an override; an override already ended is refused with a clear error.
    common::Result<void> end_override(std::int64_t id, const std::string& who, Millis at);
    common::Result<OverrideRecord> override_record(std::int64_t id);
    /// Refuses (already_exists, naming who speaks where) a live broadcast `r` reaching a
    /// channel another live broadcast in force reaches.
    common::Result<void> check_one_speaker(const OverrideRecord& r);
    /// Refuses (invalid_argument, naming the unit) when a unit `units` or `receivers` reach is
    /// in its quiet hours at `now` (local time in `zone`): a normal or priority live broadcast.
    common::Result<void> check_quiet_now(const std::vector<std::int64_t>& units,
                                         const std::vector<std::string>& receivers, TimePoint now,
                                         const std::string& zone);
    /// Makes a live broadcast's program the recording of what its speaker said: a file
    /// (`media` in the media folder, `duration` long), a draft that can be approved and
    /// scheduled like any upload, described by `source`.
    common::Result<void> keep_recording(std::int64_t program, const std::string& media,
                                        std::chrono::milliseconds duration,
                                        const std::string& source);
    /// Overrides not yet ended, targets expanded to channels as for entries.
    common::Result<std::vector<Override>> active_overrides();

    /// Opens an as-run row when a program starts on a channel; returns its id.
    common::Result<std::int64_t> open_as_run(const AsRunRecord& record);
    /// Closes an as-run row.
    common::Result<void> close_as_run(std::int64_t id, Millis ended_at, std::int64_t receivers,
                                      Outcome outcome);
    /// Records how many receivers an open row has reached so far (kept if a crash cuts it).
    common::Result<void> note_reach(std::int64_t id, std::int64_t receivers);
    /// Records how many clusters verifiably played a row's airing (proof of play); the count
    /// may still grow a little after the row closes, as the last reports come in.
    common::Result<void> note_played(std::int64_t id, std::int64_t clusters,
                                     std::optional<Millis> first = std::nullopt,
                                     std::optional<Millis> last = std::nullopt);
    /// The rows still open, and those that ended at or after `ended_after`.
    common::Result<std::vector<AsRunRecord>> as_run_open_or_ended_after(Millis ended_after);
    /// The as-run rows that started in [from, to), oldest first.
    common::Result<std::vector<AsRunRecord>> as_run(Millis from, Millis to);
    /// Notes that the engine is alive at `at` (the end given to rows a crash leaves open).
    common::Result<void> beat(Millis at);
    /// The scheduled occurrences since `since` that a stop cut (rows still open, or closed as
    /// interrupted): if their window is still open they resume mid-way.
    common::Result<std::vector<Occurrence>> cut_occurrences(TimePoint since);
    /// At start-up: closes every row a crash left open as interrupted, ending at the last
    /// heartbeat; returns how many.
    common::Result<int> close_interrupted();

private:
    /// Refuses a program that may not be scheduled and targets that ended or were merged away.
    common::Result<void> check_targets(const Entry& entry);
    /// Refuses an ended unit as a target (invalid_argument), naming what it became: the unit
    /// it was merged into, or its parts.
    common::Result<void> check_unit_lives(const Unit& u);
    common::Result<void> check_merge(const Unit& from, const Unit& into, const std::string& date);
    common::Result<void> check_quiet_hours(const Entry& entry, TimePoint now);
    /// The units `units` (with the units within them) and `receivers` reach.
    common::Result<std::set<std::int64_t>> reached_units(const std::vector<std::int64_t>& units,
                                                         const std::vector<std::string>& receivers);
    /// A rename or a change of code (the other nullopt): the former code and name kept.
    common::Result<void> change_identity(std::int64_t unit, const std::optional<std::string>& code,
                                         const std::optional<std::string>& name,
                                         const std::string& date);
    /// Why no other unit than `unit` may take `code` (one bears it, or bore it), or nullopt.
    common::Result<std::optional<std::string>> code_holder(const std::string& code,
                                                           std::int64_t unit);
    /// How many clusters, entries and programs name `unit`.
    common::Result<std::size_t> uses_of(std::int64_t unit);
    /// Gives `into` what was `from`'s (inside merge_units), noting it in `merge`.
    common::Result<void> take_over(std::int64_t from, std::int64_t into, UnitMerge& merge);
    /// Sorts `entries` (moved by a merge or a split) and notes in `collisions` those that now
    /// break a rule.
    common::Result<void> list_collisions(std::vector<std::int64_t>& entries,
                                         std::vector<EntryCollision>& collisions, TimePoint now);
    /// The parts of a split as units, made if new (inside split_unit).
    common::Result<std::vector<Unit>> split_parts(const Unit& from,
                                                  const std::vector<SplitPart>& parts,
                                                  const std::string& date, UnitSplit& split);
    /// Aims what targeted `from` (entries, overrides under way) at `part` of its split: the
    /// whole part if new, else only what the split gave it (inside split_unit).
    common::Result<void> retarget_split(std::int64_t from, const Unit& part, bool whole,
                                        const UnitSplit& split);
    common::Result<void> check_conflicts(const Entry& entry, TimePoint now);
    /// `units`, the units within them and those merged into them, at any depth.
    common::Result<std::vector<std::int64_t>> covered_units(const std::vector<std::int64_t>& units);
    /// Saves the unit and cluster targets of entry or override `id` (inside its transaction).
    common::Result<void> save_targets(const char* unit_sql, const char* cluster_sql,
                                      std::int64_t id, const std::vector<std::int64_t>& units,
                                      const std::vector<std::string>& clusters);
    common::Result<std::vector<std::string>> channels_of(const std::vector<std::int64_t>& units,
                                                         const std::vector<std::string>& receivers);
    common::Result<Unit> one_unit(common::Statement& query, const std::string& missing);

    common::Database db_;
};

/// "draft", "pending", "approved", "rejected".
std::string to_string(Approval approval);
/// "file", "tts", "relay", "live".
std::string to_string(ProgramKind kind);
/// Parses the names above.
std::optional<ProgramKind> parse_program_kind(std::string_view name);
std::optional<Approval> parse_approval(std::string_view name);

/// The channel of a single cluster targeted on its own: "@" + its id.
std::string cluster_channel(const std::string& receiver);
/// The cluster a channel targets on its own (the id after "@"); nullopt for a unit's channel.
std::optional<std::string> cluster_of(std::string_view channel);

} // namespace loa::schedules
