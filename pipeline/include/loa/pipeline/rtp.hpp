#pragma once
/// @file
/// RTP (RFC 3550) headers for the Opus payload of RFC 7587, and the per-receiver sender state
/// that keeps SSRC, sequence and timestamp continuous whatever program is behind a channel.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace loa::pipeline {

constexpr std::size_t kRtpHeaderSize = 12;
constexpr std::uint8_t kOpusPayloadType = 96; ///< dynamic payload type announced in the SDP
constexpr std::uint32_t kOpusClockRate = 48000;

/// The fields of a fixed RTP header (no CSRCs, no extension).
struct RtpHeader {
    std::uint8_t payload_type = kOpusPayloadType;
    bool marker = false;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
};

/// Writes a 12-byte RTP header.
void write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize> out, const RtpHeader& header);

/// A parsed RTP packet: its header and where its payload lies.
struct RtpPacketView {
    RtpHeader header;
    std::span<const std::uint8_t> payload;
};

/// Parses an RTP packet (skipping CSRCs, extension and padding); nullopt if malformed.
std::optional<RtpPacketView> parse_rtp(std::span<const std::uint8_t> packet);

/// One receiver's outgoing RTP numbering. Sequence and timestamp never reset; the timestamp
/// follows the channel's media clock plus a random per-receiver offset, so a program switch
/// behind the channel is seamless and only flagged with the marker bit.
class RtpStream {
public:
    RtpStream(std::uint32_t ssrc, std::uint16_t first_sequence, std::uint32_t timestamp_offset);

    /// The header of the next packet. `channel_timestamp` is the channel's media clock (48 kHz
    /// samples); `program` identifies what the channel plays, and a change sets the marker.
    RtpHeader next(std::uint32_t channel_timestamp, std::uint32_t program);

    std::uint32_t ssrc() const { return ssrc_; }
    /// The receiver is moving to another channel, whose media clock is unrelated: the next
    /// packet continues this stream's timestamps one frame on, with the marker bit.
    void rebase();

private:
    static constexpr std::uint32_t kMaxStep = 48000; ///< larger steps are gaps, not frames
    std::uint32_t ssrc_;
    std::uint16_t sequence_;
    std::uint32_t timestamp_offset_;
    std::optional<std::uint32_t> program_;
    std::optional<std::uint32_t> last_timestamp_;
    std::uint32_t last_step_ = 960; ///< 20 ms at 48 kHz until measured
    bool rebase_ = false;
};

} // namespace loa::pipeline
