#include "loa/pipeline/level_meter.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <numbers>
#include <vector>

namespace {

using loa::pipeline::LevelMeter;

constexpr std::int64_t kMs = 1'000'000;

/// `ms` of a 1 kHz sine at `amplitude` (of full scale), 48 kHz, `channels` interleaved.
std::vector<std::int16_t> sine(int ms, double amplitude, int channels = 1) {
    std::vector<std::int16_t> out;
    for (int i = 0; i < 48 * ms; ++i) {
        double v = amplitude * 32767 * std::sin(2 * std::numbers::pi * 1000 * i / 48000.0);
        for (int c = 0; c < channels; ++c)
            out.push_back(static_cast<std::int16_t>(std::lround(v)));
    }
    return out;
}

TEST(LevelMeter, RmsOfAFullScaleSineIsMinusThreeDbfsAndOfSilenceTheFloor) {
    auto full = sine(100, 1.0);
    EXPECT_NEAR(loa::pipeline::rms_dbfs(full.data(), full.size()), -3.01, 0.05);
    auto tenth = sine(100, 0.1);
    EXPECT_NEAR(loa::pipeline::rms_dbfs(tenth.data(), tenth.size()), -23.01, 0.05);
    std::vector<std::int16_t> zeros(4800, 0);
    EXPECT_EQ(loa::pipeline::rms_dbfs(zeros.data(), zeros.size()), loa::pipeline::kSilenceDbfs);
    EXPECT_EQ(loa::pipeline::rms_dbfs(nullptr, 0), loa::pipeline::kSilenceDbfs);
}

TEST(LevelMeter, CountsSoundAndSilenceInWholeBlocksWhateverTheBufferSizes) {
    LevelMeter meter(-40);
    auto loud = sine(250, 0.1); // -23 dBFS: sound
    // Fed in odd pieces: only complete 100 ms blocks count, the rest waits for the next feed.
    meter.feed(loud.data(), 7, 1, 1 * kMs);
    meter.feed(loud.data() + 7, loud.size() - 7, 1, 250 * kMs);
    auto t = meter.totals();
    EXPECT_EQ(t.measured_ms, 200u);
    EXPECT_EQ(t.sound_ms, 200u);
    EXPECT_NEAR(t.last_dbfs, -23.0, 0.1);
    EXPECT_EQ(t.last_sound_ns, 250 * kMs);

    auto quiet = sine(350, 0.001); // -63 dBFS: below the threshold
    meter.feed(quiet.data(), quiet.size(), 1, 600 * kMs);
    t = meter.totals();
    EXPECT_EQ(t.measured_ms, 600u); // the open 50 ms of sound closed with 50 ms of quiet
    EXPECT_EQ(t.sound_ms, 300u);    // ... and that mixed block is still loud enough
    EXPECT_NEAR(t.last_dbfs, -63.0, 0.1);
    EXPECT_EQ(t.last_sound_ns, 600 * kMs);
}

TEST(LevelMeter, MeasuresEveryChannelOfInterleavedAudio) {
    LevelMeter meter(-40);
    auto stereo = sine(100, 0.1, 2);
    meter.feed(stereo.data(), stereo.size(), 2, kMs);
    EXPECT_EQ(meter.totals().measured_ms, 100u);
    EXPECT_NEAR(meter.totals().last_dbfs, -23.0, 0.1);
    std::vector<std::int16_t> zeros(9600, 0);
    meter.feed(zeros.data(), zeros.size(), 2, 2 * kMs);
    EXPECT_EQ(meter.totals().sound_ms, 100u);
    EXPECT_EQ(meter.totals().last_dbfs, loa::pipeline::kSilenceDbfs);
}

} // namespace

TEST(LevelMeter, SaysWhichOfTheLastSecondsHadSound) {
    constexpr std::int64_t kSecond = 1000 * kMs;
    LevelMeter meter(-40);
    auto loud = sine(100, 0.1);
    auto quiet = sine(100, 0.001);
    EXPECT_EQ(meter.sound_seconds(0), 0U);
    meter.feed(loud.data(), loud.size(), 1, kSecond / 2);           // second 0
    meter.feed(quiet.data(), quiet.size(), 1, kSecond + 500 * kMs); // second 1: quiet
    meter.feed(loud.data(), loud.size(), 1, 2 * kSecond + 100 * kMs);
    EXPECT_EQ(meter.sound_seconds(2 * kSecond + 900 * kMs), 0b101U);
    EXPECT_EQ(meter.sound_seconds(5 * kSecond), 0b101000U); // nothing played since: older
    EXPECT_EQ(meter.sound_seconds(53 * kSecond), std::uint64_t{1} << 51); // second 0 is out
    EXPECT_EQ(meter.sound_seconds(54 * kSecond), 0U) << "beyond the window";
}

TEST(LevelMeter, OnlyARunOfSoundOfThreeBlocksIsSustained) {
    LevelMeter meter(-40);
    auto loud = sine(100, 0.1);
    auto quiet = sine(100, 0.001);
    meter.feed(loud.data(), loud.size(), 1, 100 * kMs); // a blip
    meter.feed(quiet.data(), quiet.size(), 1, 200 * kMs);
    EXPECT_EQ(meter.totals().last_sustained_ns, 0);
    EXPECT_EQ(meter.totals().last_sound_ns, 100 * kMs);
    for (int i = 3; i <= 5; ++i)
        meter.feed(loud.data(), loud.size(), 1, i * 100 * kMs);
    EXPECT_EQ(meter.totals().last_sustained_ns, 500 * kMs) << "300 ms of sound";
    EXPECT_EQ(meter.totals().last_block_ns, 500 * kMs);
}
