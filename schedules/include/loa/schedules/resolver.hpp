#pragma once
/// @file
/// The resolver: what each channel plays at a time t, as a pure function of the schedule
/// entries, the active overrides and t. The engine asks it at every boundary; tests ask it
/// about any instant without waiting for one.
///
/// Precedence, highest first:
///   1. an emergency override (started by an operator) on the channel, or a live broadcast
///      of the emergency class;
///   2. a stop-all on the channel: silence, until released;
///   3. a live broadcast of the priority or normal class, over scheduled entries of its class
///      or below (a scheduled emergency keeps its channel from a live priority broadcast);
///   4. scheduled entries by class: emergency > priority > normal.
/// Within one class the occurrence that started first keeps the channel (conflicts are refused
/// when entries are saved; this only settles what slips through), then the lower entry id.
/// A preempted entry plays again when the preempting one ends, if its own window is still open.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "loa/common/result.hpp"
#include "loa/schedules/priority.hpp"
#include "loa/schedules/recurrence.hpp"

namespace loa::schedules {

/// A schedule entry as the resolver needs it (targets already expanded to channels).
struct ScheduledEntry {
    std::int64_t id = 0;
    std::int64_t program = 0;
    PriorityClass priority = PriorityClass::normal;
    std::vector<std::string> channels;
    Recurrence when;
    std::chrono::seconds duration{0};
};

/// An operator's override of the schedule.
struct Override {
    /// An emergency plays its program, a stop-all silences, a live broadcast plays a
    /// speaker's voice (its program) in its class.
    enum class Kind { emergency, stop_all, live };
    std::int64_t id = 0;
    Kind kind = Kind::emergency;
    std::int64_t program = 0; ///< emergency and live only
    std::vector<std::string> channels;
    TimePoint started;
    PriorityClass priority = PriorityClass::emergency; ///< a live broadcast's class
};

/// "emergency", "stop_all", "live".
const char* to_string(Override::Kind kind);

/// What a channel plays, and why.
struct Airing {
    std::optional<std::int64_t> program; ///< nullopt: silence (a stop-all)
    PriorityClass priority = PriorityClass::normal;
    std::optional<std::int64_t> entry;    ///< the schedule entry, if scheduled
    std::optional<std::int64_t> override; ///< the override, if one decides
    TimePoint start;                      ///< when this airing's window opened
    std::optional<TimePoint> end;         ///< when it closes (overrides: when released)

    friend bool operator==(const Airing&, const Airing&) = default;
};

/// An occurrence of an entry: the entry and when it started.
using Occurrence = std::pair<std::int64_t, TimePoint>;

/// Channel id -> what it plays at `t`; channels that play nothing are absent. Occurrences in
/// `finished` (their program ended before their window did) play no more, so whatever they
/// preempted comes back.
common::Result<std::map<std::string, Airing>> resolve(const std::vector<ScheduledEntry>& entries,
                                                      const std::vector<Override>& overrides,
                                                      TimePoint t,
                                                      const std::set<Occurrence>& finished = {});

/// The first instant after `t` and no later than `horizon` at which an occurrence starts or
/// ends (the answer of resolve() can only change there); nullopt if none.
common::Result<std::optional<TimePoint>> next_boundary(const std::vector<ScheduledEntry>& entries,
                                                       TimePoint t, TimePoint horizon);

} // namespace loa::schedules
