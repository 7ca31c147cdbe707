#include <array>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include "loa/common/clock.hpp"
#include "loa/pipeline/router.hpp"
#include "loa/pipeline/udp_socket.hpp"

using namespace loa::pipeline;

namespace {

struct PlainListener {
    UdpSocket socket = std::move(UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"))).value();
    ReceiverLink link;
    PlainListener() { link.address = Endpoint(0x7f000001, socket.local_port()).packed(); }

    std::optional<RtpPacketView> receive(std::array<std::uint8_t, 2048>& buf) {
        pollfd p{socket.fd(), POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0)
            return std::nullopt;
        ssize_t n = ::recv(socket.fd(), buf.data(), buf.size(), 0);
        return parse_rtp(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)));
    }
};

OpusFrame frame_of(const std::string& text) {
    OpusFrame f;
    f.size = static_cast<std::uint16_t>(text.size());
    std::copy(text.begin(), text.end(), f.data.begin());
    return f;
}

} // namespace

TEST(Router, RebindingTakesEffectOnTheNextFrameWithAMarker) {
    loa::common::ManualClock clock;
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    FanOut fanout(sender->fd(), 1);
    PlainListener listener;
    Router router(fanout, clock);
    auto commune = router.add_channel("commune-1");
    fanout.add_receiver(commune, RtpStream(5, 10, 0), std::nullopt, &listener.link);
    fanout.start();
    router.start();

    constexpr std::uint32_t kNews = 0, kMusic = 1;
    router.bind(commune, kNews);
    router.post_frame(kMusic, frame_of("music-ignored")); // not bound: goes nowhere
    router.post_frame(kNews, frame_of("news-1"));         // once it arrives, both were routed
    std::array<std::uint8_t, 2048> buf{};
    auto first = listener.receive(buf);
    ASSERT_TRUE(first);
    EXPECT_EQ(std::string(first->payload.begin(), first->payload.end()), "news-1");
    std::uint32_t ts1 = first->header.timestamp;
    std::uint16_t seq1 = first->header.sequence;

    clock.advance(std::chrono::milliseconds(20));
    router.bind(commune, kMusic);
    router.post_frame(kNews, frame_of("news-2")); // no longer bound
    router.post_frame(kMusic, frame_of("music-1"));
    auto second = listener.receive(buf);
    ASSERT_TRUE(second);
    EXPECT_EQ(std::string(second->payload.begin(), second->payload.end()), "music-1");
    EXPECT_TRUE(second->header.marker);
    EXPECT_EQ(second->header.sequence, static_cast<std::uint16_t>(seq1 + 1));
    EXPECT_EQ(second->header.timestamp - ts1, 960U);
    EXPECT_EQ(router.bound_source(commune), kMusic);
    router.stop();
    fanout.stop();
}

TEST(Router, ASilenceAdvancesTheMediaClockByTheTimeThatPassed) {
    loa::common::ManualClock clock;
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    FanOut fanout(sender->fd(), 1);
    PlainListener listener;
    Router router(fanout, clock);
    auto channel = router.add_channel("province");
    fanout.add_receiver(channel, RtpStream(5, 0, 0), std::nullopt, &listener.link);
    fanout.start();
    router.start();
    router.bind(channel, 0);
    router.post_frame(0, frame_of("a"));
    std::array<std::uint8_t, 2048> buf{};
    auto a = listener.receive(buf);
    ASSERT_TRUE(a);
    std::uint32_t ts = a->header.timestamp;
    clock.advance(std::chrono::seconds(2)); // the source stalled for two seconds
    router.post_frame(0, frame_of("b"));
    auto b = listener.receive(buf);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->header.timestamp - ts, 96000U);
    router.stop();
    fanout.stop();
}

TEST(Router, OneSourceFeedsSeveralChannels) {
    loa::common::ManualClock clock;
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    FanOut fanout(sender->fd(), 2);
    PlainListener one, two;
    Router router(fanout, clock);
    auto c1 = router.add_channel("c1");
    auto c2 = router.add_channel("c2");
    fanout.add_receiver(c1, RtpStream(1, 0, 0), std::nullopt, &one.link);
    fanout.add_receiver(c2, RtpStream(2, 0, 0), std::nullopt, &two.link);
    fanout.start();
    router.start();
    router.bind(c1, 3);
    router.bind(c2, 3);
    router.post_frame(3, frame_of("province-wide"));
    std::array<std::uint8_t, 2048> buf{};
    auto p1 = one.receive(buf);
    ASSERT_TRUE(p1);
    EXPECT_EQ(std::string(p1->payload.begin(), p1->payload.end()), "province-wide");
    auto p2 = two.receive(buf);
    ASSERT_TRUE(p2);
    EXPECT_EQ(std::string(p2->payload.begin(), p2->payload.end()), "province-wide");
    router.stop();
    fanout.stop();
}

TEST(Router, ASwitchIsNeverLostToAFullQueue) {
    loa::common::ManualClock clock;
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    FanOut fanout(sender->fd(), 1);
    PlainListener listener;
    Router router(fanout, clock);
    auto channel = router.add_channel("commune");
    fanout.add_receiver(channel, RtpStream(5, 0, 0), std::nullopt, &listener.link);
    for (int i = 0; i < 1100; ++i) // the router is not running yet: its queue overflows
        router.post_frame(1, frame_of("emergency"));
    EXPECT_GT(router.queue_drops(), 0U);
    EXPECT_TRUE(router.bind(channel, 1));
    EXPECT_FALSE(router.bind(7, 1)); // no such channel: refused, nothing breaks
    fanout.start();
    router.start();
    std::array<std::uint8_t, 2048> buf{};
    auto first = listener.receive(buf);
    ASSERT_TRUE(first);
    EXPECT_EQ(std::string(first->payload.begin(), first->payload.end()), "emergency");
    router.stop();
    fanout.stop();
}
