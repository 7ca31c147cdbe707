#pragma once
/// @file
/// Proof of play and dead air: from each cluster's reports (what it received and the level of
/// what it played, after decoding and volume) and the sound of its channel, sampled once per
/// check, the clusters that stay silent, get nothing or lose too much while their channel
/// plays, and those that play while it is silent; and the programs on air gone silent.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
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
    bool expected = false;      ///< online, not muted, volume above 0: it should sound
    bool channel_sound = false; ///< its channel carried sound
    // Its counters as last reported (they only grow while it runs).
    std::uint64_t played_ms = 0;
    std::uint64_t sound_ms = 0;
    std::uint64_t received = 0;
    std::uint64_t lost = 0;
    double level_dbfs = -100;
};

/// A cluster's sample from what the hub knows of it and whether its channel sounds.
PlaySample play_sample(const ReceiverView& receiver, bool channel_sound,
                       std::chrono::steady_clock::time_point at);

/// Each cluster's samples over the last proof window. Not thread-safe (the supervisor's).
class PlayHistory {
public:
    explicit PlayHistory(std::chrono::seconds window) : window_(window) {}
    /// Adds this check's samples; clusters not among them are forgotten.
    void record(const std::map<std::string, PlaySample>& samples);
    const std::map<std::string, std::deque<PlaySample>>& clusters() const { return clusters_; }
    std::chrono::seconds window() const { return window_; }

private:
    std::chrono::seconds window_;
    std::map<std::string, std::deque<PlaySample>> clusters_;
};

/// The faults of proof of play, by kind, and the clusters that cannot be judged now (their
/// alarms stay as they are): too little history, offline, or a channel that changed between
/// sound and silence within the window.
struct PlayFaults {
    std::vector<Fault> no_media, lossy, silent, unbidden;
    std::set<std::string> undetermined;     ///< for no_media, lossy and silent
    std::set<std::string> unknown_unbidden; ///< for unbidden
};

/// Judges every cluster over the window: its channel sounding at every sample, a cluster that
/// received nothing is `no_media`, one that lost more than loss_max_percent is `lossy`, one
/// whose played sound did not grow is `silent`; its channel silent at every sample, a cluster
/// that played sound for at least half the window is `unbidden`. A muted cluster (or at volume
/// 0) is none of these.
PlayFaults play_faults(const PlayHistory& history,
                       const std::map<std::string, std::int64_t>& unit_of,
                       const SupervisionSettings& settings);

/// Programs on air silent for dead_air_after or longer. `unit_of_channel` gives the unit of
/// each channel (a unit's code, or "@id" for one cluster).
std::vector<Fault> dead_air_faults(const std::vector<ProgramSound>& programs,
                                   const std::map<std::string, std::int64_t>& unit_of_channel,
                                   const SupervisionSettings& settings);

} // namespace loa::server
