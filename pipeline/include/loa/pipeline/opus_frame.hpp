#pragma once
/// @file
/// One encoded Opus frame, copied out of GStreamer into fixed storage so that the packet path
/// never allocates.

#include <array>
#include <cstddef>
#include <cstdint>

namespace loa::pipeline {

/// An Opus packet (RFC 6716) of one 20 ms frame, with its duration.
struct OpusFrame {
    static constexpr std::size_t kMaxSize = 1275; ///< largest Opus packet
    std::array<std::uint8_t, kMaxSize> data;
    std::uint16_t size = 0;
    std::uint32_t samples = 960; ///< duration in 48 kHz samples
};

} // namespace loa::pipeline
