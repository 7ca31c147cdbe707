// The streaming core end to end: one server, fifty receivers, real processes on 127.0.0.1.
#include <csignal>
#include <gtest/gtest.h>
#include <map>

#include "harness.hpp"
#include "wav.hpp"

using namespace loa::test;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kReceivers = 50;
constexpr std::size_t kBytesPerSecond = 48000 * 2; // mono S16 at 48 kHz

const char* kSources = R"([{"id": "high", "type": "tone", "frequency": 1000},
                           {"id": "low", "type": "tone", "frequency": 440}])";

std::string channel_playing(const std::string& source) {
    return R"([{"id": "province", "source": ")" + source + R"("}])";
}

bool all_have(const Scenario& s, const std::map<std::string, std::size_t>& base, double seconds) {
    for (const auto& r : s.receivers())
        if (wav_data_bytes(s.wav(r.id)) <
            base.at(r.id) + static_cast<std::size_t>(seconds * kBytesPerSecond))
            return false;
    return true;
}

std::map<std::string, std::size_t> sizes(const Scenario& s) {
    std::map<std::string, std::size_t> m;
    for (const auto& r : s.receivers())
        m[r.id] = wav_data_bytes(s.wav(r.id));
    return m;
}

} // namespace

TEST(Streaming, FiftyReceiversFollowASwitchAndSurviveAServerKill) {
    Scenario s("streaming");
    s.add_receivers("rx", "province", kReceivers);
    s.write_config(kSources, channel_playing("high"));
    std::string intruder_wav = s.dir().file("intruder.wav");

    s.start_server();
    s.start_receivers();
    // An intruder claims rx-0's identity without its key: it must never get audio.
    loa::test::Process intruder({LOA_RECEIVER_BIN, "--id", "rx-0", "--server",
                                 "127.0.0.1:" + std::to_string(s.media_port()), "--key",
                                 Scenario::new_key(), "--output", intruder_wav, "--state-dir",
                                 s.dir().file("intruder-state")},
                                s.dir().file("intruder.log"));

    // Every receiver plays the 1 kHz tone; note when each one's audio began.
    std::map<std::string, Clock::time_point> first_audio;
    auto zero = sizes(s);
    ASSERT_TRUE(wait_until(
        [&] {
            // The file grows in flushes of its writer's buffer: the audio first seen began as
            // long before as the audio it already holds.
            for (const auto& r : s.receivers())
                if (auto bytes = wav_data_bytes(s.wav(r.id));
                    !first_audio.contains(r.id) && bytes > 0)
                    first_audio[r.id] =
                        Clock::now() -
                        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                            static_cast<double>(bytes) / kBytesPerSecond));
            return all_have(s, zero, 2.0);
        },
        std::chrono::seconds(60)))
        << "not every receiver recorded 2 s of audio";

    // Switch the channel to the 440 Hz tone.
    s.write_config(kSources, channel_playing("low"));
    s.kill_server(SIGHUP);
    auto at_switch = sizes(s);
    ASSERT_TRUE(wait_until([&] { return all_have(s, at_switch, 2.0); }, std::chrono::seconds(30)));

    // Kill the server outright and start it again: every receiver resumes by itself in 5 s.
    s.kill_server(SIGKILL);
    s.start_server();
    auto restarted = Clock::now();
    bool resumed = wait_until(
        [&] {
            for (const auto& r : s.receivers())
                if (read_file(s.receiver_log(r.id)).find("the server restarted") ==
                    std::string::npos)
                    return false;
            return true;
        },
        std::chrono::seconds(5));
    auto resume_time = Clock::now() - restarted;
    ASSERT_TRUE(resumed) << "not every receiver resumed within 5 s of the restart";
    std::cout << "all " << kReceivers << " receivers resumed "
              << std::chrono::duration_cast<std::chrono::milliseconds>(resume_time).count()
              << " ms after the restart\n";
    auto after_restart = sizes(s);
    ASSERT_TRUE(
        wait_until([&] { return all_have(s, after_restart, 1.5); }, std::chrono::seconds(20)));

    auto stopped = Clock::now();
    s.stop_receivers();
    intruder.signal(SIGTERM);
    intruder.wait(std::chrono::seconds(10));
    s.kill_server(SIGTERM);

    for (const auto& r : s.receivers()) {
        SCOPED_TRACE(r.id);
        Wav wav = read_wav(s.wav(r.id));
        ASSERT_EQ(wav.rate, 48000);
        // Duration: the time from its first audio to the stop, give or take start-up and
        // the jitter buffer.
        double expected = std::chrono::duration<double>(stopped - first_audio.at(r.id)).count();
        EXPECT_NEAR(wav.seconds(), expected, 0.6);
        double switched = first_time_dominant(wav, 440, 1000, 0.0);
        ASSERT_GT(switched, 1.5) << "440 Hz came too early (or never)";
        EXPECT_EQ(dominant_frequency(wav, 0.5, switched - 0.3, {440, 1000}), 1000);
        EXPECT_EQ(dominant_frequency(wav, switched + 0.3, switched + 1.5, {440, 1000}), 440);
        // After the restart the program plays again, audibly.
        EXPECT_EQ(dominant_frequency(wav, wav.seconds() - 1.2, wav.seconds() - 0.2, {440, 1000}),
                  440);
        EXPECT_GT(rms(wav, wav.seconds() - 1.2, wav.seconds() - 0.2), 0.05);
    }
    EXPECT_EQ(wav_data_bytes(intruder_wav), 0U) << "a receiver without the key recorded audio";
}
