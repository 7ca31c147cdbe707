#include "loa/server/receivers/sound_history.hpp"

#include <gtest/gtest.h>

using loa::server::SoundHistory;

TEST(SoundHistory, MergesReportsIntoWallClockSecondsAndForgetsBeyondItsWindow) {
    SoundHistory h;
    EXPECT_FALSE(h.any(0, 1'000'000));
    // A report at second 1000: sound in seconds 1000, 998 and 990 (bits 0, 2 and 10).
    h.merge(0b10000000101, 52, 1000);
    EXPECT_TRUE(h.any(1000, 1000));
    EXPECT_FALSE(h.any(999, 999));
    EXPECT_TRUE(h.any(991, 999)); // 998
    EXPECT_FALSE(h.any(991, 997));
    EXPECT_TRUE(h.any(985, 990));
    // The next report overlaps the last: seconds are set, never cleared, by a report.
    h.merge(0b1, 52, 1010);
    EXPECT_TRUE(h.any(998, 998));
    EXPECT_TRUE(h.any(1010, 1010));
    EXPECT_FALSE(h.any(1001, 1009));
    // Fifteen minutes on, the first seconds are forgotten; the window moved with the report.
    h.merge(0, 52, 1000 + SoundHistory::kSeconds);
    EXPECT_FALSE(h.any(0, 1000));
    EXPECT_TRUE(h.any(1001, 1010));
    // A report after a long silence starts afresh.
    h.merge(0b1, 52, 100'000);
    EXPECT_FALSE(h.any(0, 99'999));
    EXPECT_TRUE(h.any(100'000, 100'000));
}
