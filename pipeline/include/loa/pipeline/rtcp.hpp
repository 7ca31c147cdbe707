#pragma once
/// @file
/// RTCP receiver reports (RFC 3550 §6.4.2) with an SDES CNAME naming the receiver. Receivers
/// send them authenticated (SRTCP) to the server's media port: they latch the receiver's public
/// address, keep its NAT binding open and carry its loss and jitter figures.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace loa::pipeline {

/// Reception quality of one stream, as a receiver reports it.
struct ReceptionReport {
    std::uint32_t source_ssrc = 0;      ///< the SSRC being reported on
    std::uint8_t fraction_lost = 0;     ///< lost since the last report, in 1/256
    std::int32_t cumulative_lost = 0;   ///< 24-bit signed count since the start
    std::uint32_t highest_sequence = 0; ///< extended highest sequence number received
    std::uint32_t jitter = 0;           ///< interarrival jitter, in timestamp units
};

/// A receiver report compound: RR (optionally with one report block) + SDES CNAME.
struct ReceiverReport {
    std::uint32_t ssrc = 0;                ///< the reporting receiver's own SSRC
    std::string cname;                     ///< the receiver's id, as provisioned
    std::optional<ReceptionReport> report; ///< absent before any media arrived
};

/// Largest compound Loa builds (RR with one block + SDES with a CNAME of up to 255 bytes).
constexpr std::size_t kMaxReceiverReportSize = 8 + 24 + 8 + 2 + 255 + 4;

/// Serialises a compound into `out`; returns its length, or 0 if `out` is too small or the
/// CNAME is longer than 255 bytes.
std::size_t write_receiver_report(std::span<std::uint8_t> out, const ReceiverReport& report);

/// A parsed compound; the CNAME points into the packet (no allocation on the packet path).
struct ReceiverReportView {
    std::uint32_t ssrc = 0;
    std::string_view cname;
    std::optional<ReceptionReport> report;
};

/// Parses a compound's clear text (SRTCP trailer already removed); nullopt if malformed.
std::optional<ReceiverReportView> parse_receiver_report(std::span<const std::uint8_t> packet);

/// The CNAME of an SRTCP packet whose payload is authenticated but not encrypted, read before
/// the packet is verified so that the right key can be found. The packet includes the trailer.
std::optional<std::string_view> peek_cname(std::span<const std::uint8_t> srtcp_packet);

} // namespace loa::pipeline
