#pragma once
/// @file
/// What the media plane knows of one receiver, shared between the threads that send to it
/// (fan-out shard) and hear from it (report listener). Every field is atomic: no locks.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loa/pipeline/endpoint.hpp"
#include "loa/pipeline/srtp.hpp"

namespace loa::pipeline {

/// A receiver as configured.
struct ReceiverSpec {
    std::string id;            ///< provisioned id; also its RTCP CNAME
    std::uint32_t channel = 0; ///< index of the channel it listens to
    SrtpProfile profile = SrtpProfile::aes_cm_128_hmac_sha1_80;
    std::vector<std::uint8_t> key;   ///< master key + salt; never logged
    std::optional<Endpoint> address; ///< fixed address (standard players that send no RTCP)
};

/// Live state of a receiver's link.
struct ReceiverLink {
    std::atomic<std::uint64_t> address{0}; ///< packed Endpoint; 0 = not latched
    std::atomic<std::uint64_t> packets_sent{0};
    std::atomic<std::uint64_t> reports{0};       ///< authenticated reports accepted
    std::atomic<std::int64_t> last_report_ms{0}; ///< steady-clock ms of the last report
    std::atomic<std::uint32_t> fraction_lost{0}; ///< last reported, in 1/256
    std::atomic<std::int32_t> cumulative_lost{0};
    std::atomic<std::uint32_t> jitter{0}; ///< timestamp units (48 kHz)
    /// The last accepted report, as ReportPosition::packed(); 0 = none. Saved across restarts.
    std::atomic<std::uint64_t> report_position{0};
};

/// Where a receiver's reports have got to: its start (report SSRC) and SRTCP index. A report at
/// or before this position is a replay.
struct ReportPosition {
    std::uint32_t ssrc = 0;
    std::uint32_t index = 0;

    std::uint64_t packed() const { return (std::uint64_t{ssrc} << 32) | index; }
    static ReportPosition unpack(std::uint64_t p) {
        return {static_cast<std::uint32_t>(p >> 32), static_cast<std::uint32_t>(p)};
    }
};

} // namespace loa::pipeline
