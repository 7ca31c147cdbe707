#include <array>
#include <gtest/gtest.h>
#include <memory>
#include <mutex>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/pipeline/router.hpp"
#include "loa/pipeline/udp_socket.hpp"

using namespace loa::pipeline;

namespace {

/// A receiver on 127.0.0.1 that gets plain RTP (no SRTP: these tests are about routing).
struct PlainListener {
    UdpSocket socket = std::move(UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"))).value();
    ReceiverLink link;
    std::array<std::uint8_t, 2048> buffer{};
    PlainListener() { link.address = Endpoint(0x7f000001, socket.local_port()).packed(); }

    /// The next packet (its payload lives in `buffer` until the next call).
    std::optional<RtpPacketView> receive() {
        pollfd p{socket.fd(), POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0)
            return std::nullopt;
        ssize_t n = ::recv(socket.fd(), buffer.data(), buffer.size(), 0);
        return parse_rtp(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)));
    }
    /// The payload of the next packet as text, "" if none came.
    std::string next_payload() {
        auto packet = receive();
        return packet ? std::string(packet->payload.begin(), packet->payload.end()) : "";
    }
};

OpusFrame frame_of(const std::string& text) {
    OpusFrame f;
    f.size = static_cast<std::uint16_t>(text.size());
    std::copy(text.begin(), text.end(), f.data.begin());
    return f;
}

class RouterTest : public ::testing::Test {
protected:
    void TearDown() override {
        router.stop();
        fanout.stop();
    }
    /// A channel with one listening receiver.
    PlainListener& listener_on(std::uint32_t channel, std::uint16_t first_sequence = 0) {
        listeners.push_back(std::make_unique<PlainListener>());
        fanout.add_receiver(channel, RtpStream(channel + 1, first_sequence, 0), std::nullopt,
                            &listeners.back()->link);
        return *listeners.back();
    }
    void start() {
        fanout.start();
        router.start();
    }

    std::vector<std::unique_ptr<PlainListener>> listeners;
    loa::common::ManualClock clock;
    UdpSocket sender = std::move(UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"))).value();
    FanOut fanout{sender.fd(), 2};
    Router router{fanout, clock};
};

} // namespace

TEST_F(RouterTest, RebindingTakesEffectOnTheNextFrameWithAMarker) {
    auto commune = router.add_channel("commune-1");
    auto& listener = listener_on(commune, 10);
    start();

    constexpr std::uint32_t kNews = 0, kMusic = 1;
    router.bind(commune, kNews);
    router.post_frame(kMusic, frame_of("music-ignored")); // not bound: goes nowhere
    router.post_frame(kNews, frame_of("news-1"));         // once it arrives, both were routed
    auto first = listener.receive();
    ASSERT_TRUE(first);
    EXPECT_EQ(std::string(first->payload.begin(), first->payload.end()), "news-1");
    std::uint32_t ts1 = first->header.timestamp;
    std::uint16_t seq1 = first->header.sequence;

    clock.advance(std::chrono::milliseconds(20));
    router.bind(commune, kMusic);
    router.post_frame(kNews, frame_of("news-2")); // no longer bound
    router.post_frame(kMusic, frame_of("music-1"));
    auto second = listener.receive();
    ASSERT_TRUE(second);
    EXPECT_EQ(std::string(second->payload.begin(), second->payload.end()), "music-1");
    EXPECT_TRUE(second->header.marker);
    EXPECT_EQ(second->header.sequence, static_cast<std::uint16_t>(seq1 + 1));
    EXPECT_EQ(second->header.timestamp - ts1, 960U);
    EXPECT_EQ(router.bound_source(commune), kMusic);
}

TEST_F(RouterTest, ASilenceAdvancesTheMediaClockByTheTimeThatPassed) {
    auto channel = router.add_channel("province");
    auto& listener = listener_on(channel);
    start();
    router.bind(channel, 0);
    router.post_frame(0, frame_of("a"));
    auto a = listener.receive();
    ASSERT_TRUE(a);
    std::uint32_t ts = a->header.timestamp;
    clock.advance(std::chrono::seconds(2)); // the source stalled for two seconds
    router.post_frame(0, frame_of("b"));
    auto b = listener.receive();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->header.timestamp - ts, 96000U);
}

TEST_F(RouterTest, OneSourceFeedsSeveralChannels) {
    auto c1 = router.add_channel("c1");
    auto c2 = router.add_channel("c2");
    auto& one = listener_on(c1);
    auto& two = listener_on(c2);
    start();
    router.bind(c1, 3);
    router.bind(c2, 3);
    router.post_frame(3, frame_of("province-wide"));
    EXPECT_EQ(one.next_payload(), "province-wide");
    EXPECT_EQ(two.next_payload(), "province-wide");
}

TEST_F(RouterTest, ASwitchIsNeverLostToAFullQueue) {
    auto channel = router.add_channel("commune");
    auto& listener = listener_on(channel);
    for (int i = 0; i < 1100; ++i) // the router is not running yet: its queue overflows
        router.post_frame(1, frame_of("emergency"));
    EXPECT_GT(router.queue_drops(), 0U);
    EXPECT_TRUE(router.bind(channel, 1));
    EXPECT_FALSE(router.bind(7, 1)); // no such channel: refused, nothing breaks
    start();
    EXPECT_EQ(listener.next_payload(), "emergency");
}

namespace {

/// What a tap saw, as text; filled on the router thread.
struct TapLog {
    std::mutex mutex;
    std::vector<std::string> frames;

    Tap tap() {
        return [this](const OpusFrame& f) {
            std::lock_guard lock(mutex);
            frames.emplace_back(f.data.begin(), f.data.begin() + f.size);
        };
    }
    std::vector<std::string> seen() {
        std::lock_guard lock(mutex);
        return frames;
    }
};

} // namespace

TEST_F(RouterTest, ATapSeesExactlyTheFramesOfItsChannelAndNothingOnceRemoved) {
    auto news = router.add_channel("commune-1");
    auto music = router.add_channel("commune-2");
    auto& on_news = listener_on(news);
    auto& on_music = listener_on(music);
    EXPECT_FALSE(router.add_tap(99, [](const OpusFrame&) {})) << "no such channel";
    TapLog news_tap, music_tap;
    auto news_handle = router.add_tap(news, news_tap.tap());
    auto music_handle = router.add_tap(music, music_tap.tap());
    ASSERT_TRUE(news_handle && music_handle);
    EXPECT_EQ(router.tap_count(), 2U);
    start();

    constexpr std::uint32_t kNews = 0, kMusic = 1;
    router.bind(news, kNews);
    router.bind(music, kMusic);
    router.post_frame(kNews, frame_of("news-1"));
    router.post_frame(kMusic, frame_of("music-1"));
    router.post_frame(kNews, frame_of("news-2"));
    // Once the receivers have a frame, the router has called the taps for it.
    for (const char* expected : {"news-1", "news-2"})
        EXPECT_EQ(on_news.next_payload(), expected);
    EXPECT_EQ(on_music.next_payload(), "music-1");
    // The channel, not the source: rebound, it sends (and its tap sees) the other source.
    router.bind(news, kMusic);
    router.post_frame(kMusic, frame_of("music-2"));
    EXPECT_EQ(on_news.next_payload(), "music-2");
    EXPECT_EQ(on_music.next_payload(), "music-2");
    EXPECT_EQ(news_tap.seen(), (std::vector<std::string>{"news-1", "news-2", "music-2"}));
    EXPECT_EQ(music_tap.seen(), (std::vector<std::string>{"music-1", "music-2"}));

    router.remove_tap(*news_handle);
    router.remove_tap(*news_handle); // twice: harmless
    EXPECT_EQ(router.tap_count(), 1U);
    router.post_frame(kMusic, frame_of("music-3"));
    EXPECT_EQ(on_news.next_payload(), "music-3");
    EXPECT_EQ(on_music.next_payload(), "music-3");
    EXPECT_EQ(news_tap.seen().size(), 3U) << "nothing after removal";
    EXPECT_EQ(music_tap.seen().back(), "music-3");
    router.remove_tap(*music_handle);
    EXPECT_EQ(router.tap_count(), 0U);
}
