#pragma once
/// @file
/// The occurrences of every schedule entry within a horizon, expanded once. Expanding
/// recurrence rules is the costly part of resolving; the engine builds a timeline when the
/// schedule changes (or the horizon runs short) and then answers what plays at any instant of
/// the horizon, and where the next boundary is, in microseconds. It answers exactly as the
/// pure resolve() and next_boundary() of resolver.hpp, which stay the reference.

#include <vector>

#include "loa/common/result.hpp"
#include "loa/schedules/resolver.hpp"

namespace loa::schedules {

/// Expanded occurrences over [from, to).
class Timeline {
public:
    /// Expands `entries` over [from, to); errors are those of the recurrence rules.
    static common::Result<Timeline> build(std::vector<ScheduledEntry> entries, TimePoint from,
                                          TimePoint to);

    /// True if `t` is within the horizon.
    bool covers(TimePoint t) const { return t >= from_ && t < to_; }
    TimePoint horizon_end() const { return to_; }

    /// As resolve() of resolver.hpp, for `t` within the horizon.
    std::map<std::string, Airing> resolve(const std::vector<Override>& overrides, TimePoint t,
                                          const std::set<Occurrence>& finished = {}) const;
    /// As next_boundary() of resolver.hpp; `horizon` is capped at the timeline's end.
    std::optional<TimePoint> next_boundary(TimePoint t, TimePoint horizon) const;

private:
    struct Window {
        std::size_t entry;
        TimePoint start;
        TimePoint end;
    };
    std::vector<ScheduledEntry> entries_;
    std::vector<Window> windows_;       ///< by start
    std::vector<TimePoint> boundaries_; ///< starts and ends, sorted, unique
    std::chrono::seconds longest_{0};
    TimePoint from_;
    TimePoint to_;
};

} // namespace loa::schedules
