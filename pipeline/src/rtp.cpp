#include "loa/pipeline/rtp.hpp"

namespace loa::pipeline {
namespace {

void put32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

std::uint32_t get32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           p[3];
}

} // namespace

void write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize> out, const RtpHeader& header) {
    out[0] = 0x80; // version 2, no padding, no extension, no CSRC
    out[1] =
        static_cast<std::uint8_t>((header.marker ? 0x80 : 0x00) | (header.payload_type & 0x7f));
    out[2] = static_cast<std::uint8_t>(header.sequence >> 8);
    out[3] = static_cast<std::uint8_t>(header.sequence);
    put32(&out[4], header.timestamp);
    put32(&out[8], header.ssrc);
}

std::optional<RtpPacketView> parse_rtp(std::span<const std::uint8_t> packet) {
    if (packet.size() < kRtpHeaderSize || (packet[0] >> 6) != 2)
        return std::nullopt;
    RtpPacketView view;
    view.header.marker = (packet[1] & 0x80) != 0;
    view.header.payload_type = packet[1] & 0x7f;
    view.header.sequence = static_cast<std::uint16_t>((packet[2] << 8) | packet[3]);
    view.header.timestamp = get32(&packet[4]);
    view.header.ssrc = get32(&packet[8]);
    std::size_t offset = kRtpHeaderSize + std::size_t{4} * (packet[0] & 0x0fU);
    if ((packet[0] & 0x10) != 0) { // header extension
        if (packet.size() < offset + 4)
            return std::nullopt;
        offset += 4 + 4U * ((packet[offset + 2] << 8) | packet[offset + 3]);
    }
    std::size_t end = packet.size();
    if ((packet[0] & 0x20) != 0) { // padding
        std::size_t pad = packet[end - 1];
        if (pad == 0 || pad > end)
            return std::nullopt;
        end -= pad;
    }
    if (offset > end)
        return std::nullopt;
    view.payload = packet.subspan(offset, end - offset);
    return view;
}

RtpStream::RtpStream(std::uint32_t ssrc, std::uint16_t first_sequence,
                     std::uint32_t timestamp_offset)
    : ssrc_(ssrc), sequence_(first_sequence), timestamp_offset_(timestamp_offset) {}

RtpHeader RtpStream::next(std::uint32_t channel_timestamp, std::uint32_t program) {
    RtpHeader h;
    h.marker = program_.has_value() && *program_ != program;
    program_ = program;
    h.sequence = sequence_++;
    if (rebase_ && last_timestamp_) {
        // Another channel's clock: continue this stream's own, one frame on.
        timestamp_offset_ = *last_timestamp_ + last_step_ - channel_timestamp;
        h.marker = true;
    }
    rebase_ = false;
    h.timestamp = channel_timestamp + timestamp_offset_;
    if (last_timestamp_) {
        std::uint32_t step = h.timestamp - *last_timestamp_;
        if (step > 0 && step <= kMaxStep)
            last_step_ = step;
    }
    last_timestamp_ = h.timestamp;
    h.ssrc = ssrc_;
    return h;
}

void RtpStream::rebase() {
    rebase_ = true;
}

} // namespace loa::pipeline
