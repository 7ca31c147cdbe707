#pragma once
/// @file
/// Injectable time: production code asks a Clock, tests drive a ManualClock.

#include <chrono>
#include <mutex>
#include <string>

namespace loa::common {

/// Source of the current time. Steady time is for intervals, system time for the calendar.
class Clock {
public:
    virtual ~Clock() = default;
    /// Monotonic time for timeouts and intervals.
    virtual std::chrono::steady_clock::time_point steady_now() const = 0;
    /// Wall-clock time for logs, schedules and reports.
    virtual std::chrono::system_clock::time_point system_now() const = 0;
};

/// The real clocks of the machine.
class SystemClock final : public Clock {
public:
    std::chrono::steady_clock::time_point steady_now() const override;
    std::chrono::system_clock::time_point system_now() const override;
    /// A process-wide instance.
    static const SystemClock& instance();
};

/// A clock that only moves when told to; thread-safe.
class ManualClock final : public Clock {
public:
    std::chrono::steady_clock::time_point steady_now() const override;
    std::chrono::system_clock::time_point system_now() const override;
    /// Moves both clocks forward by `d`.
    void advance(std::chrono::nanoseconds d);

private:
    mutable std::mutex mutex_;
    std::chrono::steady_clock::time_point steady_{std::chrono::hours(1)};
    std::chrono::system_clock::time_point system_{std::chrono::seconds(1'800'000'000)};
};

/// `at` in ISO 8601's basic UTC form, to the second: "20261130T201315Z" (iCalendar's UTC
/// DATE-TIME, and the stamp in a backup's name).
std::string basic_utc(std::chrono::system_clock::time_point at);

} // namespace loa::common
