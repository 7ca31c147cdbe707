// The receiver's network side against a fake server on 127.0.0.1: it latches with an
// authenticated report, plays what the current server start sends, follows a newer start and
// refuses forged packets and packets from an older start.
#include <array>
#include <atomic>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>

#include "keys.hpp"
#include "loa/clients/media_link.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/rtcp.hpp"
#include "loa/pipeline/rtp.hpp"
#include "loa/pipeline/ssrc.hpp"
#include "process.hpp"

using namespace loa;
using namespace loa::pipeline;

namespace {

constexpr auto kProfile = SrtpProfile::aes_cm_128_hmac_sha1_80;

class FakeServer {
public:
    explicit FakeServer(std::vector<std::uint8_t> key) : key_(std::move(key)) {}

    std::uint16_t port() const { return socket_.local_port(); }

    /// Waits for the receiver's first report; returns whether it authenticated.
    bool await_report() {
        pollfd p{socket_.fd(), POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0)
            return false;
        std::array<std::uint8_t, 512> buf{};
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(socket_.fd(), buf.data(), buf.size(), 0,
                               reinterpret_cast<sockaddr*>(&from), &len);
        receiver_ = from;
        auto inbound = SrtpSession::inbound(kProfile, key_);
        std::size_t size = static_cast<std::size_t>(n);
        return inbound->unprotect_rtcp(buf.data(), size);
    }

    /// Sends `count` packets of a start `epoch`; returns copies of what was sent.
    /// Protects `skipped` packets that never leave (the receiver was not there yet) first.
    std::vector<std::vector<std::uint8_t>> send(std::uint32_t epoch, int count,
                                                std::uint16_t first_sequence,
                                                const std::vector<std::uint8_t>& key,
                                                int skipped = 0) {
        std::uint32_t ssrc = ssrc_for(epoch, "r1");
        auto session = SrtpSession::outbound(kProfile, key, ssrc);
        std::vector<std::vector<std::uint8_t>> sent;
        for (int i = -skipped; i < count; ++i) {
            std::array<std::uint8_t, 256> packet{};
            RtpHeader h{kOpusPayloadType, false, static_cast<std::uint16_t>(first_sequence + i),
                        static_cast<std::uint32_t>(i) * 960U, ssrc};
            write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize>(packet.data(), 12), h);
            packet[12] = 0xf8; // an Opus TOC byte (CELT FB 20 ms) with an empty frame
            std::size_t len = 13;
            EXPECT_TRUE(session->protect_rtp(packet.data(), len, packet.size()));
            if (i < 0)
                continue;
            sent.emplace_back(packet.begin(), packet.begin() + static_cast<long>(len));
            raw(sent.back());
        }
        return sent;
    }

    void raw(const std::vector<std::uint8_t>& bytes) {
        ::sendto(socket_.fd(), bytes.data(), bytes.size(), 0,
                 reinterpret_cast<const sockaddr*>(&receiver_), sizeof receiver_);
    }

private:
    std::vector<std::uint8_t> key_;
    UdpSocket socket_ = std::move(UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"))).value();
    sockaddr_in receiver_{};
};

class MediaLinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        settings.id = "r1";
        settings.key = key;
        settings.server = Endpoint(0x7f000001, server.port());
        settings.state_dir = dir.path();
        settings.output = "null";
        player.start();
        link =
            std::make_unique<clients::MediaLink>(settings, player, common::SystemClock::instance());
        thread = std::thread([this] { link->run(stop); });
        ASSERT_TRUE(server.await_report()) << "the receiver's report did not authenticate";
    }
    void TearDown() override {
        stop = true;
        thread.join();
        player.finish(std::chrono::seconds(1));
    }
    bool received(std::uint64_t n) {
        return test::wait_until([&] { return link->stats().received >= n; },
                                std::chrono::seconds(3));
    }

    test::TempDir dir{"media-link"};
    std::vector<std::uint8_t> key = test::random_key(srtp_master_length(kProfile));
    FakeServer server{key};
    clients::ReceiverSettings settings;
    clients::Player player{{"null", 60, 1.0, false, 1}};
    std::unique_ptr<clients::MediaLink> link;
    std::atomic<bool> stop{false};
    std::thread thread;
};

} // namespace

TEST_F(MediaLinkTest, PlaysTheCurrentStartAndFollowsANewerOne) {
    server.send(5000, 10, 100, key);
    ASSERT_TRUE(received(10));
    EXPECT_EQ(link->stats().server_epoch, 5000U);
    server.send(5001, 10, 7, key); // the server restarted: new epoch, new numbering
    ASSERT_TRUE(received(20));
    EXPECT_EQ(link->stats().server_epoch, 5001U);
    EXPECT_EQ(link->stats().rejected, 0U);
}

TEST_F(MediaLinkTest, RefusesPacketsOfAnOlderStartEvenIfAuthentic) {
    auto old_start = server.send(5000, 5, 100, key);
    ASSERT_TRUE(received(5));
    server.send(5001, 5, 0, key);
    ASSERT_TRUE(received(10));
    for (const auto& packet : old_start) // an attacker replays a recording of the old start
        server.raw(packet);
    ASSERT_TRUE(
        test::wait_until([&] { return link->stats().stale >= 5; }, std::chrono::seconds(3)));
    EXPECT_EQ(link->stats().received, 10U);
}

TEST_F(MediaLinkTest, RefusesForgedReplayedAndTamperedPackets) {
    std::vector<std::uint8_t> wrong(key.size(), 0x42);
    server.send(5000, 3, 0, wrong); // forged with another key
    auto genuine = server.send(5000, 3, 10, key);
    ASSERT_TRUE(received(3));
    server.raw(genuine[0]); // replayed
    auto tampered = genuine[1];
    tampered[12] ^= 1;
    server.raw(tampered);
    ASSERT_TRUE(
        test::wait_until([&] { return link->stats().rejected >= 5; }, std::chrono::seconds(3)));
    EXPECT_EQ(link->stats().received, 3U);
}

TEST_F(MediaLinkTest, RemembersTheServersEpochAcrossItsOwnRestart) {
    server.send(5000, 3, 0, key);
    ASSERT_TRUE(received(3));
    stop = true;
    thread.join();
    // A new receiver process with the same state: an older server start is refused at once.
    clients::MediaLink restarted(settings, player, common::SystemClock::instance());
    EXPECT_EQ(restarted.stats().server_epoch, 5000U);
    EXPECT_NE(restarted.report_ssrc(), link->report_ssrc());
    stop = false;
    thread = std::thread([this] { link->run(stop); });
}

TEST_F(MediaLinkTest, JoinsAStreamThatWrappedItsSequenceNumbersBeforeIt) {
    // 70,000 packets went out before this receiver listened: the rollover counter is 1, which
    // a fresh SRTP context cannot guess (it assumes 0).
    server.send(5000, 5, 60000, key, 70000);
    ASSERT_TRUE(received(5));
    EXPECT_EQ(link->stats().rejected, 0U);
}

TEST_F(MediaLinkTest, RefusesAfterItsOwnRestartWhatItPlayedBefore) {
    auto played = server.send(5000, 5, 100, key);
    ASSERT_TRUE(received(5));
    stop = true;
    thread.join(); // saves the state on the way out
    auto restarted =
        std::make_unique<clients::MediaLink>(settings, player, common::SystemClock::instance());
    std::swap(link, restarted);
    stop = false;
    thread = std::thread([this] { link->run(stop); });
    ASSERT_TRUE(server.await_report());
    for (const auto& packet : played) // a recording replayed while the server is quiet
        server.raw(packet);
    ASSERT_TRUE(
        test::wait_until([&] { return link->stats().rejected >= 5; }, std::chrono::seconds(3)));
    EXPECT_EQ(link->stats().received, 0U);
}

namespace {

/// Counts what the link hands to the player (no GStreamer).
class PacketCount final : public clients::RtpSink {
public:
    void push(const std::uint8_t* /*packet*/, std::size_t /*len*/) override { ++count; }
    int count = 0;
};

} // namespace

TEST(MediaLinkSilence, RefusesAfterASilenceWhatItPlayedBefore) {
    // After 2 s without media the link searches the rollover counter of a packet that does not
    // verify; that search starts the stream's replay window afresh, as a restart does, and
    // what was played before must still be refused (found by tests/fuzz/media_fuzz.cpp).
    test::TempDir dir{"media-link-silence"};
    auto key = test::random_key(srtp_master_length(kProfile));
    clients::ReceiverSettings settings;
    settings.id = "r1";
    settings.key = key;
    settings.server = Endpoint(0x7f000001, 9);
    settings.state_dir = dir.path();
    common::ManualClock clock;
    PacketCount player;
    clients::MediaLink link(settings, player, clock);
    std::uint32_t ssrc = ssrc_for(1'799'999'000, "r1"); // a start shortly before the clock's now
    auto sender = SrtpSession::outbound(kProfile, key, ssrc);
    std::vector<std::vector<std::uint8_t>> sent;
    for (std::uint16_t sequence = 0; sequence < 4; ++sequence) {
        std::array<std::uint8_t, 64> packet{};
        RtpHeader h{kOpusPayloadType, false, sequence, sequence * 960U, ssrc};
        write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize>(packet.data(), 12), h);
        packet[12] = 0xf8;
        std::size_t len = 13;
        ASSERT_TRUE(sender->protect_rtp(packet.data(), len, packet.size()));
        sent.emplace_back(packet.begin(), packet.begin() + static_cast<long>(len));
    }
    auto deliver = [&](std::vector<std::uint8_t> packet) { // on_datagram works in place
        link.on_datagram(packet.data(), packet.size());
    };
    for (int i = 0; i < 3; ++i) {
        deliver(sent[i]);
        clock.advance(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(player.count, 3);
    clock.advance(std::chrono::seconds(3));
    deliver(sent[0]); // a recording replayed after a silence
    deliver(sent[1]);
    EXPECT_EQ(player.count, 3);
    EXPECT_EQ(link.stats().rejected, 2U);
    deliver(sent[3]); // the stream goes on
    EXPECT_EQ(player.count, 4);
}
