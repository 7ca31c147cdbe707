// Group-key mode with AES-GCM: one packet protected per channel, sent to all its receivers;
// each receiver still authenticates its reports with its own key.
#include <csignal>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "wav.hpp"

using namespace loa::test;

TEST(GroupKey, AesGcmChannelKeyReachesEveryReceiverOfTheChannelOnly) {
    Scenario s("group-key");
    std::string province_key = Scenario::new_key(28);
    std::string commune_key = Scenario::new_key(28);
    std::string json = R"({"state_dir": ")" + s.dir().file("state") + R"(",
        "media": {"bind": "127.0.0.1", "port": )" +
                       std::to_string(s.media_port()) +
                       R"(, "profile": "aead_aes_128_gcm", "key_mode": "group"},
        "http": {"port": 0},
        "sources": [{"id": "high", "type": "tone", "frequency": 1000},
                    {"id": "low", "type": "tone", "frequency": 440}],
        "channels": [{"id": "province", "source": "high", "key": ")" +
                       province_key + R"("},
                     {"id": "commune", "source": "low", "key": ")" +
                       commune_key + R"("}],
        "receivers": [)";
    std::vector<std::pair<std::string, std::string>> receivers; // id, channel
    for (int i = 0; i < 4; ++i)
        receivers.emplace_back("g-" + std::to_string(i), i < 3 ? "province" : "commune");
    for (std::size_t i = 0; i < receivers.size(); ++i) {
        std::string key = Scenario::new_key(28);
        s.receivers().push_back({receivers[i].first, receivers[i].second, key, key});
        json += (i ? "," : "") + std::string(R"({"id": ")") + receivers[i].first +
                R"(", "channel": ")" + receivers[i].second + R"(", "key": ")" + key + R"("})";
    }
    json += "]}";
    s.write_raw_config(json);
    s.start_server();
    std::vector<Process> processes;
    for (const auto& r : s.receivers()) {
        bool province = r.channel == "province";
        processes.emplace_back(
            std::vector<std::string>{LOA_RECEIVER_BIN, "--id", r.id, "--server",
                                     "127.0.0.1:" + std::to_string(s.media_port()), "--key", r.key,
                                     "--profile", "aead_aes_128_gcm", "--group", r.channel,
                                     "--group-key", province ? province_key : commune_key,
                                     "--output", s.wav(r.id), "--state-dir", s.dir().file("rs"),
                                     "--jitter-ms", "60"},
            s.receiver_log(r.id));
    }
    ASSERT_TRUE(wait_until(
        [&] {
            for (const auto& r : s.receivers())
                if (wav_data_bytes(s.wav(r.id)) < 2 * 96000)
                    return false;
            return true;
        },
        std::chrono::seconds(30)))
        << read_file(s.server_log());
    for (auto& p : processes)
        p.signal(SIGTERM);
    for (auto& p : processes)
        p.wait(std::chrono::seconds(10));
    s.kill_server(SIGTERM);
    for (const auto& r : s.receivers()) {
        SCOPED_TRACE(r.id);
        Wav wav = read_wav(s.wav(r.id));
        double expected = r.channel == "province" ? 1000 : 440;
        EXPECT_EQ(dominant_frequency(wav, 0.3, wav.seconds() - 0.1, {440, 1000}), expected);
        EXPECT_GT(rms(wav, 0.3, wav.seconds() - 0.1), 0.05);
    }
    // One packet per channel and frame was protected, whatever the number of receivers:
    // the server logs group mode and every receiver latched with its own key.
    std::string log = read_file(s.server_log());
    for (const auto& r : s.receivers())
        EXPECT_NE(log.find("receiver " + r.id + " latched"), std::string::npos);
}
