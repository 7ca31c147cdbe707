#include <gtest/gtest.h>

#include "loa/clients/reception_stats.hpp"

using loa::clients::ReceptionStats;

TEST(ReceptionStats, CountsLossFromSequenceGapsAcrossAWrap) {
    ReceptionStats s;
    s.reset(65534);
    for (std::uint16_t seq : {65534, 65535, 0, 2, 3}) // 1 is lost
        s.on_packet(seq, 0, 0);
    EXPECT_EQ(s.cumulative_lost(), 1);
    auto block = s.next_report(7);
    EXPECT_EQ(block.source_ssrc, 7U);
    EXPECT_EQ(block.cumulative_lost, 1);
    EXPECT_EQ(block.fraction_lost, 256 / 6); // 1 of 6 expected
    EXPECT_EQ(block.highest_sequence, 0x10003U);
    // The next interval had no loss.
    s.on_packet(4, 0, 0);
    EXPECT_EQ(s.next_report(7).fraction_lost, 0);
}

TEST(ReceptionStats, AStreamStartingAtSequenceZeroIsNotMillionsLost) {
    ReceptionStats s;
    s.reset(0);
    s.on_packet(0, 0, 0);
    s.on_packet(1, 960, 960);
    EXPECT_EQ(s.cumulative_lost(), 0);
    EXPECT_EQ(s.next_report(1).cumulative_lost, 0);
}

TEST(ReceptionStats, JitterFollowsRfc3550) {
    ReceptionStats s;
    s.reset(0);
    s.on_packet(0, 0, 1000);
    s.on_packet(1, 960, 1000 + 960 + 160); // 160 units late: D = 160
    EXPECT_DOUBLE_EQ(s.jitter(), 10.0);    // J += (|D| - J) / 16
}
