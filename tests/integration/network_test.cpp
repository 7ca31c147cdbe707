// A lossy link and a network gap, in a network namespace the test makes itself: an nftables rule
// on its loopback drops UDP at random (or all of it). Receivers conceal losses and come back by
// themselves after a gap. (tc netem would do too, but not every kernel here has sch_netem.)
#include <csignal>
#include <cstdlib>
#include <gtest/gtest.h>
#include <map>
#include <thread>
#include <unistd.h>

#include "harness.hpp"
#include "netns.hpp"
#include "wav.hpp"

using namespace loa::test;

namespace {

std::size_t smallest_wav(const Scenario& s) {
    std::size_t least = SIZE_MAX;
    for (const auto& r : s.receivers())
        least = std::min(least, wav_data_bytes(s.wav(r.id)));
    return least;
}

constexpr std::size_t kBytesPerSecond = 96000;

} // namespace

TEST(Network, ReceiversConcealLossAndResumeAfterAGap) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root for ip netns and tc";
    Netns ns;
    ASSERT_TRUE(ns.ok()) << "cannot create a network namespace";
    Scenario s("network");
    s.use_netns(ns.name());
    s.add_receivers("lossy", "province", 3);
    s.write_config(R"([{"id": "t", "type": "tone", "frequency": 1000}])",
                   R"([{"id": "province", "source": "t"}])");
    s.start_server();
    s.start_receivers(80);
    ASSERT_TRUE(wait_until([&] { return smallest_wav(s) >= 2 * kBytesPerSecond; },
                           std::chrono::seconds(30)));

    // 10 % loss each way for a few seconds: FEC and concealment keep the tone going.
    ASSERT_TRUE(ns.loss(10));
    std::size_t before_loss = smallest_wav(s);
    ASSERT_TRUE(wait_until([&] { return smallest_wav(s) >= before_loss + 3 * kBytesPerSecond; },
                           std::chrono::seconds(20)));
    // A total outage of three seconds: the stimulus itself, not a wait for a condition.
    ASSERT_TRUE(ns.loss(100));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    ASSERT_TRUE(ns.loss(0));
    // The jitter buffer conceals the gap's packets only once packets flow again, so a recording
    // stands still during the gap: audio is back when a recording has grown past the gap and
    // its last half second holds the tone again.
    std::map<std::string, double> at_gap_end;
    for (const auto& r : s.receivers())
        at_gap_end[r.id] = read_wav(s.wav(r.id)).seconds();
    auto resumed = [&] {
        for (const auto& r : s.receivers()) {
            Wav wav = read_wav(s.wav(r.id));
            double end = wav.seconds();
            if (end < at_gap_end[r.id] + 3.5 || rms(wav, end - 0.5, end) < 0.05 ||
                dominant_frequency(wav, end - 0.5, end, {440, 1000}) != 1000)
                return false;
        }
        return true;
    };
    auto gap_end = std::chrono::steady_clock::now();
    ASSERT_TRUE(wait_until(resumed, std::chrono::seconds(10)))
        << "receivers did not resume after the gap";
    std::cout << "audio resumed on all receivers "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - gap_end)
                     .count()
              << " ms after the gap\n";
    std::size_t resumed_at = smallest_wav(s);
    ASSERT_TRUE(wait_until([&] { return smallest_wav(s) >= resumed_at + kBytesPerSecond; },
                           std::chrono::seconds(10)));
    s.stop_receivers();
    s.kill_server(SIGTERM);

    for (const auto& r : s.receivers()) {
        SCOPED_TRACE(r.id);
        std::string log = read_file(s.receiver_log(r.id));
        auto summary = log.rfind("{\"received\"");
        ASSERT_NE(summary, std::string::npos) << log;
        std::string counters = log.substr(summary);
        auto number = [&](const std::string& key) {
            auto at = counters.find("\"" + key + "\":");
            return std::atof(counters.c_str() + at + key.size() + 3);
        };
        EXPECT_GT(number("lost"), 0) << counters;      // the loss was real...
        EXPECT_GT(number("concealed"), 0) << counters; // ...and concealed
        Wav wav = read_wav(s.wav(r.id));
        // The tone is there at the end, after the gap.
        EXPECT_EQ(dominant_frequency(wav, wav.seconds() - 1.5, wav.seconds() - 0.2, {440, 1000}),
                  1000);
        EXPECT_GT(rms(wav, wav.seconds() - 1.5, wav.seconds() - 0.2), 0.05);
    }
}
