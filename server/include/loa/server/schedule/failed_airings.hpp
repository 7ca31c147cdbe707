#pragma once
/// @file
/// The airings that failed lately: noted by the on-air adapter as the engine makes an airing
/// ready or a source fails on air; read by the supervisor (airing_failed alarms).

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace loa::server {

/// An airing whose program could not be played: its file unreadable, its bulletin not
/// rendered, its source failed.
struct FailedAiring {
    std::string key;   ///< the airing ("e12@1700000000", "o5")
    std::string title; ///< its program's, if it could be read
    bool emergency = false;
    std::optional<std::int64_t> unit; ///< its program's unit; nullopt: the province's
    std::string reason;
    std::chrono::system_clock::time_point at;
};

/// The airings that failed lately, noted by the on-air adapter. Thread-safe.
class FailedAirings {
public:
    /// Notes a failure (from the engine's thread or a source's).
    void note(FailedAiring failed);
    /// The failures noted at or after `since`, oldest first.
    std::vector<FailedAiring> since(std::chrono::system_clock::time_point since) const;

private:
    mutable std::mutex mutex_;
    std::deque<FailedAiring> recent_; ///< the last kKept
};

} // namespace loa::server
