#pragma once
/// @file
/// One receiver's figures as the media plane sees them: where it is sent to and what it
/// reports.

#include <cstdint>
#include <string>

namespace loa::server {

/// What the server knows of one receiver's link, from its reports.
struct ReceiverStatus {
    std::string id;
    std::string address; ///< latched (or fixed) address, "unknown" until a report
    std::uint64_t packets_sent = 0;
    std::uint64_t reports = 0;
    double seconds_since_report = -1; ///< -1: never reported
    double loss_percent = 0;          ///< over the receiver's last report interval
    std::int32_t cumulative_lost = 0;
    double jitter_ms = 0;
};

} // namespace loa::server
