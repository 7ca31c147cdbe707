#pragma once
/// @file
/// Checks of airings and of events: a program on air gone silent (dead air), an airing whose
/// audio is late to start, an airing that failed, and faults known only as a counter that grows
/// (frames the media path dropped, database errors). An event has no end of its own: its alarm
/// stays for SupervisionSettings::event_hold after the last occurrence, then clears.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loa/server/media/media_server.hpp"
#include "loa/server/schedule/failed_airings.hpp"
#include "loa/server/supervision/alarm.hpp"
#include "loa/server/supervision/thresholds.hpp"

namespace loa::server {

/// Programs on air silent for dead_air_after or longer. `unit_of_channel` gives the unit of a
/// channel (a unit's code, or "@id" for one cluster); a program on several channels concerns
/// `province`. Programs that cannot be judged yet are added to `undetermined`: silent since
/// they went on air (after a restart too) but not yet for the threshold.
std::vector<Fault> dead_air_faults(
    const std::vector<ProgramSound>& programs,
    const std::function<std::optional<std::int64_t>(const std::string&)>& unit_of_channel,
    std::optional<std::int64_t> province, const SupervisionSettings& settings,
    std::set<std::string>& undetermined);

/// Programs on air whose audio has not started SupervisionSettings::airing_late after they
/// went on air. Units as dead_air_faults: `unit_of_channel` for a program on one channel,
/// `province` for one on several. Programs without audio yet but not for that long are added
/// to `undetermined` (after a restart of the server, an alarm they had stays).
std::vector<Fault> late_airing_faults(
    const std::vector<ProgramSound>& programs,
    const std::function<std::optional<std::int64_t>(const std::string&)>& unit_of_channel,
    std::optional<std::int64_t> province, const SupervisionSettings& settings,
    std::set<std::string>& undetermined);

/// The airings that failed within SupervisionSettings::event_hold of `now` (critical for an
/// emergency's, major otherwise).
std::vector<Fault> failed_airing_faults(const std::vector<FailedAiring>& failed,
                                        std::chrono::system_clock::time_point now,
                                        const SupervisionSettings& settings,
                                        std::optional<std::int64_t> province);

/// A count of events that only grows (from 0 when the process started), watched for when it
/// last grew: an episode lasts from its first growth until `hold` passes without one.
class EventWatch {
public:
    explicit EventWatch(std::chrono::seconds hold) : hold_(hold) {}
    /// Takes the count as it is at `now`.
    void observe(std::uint64_t count, std::chrono::steady_clock::time_point now);
    /// Whether an episode is on at `now`: the count grew within the hold.
    bool recent(std::chrono::steady_clock::time_point now) const;
    /// How much it grew in the current (or last) episode.
    std::uint64_t in_episode() const { return count_ - episode_base_; }
    std::uint64_t count() const { return count_; }

private:
    std::chrono::seconds hold_;
    std::uint64_t count_ = 0;
    std::uint64_t episode_base_ = 0;
    std::optional<std::chrono::steady_clock::time_point> grew_at_;
};

/// The media path dropping frames (the router's or the fan-out's queues full: it fell behind
/// real time): present while `drops`' episode is on.
std::vector<Fault> fanout_faults(const EventWatch& drops, std::chrono::steady_clock::time_point now,
                                 std::optional<std::int64_t> province);

/// Database errors: present while `errors`' episode is on; `last` is the last one's message.
std::vector<Fault> database_faults(const EventWatch& errors, const std::string& last,
                                   std::chrono::steady_clock::time_point now,
                                   std::optional<std::int64_t> province);

} // namespace loa::server
