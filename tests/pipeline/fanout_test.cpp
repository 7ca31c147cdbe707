#include <array>
#include <atomic>
#include <gtest/gtest.h>
#include <optional>
#include <poll.h>
#include <sys/socket.h>

#include "keys.hpp"
#include "loa/pipeline/fanout.hpp"
#include "loa/pipeline/udp_socket.hpp"

using namespace loa::pipeline;

namespace {

constexpr auto kProfile = SrtpProfile::aead_aes_128_gcm;

/// A receiving end on 127.0.0.1 with its own key.
struct Listener {
    UdpSocket socket = std::move(UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"))).value();
    std::vector<std::uint8_t> key = loa::test::random_key(srtp_master_length(kProfile));
    SrtpSession session = std::move(SrtpSession::inbound(kProfile, key)).value();
    ReceiverLink link;

    Endpoint endpoint() const { return Endpoint(0x7f000001, socket.local_port()); }

    /// Waits briefly for one datagram; nullopt if none came.
    std::optional<std::vector<std::uint8_t>> receive(int timeout_ms = 500) {
        pollfd p{socket.fd(), POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0)
            return std::nullopt;
        std::array<std::uint8_t, 2048> buf{};
        ssize_t n = ::recv(socket.fd(), buf.data(), buf.size(), 0);
        if (n <= 0)
            return std::nullopt;
        return std::vector<std::uint8_t>(buf.begin(), buf.begin() + n);
    }
};

Delivery frame_delivery(std::uint32_t channel, const std::string& payload, std::uint32_t ts,
                        std::uint32_t program) {
    Delivery d;
    d.kind = Delivery::Kind::frame;
    d.channel = channel;
    d.channel_timestamp = ts;
    d.program = program;
    d.size = static_cast<std::uint16_t>(payload.size());
    std::copy(payload.begin(), payload.end(), d.bytes.data());
    return d;
}

} // namespace

TEST(FanOutShard, EveryLatchedReceiverGetsItsOwnDecryptableStream) {
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    ASSERT_TRUE(sender);
    FanOutShard shard(sender->fd(), 2); // a batch of 2 forces several sendmmsg calls
    std::array<Listener, 3> listeners;
    for (std::uint32_t i = 0; i < listeners.size(); ++i) {
        listeners[i].link.address = listeners[i].endpoint().packed();
        shard.add(0, RtpStream(100 + i, static_cast<std::uint16_t>(i * 1000), i),
                  std::move(SrtpSession::outbound(kProfile, listeners[i].key, 100 + i)).value(),
                  &listeners[i].link);
    }
    shard.send(frame_delivery(0, "frame-1", 960, 1));
    for (std::uint32_t i = 0; i < listeners.size(); ++i) {
        auto packet = listeners[i].receive();
        ASSERT_TRUE(packet) << "receiver " << i << " got nothing";
        std::size_t len = packet->size();
        ASSERT_TRUE(listeners[i].session.unprotect_rtp(packet->data(), len));
        auto rtp = parse_rtp(std::span<const std::uint8_t>(packet->data(), len));
        ASSERT_TRUE(rtp);
        EXPECT_EQ(rtp->header.ssrc, 100 + i);
        EXPECT_EQ(rtp->header.sequence, i * 1000);
        EXPECT_EQ(rtp->header.timestamp, 960 + i);
        EXPECT_EQ(std::string(rtp->payload.begin(), rtp->payload.end()), "frame-1");
        EXPECT_EQ(listeners[i].link.packets_sent.load(), 1U);
    }
    EXPECT_EQ(shard.stats().packets_sent, 3U);
}

TEST(FanOutShard, ReceiversOfOtherChannelsAndUnlatchedOnesGetNothing) {
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    FanOutShard shard(sender->fd(), 8);
    Listener on_channel, other_channel, not_latched;
    on_channel.link.address = on_channel.endpoint().packed();
    other_channel.link.address = other_channel.endpoint().packed();
    shard.add(0, RtpStream(1, 0, 0),
              std::move(SrtpSession::outbound(kProfile, on_channel.key, 1)).value(),
              &on_channel.link);
    shard.add(1, RtpStream(2, 0, 0),
              std::move(SrtpSession::outbound(kProfile, other_channel.key, 2)).value(),
              &other_channel.link);
    shard.add(0, RtpStream(3, 0, 0),
              std::move(SrtpSession::outbound(kProfile, not_latched.key, 3)).value(),
              &not_latched.link);
    shard.send(frame_delivery(0, "x", 0, 1));
    EXPECT_TRUE(on_channel.receive());
    EXPECT_FALSE(other_channel.receive(100));
    EXPECT_FALSE(not_latched.receive(100));
    EXPECT_EQ(shard.stats().not_latched, 1U);
}

TEST(FanOutShard, AMovedReceiverFollowsItsNewChannelWithAMarker) {
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    FanOutShard shard(sender->fd(), 8);
    Listener moved;
    moved.link.address = moved.endpoint().packed();
    auto index =
        shard.add(0, RtpStream(7, 100, 0),
                  std::move(SrtpSession::outbound(kProfile, moved.key, 7)).value(), &moved.link);
    auto header_of = [&](std::optional<std::vector<std::uint8_t>> packet) {
        EXPECT_TRUE(packet);
        std::size_t len = packet->size();
        EXPECT_TRUE(moved.session.unprotect_rtp(packet->data(), len));
        return *parse_rtp(std::span<const std::uint8_t>(packet->data(), len));
    };
    shard.send(frame_delivery(0, "a", 960, 1));
    auto first = header_of(moved.receive());
    shard.move(index, 1);
    shard.send(frame_delivery(0, "b", 1920, 1)); // its old channel: no longer for it
    shard.send(frame_delivery(1, "c", 555555, 2));
    auto second = header_of(moved.receive());
    EXPECT_TRUE(second.header.marker);
    EXPECT_EQ(second.header.sequence, static_cast<std::uint16_t>(first.header.sequence + 1));
    EXPECT_EQ(second.header.timestamp - first.header.timestamp, 960U);
    EXPECT_FALSE(moved.receive(100));
}

TEST(FanOutShard, DeliveriesOfAProgramTheChannelNoLongerPlaysAreSkipped) {
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    FanOutShard shard(sender->fd(), 8);
    Listener listener;
    listener.link.address = listener.endpoint().packed();
    shard.add(0, RtpStream(9, 0, 0),
              std::move(SrtpSession::outbound(kProfile, listener.key, 9)).value(), &listener.link);
    std::atomic<std::uint32_t> now_playing{4};
    auto old_frame = frame_delivery(0, "old", 960, 3); // queued before the switch to 4
    old_frame.program_now = &now_playing;
    auto new_frame = frame_delivery(0, "new", 1920, 4);
    new_frame.program_now = &now_playing;
    shard.send(old_frame);
    EXPECT_FALSE(listener.receive(100));
    EXPECT_EQ(shard.stats().superseded, 1U);
    shard.send(new_frame);
    EXPECT_TRUE(listener.receive());
}

TEST(FanOutShard, GroupPacketsAreSentAsTheyAre) {
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    FanOutShard shard(sender->fd(), 8);
    std::array<Listener, 2> listeners;
    for (auto& l : listeners) {
        l.link.address = l.endpoint().packed();
        shard.add(4, RtpStream(9, 0, 0), std::nullopt, &l.link);
    }
    Delivery d;
    d.kind = Delivery::Kind::packet;
    d.channel = 4;
    d.size = 5;
    std::copy_n("SRTP!", 5, d.bytes.data());
    shard.send(d);
    for (auto& l : listeners) {
        auto packet = l.receive();
        ASSERT_TRUE(packet);
        EXPECT_EQ(std::string(packet->begin(), packet->end()), "SRTP!");
    }
}

TEST(FanOut, ThreadsDeliverQueuedFrames) {
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    FanOut fanout(sender->fd(), 2);
    std::array<Listener, 4> listeners;
    for (std::uint32_t i = 0; i < listeners.size(); ++i) {
        listeners[i].link.address = listeners[i].endpoint().packed();
        fanout.add_receiver(0, RtpStream(i, 0, 0),
                            std::move(SrtpSession::outbound(kProfile, listeners[i].key, i)).value(),
                            &listeners[i].link);
    }
    fanout.start();
    Delivery d = frame_delivery(0, "threaded", 0, 1);
    fanout.deliver([&](Delivery& slot) { slot = d; });
    for (auto& l : listeners)
        EXPECT_TRUE(l.receive(1000));
    fanout.stop();
    EXPECT_EQ(fanout.stats().packets_sent, 4U);
}

TEST(FanOutShard, ARemovedReceiversPlaceGoesToTheNextOneAndItsLinkIsLetGo) {
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    FanOutShard shard(sender->fd(), 8);
    Listener stays;
    stays.link.address = stays.endpoint().packed();
    shard.add(0, RtpStream(1, 0, 0),
              std::move(SrtpSession::outbound(kProfile, stays.key, 1)).value(), &stays.link);
    // Receivers come and go many times over: the shard keeps as many places as were ever
    // needed at once, and lets each removed receiver's link go.
    std::vector<std::weak_ptr<ReceiverLink>> gone;
    for (std::uint32_t round = 0; round < 50; ++round) {
        std::vector<std::uint32_t> indices;
        for (std::uint32_t i = 0; i < 20; ++i) {
            auto link = std::make_shared<ReceiverLink>();
            gone.push_back(link);
            indices.push_back(
                shard.add(0, RtpStream(100 + i, 0, 0), std::nullopt, link.get(), link));
        }
        shard.settle();
        for (auto index : indices)
            shard.remove(index);
        shard.settle();
    }
    EXPECT_EQ(shard.size(), 21U) << "places are taken again";
    EXPECT_EQ(shard.receivers(), 1U);
    for (const auto& link : gone)
        EXPECT_TRUE(link.expired());

    // A place taken again serves its new receiver only.
    Listener fresh;
    fresh.link.address = fresh.endpoint().packed();
    auto index =
        shard.add(0, RtpStream(2, 0, 0),
                  std::move(SrtpSession::outbound(kProfile, fresh.key, 2)).value(), &fresh.link);
    EXPECT_LT(index, 21U);
    shard.send(frame_delivery(0, "after", 960, 1));
    EXPECT_TRUE(stays.receive());
    auto packet = fresh.receive();
    ASSERT_TRUE(packet);
    std::size_t len = packet->size();
    EXPECT_TRUE(fresh.session.unprotect_rtp(packet->data(), len));
    EXPECT_EQ(fresh.link.packets_sent.load(), 1U);
}
