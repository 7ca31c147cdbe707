#pragma once
/// @file
/// The seconds in which a cluster played sound, by the server's wall clock, over the last 15
/// minutes: each status report's `sound_seconds` (which of its last 52 seconds had sound)
/// merged in as it arrives. What the as-run log's `played` count is made of.

#include <bitset>
#include <cstdint>
#include <limits>
#include <optional>

namespace loa::server {

/// Not thread-safe (the hub's lock guards it).
class SoundHistory {
public:
    /// How far back it remembers, in seconds.
    static constexpr std::int64_t kSeconds = 900;

    /// Merges a report that arrived in wall-clock second `now_s`: bit i of `mask` (of `bits`)
    /// is second now_s - i.
    void merge(std::uint64_t mask, int bits, std::int64_t now_s);
    /// Whether any second of [from_s, to_s] had sound, as far as it remembers.
    bool any(std::int64_t from_s, std::int64_t to_s) const;
    /// The first second of [from_s, to_s] that had sound, as far as it remembers.
    std::optional<std::int64_t> first(std::int64_t from_s, std::int64_t to_s) const;

private:
    std::bitset<kSeconds> sound_;                                    ///< by second modulo kSeconds
    std::int64_t latest_ = std::numeric_limits<std::int64_t>::min(); ///< newest second known
};

} // namespace loa::server
