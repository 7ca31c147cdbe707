// A keystream is never reused across restarts: no (key, SSRC, packet index) is sent twice,
// by the server (media) or by a receiver (its SRTCP reports).
#include <array>
#include <csignal>
#include <gtest/gtest.h>
#include <poll.h>
#include <set>
#include <sys/socket.h>

#include "harness.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/rtcp.hpp"
#include "loa/pipeline/rtp.hpp"
#include "loa/pipeline/srtp.hpp"
#include "loa/pipeline/ssrc.hpp"
#include "loa/pipeline/udp_socket.hpp"

using namespace loa::pipeline;
using namespace loa::test;

namespace {

constexpr auto kProfile = SrtpProfile::aes_cm_128_hmac_sha1_80;

/// A receiver played by the test: latches with one report, then collects packets.
class Probe {
public:
    Probe(std::vector<std::uint8_t> key, int server_port)
        : key_(std::move(key)), server_(0x7f000001, static_cast<std::uint16_t>(server_port)) {}

    /// One start of the probe: report with `report_ssrc`, then gather `count` packets as
    /// (SSRC, sequence) pairs, checking each one decrypts.
    std::vector<std::pair<std::uint32_t, std::uint16_t>> listen(std::uint32_t report_ssrc,
                                                                int count) {
        auto reports = SrtpSession::outbound(kProfile, key_, report_ssrc);
        auto media = SrtpSession::inbound(kProfile, key_);
        std::vector<std::pair<std::uint32_t, std::uint16_t>> seen;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        auto next_report = std::chrono::steady_clock::now();
        while (static_cast<int>(seen.size()) < count &&
               std::chrono::steady_clock::now() < deadline) {
            if (std::chrono::steady_clock::now() >= next_report) {
                std::array<std::uint8_t, kMaxReceiverReportSize + kSrtpMaxTrailer> buf{};
                std::size_t len = write_receiver_report(buf, {report_ssrc, "probe", std::nullopt});
                EXPECT_TRUE(reports->protect_rtcp(buf.data(), len, buf.size()));
                sockaddr_in to = server_.to_sockaddr();
                ::sendto(socket_.fd(), buf.data(), len, 0, reinterpret_cast<sockaddr*>(&to),
                         sizeof to);
                next_report = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
            }
            pollfd p{socket_.fd(), POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0)
                continue;
            std::array<std::uint8_t, 2048> packet{};
            ssize_t n = ::recv(socket_.fd(), packet.data(), packet.size(), 0);
            if (n <= 0)
                continue;
            auto clear = parse_rtp(
                std::span<const std::uint8_t>(packet.data(), static_cast<std::size_t>(n)));
            std::size_t len = static_cast<std::size_t>(n);
            EXPECT_TRUE(clear && media->unprotect_rtp(packet.data(), len));
            seen.emplace_back(clear->header.ssrc, clear->header.sequence);
        }
        return seen;
    }

private:
    std::vector<std::uint8_t> key_;
    Endpoint server_;
    UdpSocket socket_ = std::move(UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"))).value();
};

} // namespace

TEST(Keystream, ServerNeverReusesAnSsrcAndIndexAcrossAKill) {
    Scenario s("keystream-server");
    std::string key = Scenario::new_key();
    s.write_config(R"([{"id": "t", "type": "tone", "frequency": 1000}])",
                   R"([{"id": "province", "source": "t"}])",
                   R"({"id": "probe", "channel": "province", "key": ")" + key + R"("})");
    Probe probe(*loa::common::from_base64(key), s.media_port());

    std::set<std::pair<std::uint32_t, std::uint16_t>> sent;
    std::vector<std::uint32_t> ssrcs;
    for (int start = 0; start < 3; ++start) {
        s.start_server();
        auto packets = probe.listen(1000 + static_cast<std::uint32_t>(start), 60);
        ASSERT_EQ(packets.size(), 60U) << "start " << start << " sent too little";
        for (const auto& p : packets)
            EXPECT_TRUE(sent.insert(p).second)
                << "SSRC " << p.first << " sequence " << p.second << " was sent twice";
        ssrcs.push_back(packets.front().first);
        s.kill_server(SIGKILL); // no chance to save anything on the way out
    }
    for (std::size_t i = 1; i < ssrcs.size(); ++i)
        EXPECT_TRUE(epoch_newer(epoch_of(ssrcs[i], "probe"), epoch_of(ssrcs[i - 1], "probe")))
            << "start " << i << " did not take a newer epoch";
}

TEST(Keystream, ReceiverReportsUseAFreshSsrcEveryStart) {
    TempDir dir("keystream-receiver");
    auto server = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    ASSERT_TRUE(server);
    std::string key = Scenario::new_key();
    std::vector<std::uint32_t> ssrcs;
    for (int start = 0; start < 3; ++start) {
        Process receiver({LOA_RECEIVER_BIN, "--id", "r1", "--server",
                          "127.0.0.1:" + std::to_string(server->local_port()), "--key", key,
                          "--output", dir.file("r1.wav"), "--state-dir", dir.file("state")},
                         dir.file("receiver.log"));
        pollfd p{server->fd(), POLLIN, 0};
        ASSERT_GT(::poll(&p, 1, 10000), 0) << "no report arrived";
        std::array<std::uint8_t, 512> buf{};
        ssize_t n = ::recv(server->fd(), buf.data(), buf.size(), 0);
        ASSERT_GE(n, 8);
        ssrcs.push_back((std::uint32_t{buf[4]} << 24) | (std::uint32_t{buf[5]} << 16) |
                        (std::uint32_t{buf[6]} << 8) | buf[7]);
        receiver.signal(SIGKILL);
        receiver.wait(std::chrono::seconds(5));
        while (::recv(server->fd(), buf.data(), buf.size(), MSG_DONTWAIT) > 0) {
        }
    }
    for (std::size_t i = 1; i < ssrcs.size(); ++i)
        EXPECT_TRUE(epoch_newer(ssrcs[i], ssrcs[i - 1])) << "start " << i << " reused or went back";
}
