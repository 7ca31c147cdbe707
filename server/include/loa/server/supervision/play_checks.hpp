#pragma once
/// @file
/// Proof of play and dead air: from each cluster's reports (what it received and the level of
/// what it played, after decoding and volume) and what its channel carries, sampled once per
/// check, the clusters that stay silent, get nothing or lose too much while their channel
/// plays, and those that play while it carries nothing; and the programs on air gone silent.

#include <bitset>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loa/server/media/media_server.hpp"
#include "loa/server/receivers/hub.hpp"
#include "loa/server/supervision/alarm.hpp"
#include "loa/server/supervision/thresholds.hpp"

namespace loa::server {

/// One cluster at one check.
struct PlaySample {
    std::chrono::steady_clock::time_point at;
    bool online = false;
    bool emergency = false; ///< playing an emergency (ReceiverView::emergency)
    /// Owes sound while its channel sounds: online, unmuted (or in an emergency), and at a
    /// volume at which the quietest sound its channel carries still plays as sound.
    bool owes_sound = false;
    ChannelSound channel = ChannelSound::off;
    /// Its report carries the played level (older receivers' do not: never judged).
    bool reports_level = false;
    std::int64_t report_ms = 0; ///< when its last report arrived (wall clock)
    // Its counters as last reported (they grow while it runs; a restart starts them again).
    std::uint64_t played_ms = 0;
    std::uint64_t sound_ms = 0;
    std::uint64_t received = 0;
    std::uint64_t lost = 0;
    double level_dbfs = -100;
};

/// A cluster's sample from what the hub knows of it and what its channel carries.
/// `silence_below_dbfs` is the channel's own threshold of sound (supervision.dead_air_dbfs).
PlaySample play_sample(const ReceiverView& receiver, ChannelSound channel,
                       double silence_below_dbfs, std::chrono::steady_clock::time_point at);

/// One cluster's history over the proof window, kept small (a province has 20,000 clusters):
/// what its channel carried each second, when conditions last held, and its counters at each
/// report back to the window's start.
struct PlayTrack {
    using TimePoint = std::chrono::steady_clock::time_point;
    /// Seconds of channel history kept: more than the longest window.
    static constexpr int kSeconds = 128;
    TimePoint first; ///< its first sample
    // The last sample at which each held; min() = never.
    TimePoint offline = TimePoint::min();
    TimePoint unowed = TimePoint::min();     ///< not owing sound (muted, turned down, ...)
    TimePoint unreported = TimePoint::min(); ///< its reports lacked the played level
    // What its channel carried, by steady second (modulo kSeconds), up to `second`.
    std::bitset<kSeconds> sounding, off;
    std::int64_t second = std::numeric_limits<std::int64_t>::min();
    /// Its counters as of a report.
    struct Report {
        TimePoint at;
        std::uint64_t played_ms = 0, sound_ms = 0, received = 0, lost = 0;
    };
    /// Each report, from the last one at or before the window's start.
    std::deque<Report> reports;
    PlaySample last;
};

/// Each cluster's track over the last proof window. Not thread-safe (the supervisor's).
class PlayHistory {
public:
    explicit PlayHistory(std::chrono::seconds window) : window_(window) {}
    /// Adds this check's samples; clusters not among them are forgotten.
    void record(const std::map<std::string, PlaySample>& samples);
    const std::map<std::string, PlayTrack>& clusters() const { return clusters_; }
    std::chrono::seconds window() const { return window_; }

private:
    std::chrono::seconds window_;
    std::map<std::string, PlayTrack> clusters_;
};

/// The faults of proof of play, by kind, and the clusters that cannot be judged now (their
/// alarms stay as they are): too little history or too few reports, offline, reports without
/// the played level, or a channel that changed between sound and nothing within the window.
struct PlayFaults {
    std::vector<Fault> no_media, lossy, silent, unbidden;
    std::set<std::string> unknown_no_media;
    std::set<std::string> unknown_lossy; ///< also between the two thresholds
    std::set<std::string> unknown_silent;
    std::set<std::string> unknown_unbidden;
};

/// Judges every cluster over the window. Its channel never off and sounding for half the
/// window or more: a cluster that received nothing is `no_media`, one that lost more than
/// loss_max_percent is `lossy` (cleared below half of it), one that owed sound and played none
/// is `silent`. Its channel off throughout: a cluster that played sound for half the window,
/// and still does, is `unbidden`. A cluster muted or turned down on purpose owes no sound but
/// in an emergency, which it plays whatever its own setting; failing an emergency (no media,
/// silent) is critical.
PlayFaults play_faults(const PlayHistory& history,
                       const std::map<std::string, std::int64_t>& unit_of,
                       const SupervisionSettings& settings);

} // namespace loa::server
