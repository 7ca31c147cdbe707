// The media plane wired as loa-server runs it, in process: a report latches a receiver, the
// server keeps its figures, and media flows to the latched address.
#include <array>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include "loa/common/secret.hpp"
#include "loa/pipeline/rtcp.hpp"
#include "loa/pipeline/udp_socket.hpp"
#include "loa/server/media/media_server.hpp"
#include "process.hpp"

using namespace loa;

TEST(MediaServer, ReportLatchesTheReceiverAndItsFiguresAreKept) {
    test::TempDir dir("media-server");
    std::vector<std::uint8_t> key(30);
    common::random_bytes(key.data(), key.size());
    server::Settings settings;
    settings.state_dir = dir.path();
    settings.media_bind = "127.0.0.1";
    settings.media_port = static_cast<std::uint16_t>(test::free_udp_port());
    settings.workers = 1;
    settings.sources.push_back({"tone", pipeline::SourceKind::tone, "", 1000, false});
    settings.channels.push_back({"province", std::string("tone"), {}});
    settings.receivers.push_back({"r1", "province", key, std::nullopt});
    server::MediaServer media(settings, common::SystemClock::instance());
    media.start();

    auto receiver = pipeline::UdpSocket::bind(*pipeline::Endpoint::parse("127.0.0.1:0"));
    auto session =
        pipeline::SrtpSession::outbound(pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80, key, 77);
    std::array<std::uint8_t, 512> buf{};
    std::size_t len = pipeline::write_receiver_report(
        buf, {77, "r1", pipeline::ReceptionReport{1, 64, 12, 500, 480}});
    ASSERT_TRUE(session->protect_rtcp(buf.data(), len, buf.size()));
    sockaddr_in to = pipeline::Endpoint(0x7f000001, settings.media_port).to_sockaddr();
    ::sendto(receiver->fd(), buf.data(), len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);

    ASSERT_TRUE(test::wait_until([&] { return media.receiver_status()[0].reports == 1; },
                                 std::chrono::seconds(5)));
    auto status = media.receiver_status()[0];
    EXPECT_EQ(status.address, "127.0.0.1:" + std::to_string(receiver->local_port()));
    EXPECT_DOUBLE_EQ(status.loss_percent, 25.0);
    EXPECT_EQ(status.cumulative_lost, 12);
    EXPECT_DOUBLE_EQ(status.jitter_ms, 10.0);

    pollfd p{receiver->fd(), POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 5000), 0) << "no media reached the latched address";
    media.stop();
    EXPECT_GT(media.stats().fanout.packets_sent, 0U);
}

TEST(MediaServer, ReceiversRemovedAreForgottenAndTheirPlacesTakenAgain) {
    test::TempDir dir("media-server-churn");
    server::Settings settings;
    settings.state_dir = dir.path();
    settings.media_bind = "127.0.0.1";
    settings.media_port = static_cast<std::uint16_t>(test::free_udp_port());
    settings.workers = 2;
    settings.channels.push_back({"70-001", std::nullopt, {}});
    server::MediaServer media(settings, common::SystemClock::instance());
    media.start();
    std::vector<std::uint8_t> key(30);
    common::random_bytes(key.data(), key.size());
    // Provisioned receivers come and go over the years: places and memory stay bounded by the
    // most there ever were at once.
    constexpr int kAtOnce = 200;
    for (int round = 0; round < 10; ++round) {
        for (int i = 0; i < kAtOnce; ++i)
            ASSERT_TRUE(media.add_receiver("box-" + std::to_string(round) + "-" + std::to_string(i),
                                           "70-001", key));
        EXPECT_EQ(media.receiver_status().size(), static_cast<std::size_t>(kAtOnce));
        for (int i = 0; i < kAtOnce; ++i)
            ASSERT_TRUE(
                media.remove_receiver("box-" + std::to_string(round) + "-" + std::to_string(i)));
        EXPECT_TRUE(media.receiver_status().empty());
        // The shards apply the removals while idle (nothing plays here), within half a second.
        ASSERT_TRUE(test::wait_until([&] { return media.stats().fanout.receivers == 0; },
                                     std::chrono::seconds(5)));
    }
    auto fanout = media.stats().fanout;
    EXPECT_LE(fanout.places, static_cast<std::size_t>(kAtOnce) + 2) << "places are taken again";
    EXPECT_FALSE(media.remove_receiver("box-0-0")) << "a removed receiver is unknown";
    ASSERT_TRUE(media.add_receiver("box-0-0", "70-001", key)) << "and may come back";
    media.stop();
}
