// A standard SRTP receiver that Loa did not write (GStreamer's srtpdec), fed the SDP that
// `loa-server --sdp` prints, decodes the stream to the right tone.
#include <csignal>
#include <cstdio>
#include <gtest/gtest.h>
#include <regex>

#include "harness.hpp"
#include "loa/common/secret.hpp"
#include "wav.hpp"

using namespace loa::test;

namespace {

std::string run_and_capture(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr)
        return out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr)
        out += buf;
    ::pclose(pipe);
    return out;
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (auto b : bytes) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

} // namespace

TEST(Interop, GStreamerSrtpdecPlaysTheStreamFromTheSdp) {
    Scenario s("interop");
    int player_port = free_udp_port();
    std::string key = Scenario::new_key();
    s.write_config(R"([{"id": "high", "type": "tone", "frequency": 1000}])",
                   R"([{"id": "province", "source": "high"}])",
                   R"({"id": "std-player", "channel": "province", "key": ")" + key +
                       R"(", "address": "127.0.0.1:)" + std::to_string(player_port) + R"("})");
    s.start_server();
    ASSERT_TRUE(wait_until(
        [&] { return read_file(s.server_log()).find("media plane on") != std::string::npos; },
        std::chrono::seconds(10)));

    std::string sdp = run_and_capture(std::string(LOA_SERVER_BIN) + " --config " + s.config_path() +
                                      " --sdp std-player");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(sdp, m, std::regex(R"(m=audio (\d+) RTP/SAVP 96)"))) << sdp;
    std::string port = m[1];
    ASSERT_TRUE(std::regex_search(
        sdp, m, std::regex(R"(a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+))")))
        << sdp;
    auto master = loa::common::from_base64(m[1]);
    ASSERT_TRUE(master);
    ASSERT_TRUE(std::regex_search(sdp, m, std::regex(R"(a=ssrc:(\d+) )"))) << sdp;
    std::string ssrc = m[1];

    std::string wav_path = s.dir().file("std-player.wav");
    std::string caps = "application/x-srtp,media=audio,clock-rate=48000,encoding-name=OPUS,"
                       "payload=96,ssrc=(uint)" +
                       ssrc + ",srtp-key=(buffer)" + hex(*master) +
                       ",srtp-cipher=aes-128-icm,srtp-auth=hmac-sha1-80,"
                       "srtcp-cipher=aes-128-icm,srtcp-auth=hmac-sha1-80";
    Process player({"/usr/bin/gst-launch-1.0",
                    "-e",
                    "udpsrc",
                    "port=" + port,
                    "caps=" + caps,
                    "!",
                    "srtpdec",
                    "!",
                    "rtpjitterbuffer",
                    "latency=100",
                    "!",
                    "rtpopusdepay",
                    "!",
                    "opusdec",
                    "!",
                    "audioconvert",
                    "!",
                    "audio/x-raw,channels=1",
                    "!",
                    "wavenc",
                    "!",
                    "filesink",
                    "location=" + wav_path},
                   s.dir().file("gst-launch.log"));
    ASSERT_TRUE(
        wait_until([&] { return wav_data_bytes(wav_path) > 2 * 96000; }, std::chrono::seconds(20)))
        << read_file(s.dir().file("gst-launch.log"));
    player.signal(SIGINT); // -e: end of stream, so the WAV header is written
    player.wait(std::chrono::seconds(10));
    s.kill_server(SIGTERM);

    Wav wav = read_wav(wav_path);
    ASSERT_GT(wav.seconds(), 1.5);
    EXPECT_EQ(dominant_frequency(wav, 0.3, wav.seconds() - 0.1, {440, 1000, 2000}), 1000);
    EXPECT_GT(rms(wav, 0.3, wav.seconds() - 0.1), 0.05);
}
