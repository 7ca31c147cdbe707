#pragma once
/// @file
/// An Ogg Opus stream writer (RFC 7845 in RFC 3533 pages), for playing a channel's Opus
/// frames in a web browser: two header pages, then one page per frame. No allocation beyond
/// the page returned, no GStreamer.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace loa::pipeline {

/// Writes one logical Ogg Opus stream, page by page, starting from any frame of a live source.
class OggOpusWriter {
public:
    /// Samples a decoder drops at the start: RFC 7845 recommends 80 ms when a stream starts
    /// at an arbitrary point of the encoder's output, so the decoder has converged.
    static constexpr std::uint16_t kPreSkip = 3840;

    /// `serial` names the stream; `channels` is the encoder's (1 or 2, mapping family 0).
    OggOpusWriter(std::uint32_t serial, int channels);

    /// The pages that begin the stream: OpusHead (beginning of stream), then OpusTags.
    std::string headers();
    /// One page holding one Opus `packet` of `samples` (at 48 kHz).
    std::string page(std::span<const std::uint8_t> packet, std::uint32_t samples);

private:
    std::string write_page(std::span<const std::uint8_t> packet, std::uint8_t flags);

    std::uint32_t serial_;
    int channels_;
    std::uint32_t sequence_ = 0;
    std::uint64_t granule_ = 0;
};

/// The CRC of Ogg pages (polynomial 0x04c11db7, not reflected, initial 0).
std::uint32_t ogg_crc(std::span<const std::uint8_t> bytes);

} // namespace loa::pipeline
