#include <array>
#include <gtest/gtest.h>

#include "loa/pipeline/rtp.hpp"

using namespace loa::pipeline;

TEST(RtpHeader, RoundTripsThroughParse) {
    std::array<std::uint8_t, 16> packet{};
    RtpHeader h{kOpusPayloadType, true, 0xfffe, 0x12345678, 0xcafebabe};
    write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize>(packet.data(), kRtpHeaderSize), h);
    EXPECT_EQ(packet[0], 0x80);
    EXPECT_EQ(packet[1], 0x80 | 96);
    auto parsed = parse_rtp(packet);
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->header.marker);
    EXPECT_EQ(parsed->header.sequence, 0xfffe);
    EXPECT_EQ(parsed->header.timestamp, 0x12345678U);
    EXPECT_EQ(parsed->header.ssrc, 0xcafebabeU);
    EXPECT_EQ(parsed->payload.size(), 4U);
}

TEST(RtpHeader, RejectsMalformedPackets) {
    std::array<std::uint8_t, 8> short_packet{0x80};
    EXPECT_FALSE(parse_rtp(short_packet));
    std::array<std::uint8_t, 12> wrong_version{0x40};
    EXPECT_FALSE(parse_rtp(wrong_version));
    std::array<std::uint8_t, 12> csrc_overflow{0x8f}; // claims 15 CSRCs
    EXPECT_FALSE(parse_rtp(csrc_overflow));
    std::array<std::uint8_t, 13> bad_padding{0xa0};
    bad_padding[12] = 200;
    EXPECT_FALSE(parse_rtp(bad_padding));
}

TEST(RtpStream, SequenceAndTimestampStayContinuousAcrossProgramSwitches) {
    RtpStream stream(0x1111, 65534, 1000);
    auto a = stream.next(0, 1);
    auto b = stream.next(960, 1);
    auto c = stream.next(1920, 2); // the channel switched to another program
    auto d = stream.next(2880, 2);
    EXPECT_EQ(a.sequence, 65534);
    EXPECT_EQ(b.sequence, 65535);
    EXPECT_EQ(c.sequence, 0); // wraps, never resets
    EXPECT_EQ(d.sequence, 1);
    EXPECT_EQ(b.timestamp - a.timestamp, 960U);
    EXPECT_EQ(c.timestamp - b.timestamp, 960U);
    EXPECT_EQ(a.timestamp, 1000U);
    EXPECT_FALSE(a.marker);
    EXPECT_FALSE(b.marker);
    EXPECT_TRUE(c.marker); // marks the change
    EXPECT_FALSE(d.marker);
    EXPECT_EQ(c.ssrc, 0x1111U);
}

TEST(RtpStream, EachReceiverHasItsOwnNumbering) {
    RtpStream one(1, 100, 5000), two(2, 7, 9);
    auto h1 = one.next(48000, 1);
    auto h2 = two.next(48000, 1);
    EXPECT_NE(h1.ssrc, h2.ssrc);
    EXPECT_EQ(h1.timestamp, 53000U);
    EXPECT_EQ(h2.timestamp, 48009U);
}
