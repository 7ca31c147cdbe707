#pragma once
/// @file
/// The supervisor's thresholds: the configuration section "supervision" (docs/supervision.md).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace loa::server {

/// A system told of alarms by HTTP POST (supervision.webhooks[], docs/supervision.md).
struct WebhookSettings {
    std::string url;                    ///< http:// or https://
    std::string min_severity = "major"; ///< alarms of this severity or graver
    std::string token_file; ///< its first line is sent as "Authorization: Bearer"; "" = none
    std::string ca_file;    ///< trusted CAs (PEM) for https; "" = the system's
};

/// The thresholds of the checks, with their defaults.
struct SupervisionSettings {
    std::chrono::milliseconds check_every{1000}; ///< how often every check runs
    std::int64_t disk_free_min_mb = 1024;        ///< disk_low below this many MiB free...
    int disk_free_min_percent = 5;               ///< ...or below this share of the disk
    int certificate_warn_days = 14;              ///< certificate_expiring this long before
    bool clock_check = true;                     ///< raise clock_unsynchronised at all
    /// Judge clusters by what they play (cluster_no_media, _lossy, _silent, _unbidden).
    bool proof_of_play = true;
    /// Proof of play looks at this much of each cluster's reports: a cluster silent (or
    /// without media, or lossy) through it while its channel plays all along is a fault.
    std::chrono::seconds proof_window{30};
    int loss_max_percent = 20; ///< cluster_lossy above this share of packets lost
    /// dead_air: a program on air below dead_air_dbfs (with no sustained sound) this long.
    std::chrono::seconds dead_air_after{20};
    /// The level below which a program counts as silent (also EncoderSettings'
    /// silence_below_dbfs, where it is measured).
    double dead_air_dbfs = -40;
    /// airing_late: a program on air this long without audio.
    std::chrono::seconds airing_late{5};
    /// An event's alarm (airing_failed, fanout_behind, database_errors) stays this long after
    /// its last occurrence.
    std::chrono::seconds event_hold{300};
    std::vector<WebhookSettings> webhooks;
};

} // namespace loa::server
