#include <array>
#include <gtest/gtest.h>

#include "loa/pipeline/rtcp.hpp"

using namespace loa::pipeline;

TEST(Rtcp, ReceiverReportRoundTrips) {
    ReceiverReport rr;
    rr.ssrc = 0xdeadbeef;
    rr.cname = "xa-tan-lap-03";
    rr.report = ReceptionReport{0x01020304, 25, -3, 0x00012345, 480};
    std::array<std::uint8_t, kMaxReceiverReportSize> buf{};
    std::size_t len = write_receiver_report(buf, rr);
    ASSERT_EQ(len % 4, 0U);
    auto parsed = parse_receiver_report(std::span<const std::uint8_t>(buf.data(), len));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->ssrc, 0xdeadbeefU);
    EXPECT_EQ(parsed->cname, "xa-tan-lap-03");
    ASSERT_TRUE(parsed->report);
    EXPECT_EQ(parsed->report->source_ssrc, 0x01020304U);
    EXPECT_EQ(parsed->report->fraction_lost, 25);
    EXPECT_EQ(parsed->report->cumulative_lost, -3);
    EXPECT_EQ(parsed->report->highest_sequence, 0x12345U);
    EXPECT_EQ(parsed->report->jitter, 480U);
}

TEST(Rtcp, ReportWithoutMediaHasNoBlock) {
    std::array<std::uint8_t, kMaxReceiverReportSize> buf{};
    std::size_t len = write_receiver_report(buf, ReceiverReport{5, "r", std::nullopt});
    auto parsed = parse_receiver_report(std::span<const std::uint8_t>(buf.data(), len));
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed->report);
}

TEST(Rtcp, MalformedCompoundsAreRefused) {
    std::array<std::uint8_t, kMaxReceiverReportSize> buf{};
    std::size_t len = write_receiver_report(buf, ReceiverReport{5, "abc", std::nullopt});
    EXPECT_FALSE(parse_receiver_report(std::span<const std::uint8_t>(buf.data(), len - 4)));
    buf[0] = 0x40; // version 1
    EXPECT_FALSE(parse_receiver_report(std::span<const std::uint8_t>(buf.data(), len)));
    EXPECT_FALSE(peek_cname(std::span<const std::uint8_t>(buf.data(), len)));
    std::string too_long(256, 'x');
    EXPECT_EQ(write_receiver_report(buf, ReceiverReport{5, too_long, std::nullopt}), 0U);
}
