#pragma once
/// @file
/// Reception statistics of one RTP stream as RFC 3550 defines them (A.1, A.3, A.8): what a
/// receiver report carries.

#include <cstdint>

#include "loa/pipeline/rtcp.hpp"

namespace loa::clients {

/// Counts received and lost packets and interarrival jitter for one stream.
class ReceptionStats {
public:
    /// Starts over for a new stream whose first packet has `sequence`.
    void reset(std::uint16_t sequence);
    /// Accounts one packet; `arrival` is its arrival time in 48 kHz timestamp units.
    void on_packet(std::uint16_t sequence, std::uint32_t timestamp, std::int64_t arrival);
    /// The report block for the interval since the previous call (fraction lost is per
    /// interval, the rest cumulative).
    pipeline::ReceptionReport next_report(std::uint32_t source_ssrc);

    /// Packets expected minus packets received since reset (negative with duplicates).
    std::int64_t cumulative_lost() const;
    /// Interarrival jitter in timestamp units.
    double jitter() const { return jitter_; }

private:
    std::uint32_t extended_max() const { return cycles_ + max_sequence_; }
    std::uint32_t expected() const { return extended_max() - base_sequence_ + 1; }

    std::uint16_t max_sequence_ = 0;
    std::uint32_t cycles_ = 0;
    std::uint32_t base_sequence_ = 0;
    std::uint32_t received_ = 0;
    std::uint32_t expected_prior_ = 0;
    std::uint32_t received_prior_ = 0;
    double jitter_ = 0;
    std::int64_t last_transit_ = 0;
};

} // namespace loa::clients
