#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <string>
#include <vector>

#include "loa/pipeline/ogg_opus.hpp"
#include "loa/pipeline/source.hpp"
#include "process.hpp"
#include "wav.hpp"

using namespace loa::pipeline;
using loa::test::wait_until;

namespace {

std::span<const std::uint8_t> bytes_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// `count` frames (20 ms each) of a 440 Hz tone, encoded as the server encodes.
std::vector<OpusFrame> tone_frames(int channels, int count) {
    std::mutex mutex;
    std::vector<OpusFrame> frames;
    EncoderSettings encoder;
    encoder.channels = channels;
    Source source(
        SourceSpec{"tone", SourceKind::tone, "", 440, false}, encoder,
        [&](const OpusFrame& f) {
            std::lock_guard lock(mutex);
            frames.push_back(f);
        },
        [](SourceState, const std::string&) {});
    source.start();
    wait_until(
        [&] {
            std::lock_guard lock(mutex);
            return static_cast<int>(frames.size()) >= count;
        },
        std::chrono::seconds(10));
    source.stop();
    std::lock_guard lock(mutex);
    // Frames go on arriving between the last look and the stop: keep exactly `count`.
    if (frames.size() > static_cast<std::size_t>(count))
        frames.resize(static_cast<std::size_t>(count));
    return frames;
}

} // namespace

TEST(OggOpus, CrcIsOggsPolynomial) {
    // Not reflected, initial 0, no final xor: CRC-32/POSIX (cksum) without its final
    // inversion, so the check value of "123456789" is ~0x765e7680.
    EXPECT_EQ(ogg_crc(bytes_of("123456789")), 0x89a1897fU);
}

TEST(OggOpus, HeadersArePagesHoldingOpusHeadThenOpusTags) {
    OggOpusWriter writer(0x1234, 2);
    auto headers = writer.headers();
    ASSERT_GE(headers.size(), 27U + 1 + 19);
    EXPECT_EQ(headers.substr(0, 4), "OggS");
    EXPECT_EQ(headers[5], 0x02) << "beginning of stream";
    EXPECT_EQ(headers.substr(28, 8), "OpusHead");
    EXPECT_EQ(headers[37], 2) << "channels";
    auto second = headers.find("OggS", 4);
    ASSERT_NE(second, std::string::npos);
    EXPECT_EQ(headers.substr(second + 28, 8), "OpusTags");
}

class OggOpusDecoding : public ::testing::TestWithParam<int> {};

TEST_P(OggOpusDecoding, WhatItWritesGStreamerDecodesToTheTone) {
    int channels = GetParam();
    auto frames = tone_frames(channels, 100);
    ASSERT_GE(frames.size(), 100U);
    loa::test::TempDir dir("ogg-opus");
    {
        OggOpusWriter writer(42, channels);
        std::ofstream out(dir.file("tone.ogg"), std::ios::binary);
        out << writer.headers();
        for (const auto& f : frames)
            out << writer.page(std::span<const std::uint8_t>(f.data.data(), f.size), f.samples);
    }
    ASSERT_TRUE(loa::test::decode_ogg_opus(dir.file("tone.ogg"), dir.file("tone.wav"),
                                           dir.file("decode.log")))
        << loa::test::read_file(dir.file("decode.log"));
    auto wav = loa::test::read_wav(dir.file("tone.wav"));
    // 100 frames of 20 ms, less the 80 ms pre-skip.
    EXPECT_NEAR(wav.seconds(), 2.0 - 0.08, 0.03);
    EXPECT_GT(loa::test::rms(wav, 0.2, 1.8), 0.05);
    EXPECT_EQ(loa::test::dominant_frequency(wav, 0.2, 1.8, {300, 440, 1000}), 440);
}

INSTANTIATE_TEST_SUITE_P(Channels, OggOpusDecoding, ::testing::Values(1, 2));
