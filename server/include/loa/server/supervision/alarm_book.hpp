#pragma once
/// @file
/// The alarms of loa.db (table alarm): raised when a check finds a fault, cleared when the
/// fault is gone, one alarm per episode however often the check runs, acknowledged by an
/// operator, and kept as history after they clear.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/server/supervision/alarm.hpp"

namespace loa::server {

/// Which alarms a listing shows.
struct AlarmFilter {
    std::optional<AlarmKind> kind;
    std::optional<Severity> severity; ///< this severity or graver
    /// Only alarms of these units (nullopt: every alarm, with or without a unit).
    std::optional<std::set<std::int64_t>> units;
    std::optional<schedules::Millis> from; ///< raised at or after
    std::optional<schedules::Millis> to;   ///< raised before
    std::size_t limit = 1000;              ///< the newest this many
};

/// What happened to an alarm, for notifications.
enum class AlarmEvent { raised, cleared, acknowledged };

/// Alarms, active and past. Thread-safe. `stage` is called for each change inside the
/// transaction that stores it, with the book's connection (what must not be lost with it, such
/// as webhooks' deliveries, is written there, in the order of the changes); `notify` after it
/// is stored, on the thread that made it.
class AlarmBook {
public:
    using Notify = std::function<void(const Alarm&, AlarmEvent)>;
    using Stage = std::function<common::Result<void>(common::Database&, const Alarm&, AlarmEvent)>;

    /// Opens (creating its table in) the database file; the alarms active when the server
    /// stopped are active again, so an episode that outlives a restart is not raised twice.
    AlarmBook(const std::string& database, const common::Clock& clock, Notify notify,
              Stage stage = nullptr);

    /// The faults of `kind` present now: raises an alarm for each one without an active alarm
    /// (same kind and subject), clears the active alarms of `kind` whose fault is not among
    /// them nor `undetermined` (subjects a check cannot tell of yet: their alarms stay as they
    /// are). A fault graver than its active alarm clears it and raises a new one. Returns how
    /// many alarms it raised and cleared.
    common::Result<std::pair<int, int>> reconcile(AlarmKind kind, const std::vector<Fault>& present,
                                                  const std::set<std::string>& undetermined = {});
    /// The active alarms that pass `filter`, gravest first, then newest first.
    std::vector<Alarm> active(const AlarmFilter& filter) const;
    /// Every alarm (active or cleared) that passes `filter`, newest first.
    common::Result<std::vector<Alarm>> history(const AlarmFilter& filter);
    /// One alarm by id.
    common::Result<Alarm> find(std::int64_t id);
    /// Records that `who` acknowledged alarm `id` (the first acknowledgement stays).
    common::Result<Alarm> acknowledge(std::int64_t id, const std::string& who);
    /// The active alarms of `units` are `into`'s now: a merge moved them in the database.
    void note_units_merged(const std::vector<std::int64_t>& units, std::int64_t into);
    /// The active alarms of `unit`, which split, are its parts' now: those of a subject in
    /// `by_subject` (a cluster) its part's, the others `rest`'s, as the split moved them.
    void note_unit_split(std::int64_t unit, std::int64_t rest,
                         const std::map<std::string, std::int64_t>& by_subject);
    /// Active alarms by kind, severity and unit (nullopt: none), for /metrics.
    std::map<std::tuple<AlarmKind, Severity, std::optional<std::int64_t>>, std::int64_t>
    active_counts() const;

private:
    /// Stores a new alarm (not yet in `active_`).
    common::Result<Alarm> raise(const Fault& fault);
    /// Stores `alarm` as cleared now.
    common::Result<void> clear(Alarm& alarm);
    common::Result<Alarm> find_locked(std::int64_t id);
    common::Result<void> stage(const Alarm& alarm, AlarmEvent event);

    const common::Clock& clock_;
    Notify notify_;
    Stage stage_;
    mutable std::mutex mutex_;
    common::Database db_;
    std::map<std::pair<AlarmKind, std::string>, Alarm> active_; ///< by kind and subject
};

/// Whether `alarm` passes `filter` (its time bounds aside).
bool matches(const Alarm& alarm, const AlarmFilter& filter);

} // namespace loa::server
