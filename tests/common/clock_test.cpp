#include <gtest/gtest.h>

#include "loa/common/clock.hpp"

TEST(ManualClock, MovesOnlyWhenAdvanced) {
    loa::common::ManualClock clock;
    auto steady = clock.steady_now();
    auto system = clock.system_now();
    EXPECT_EQ(clock.steady_now(), steady);
    clock.advance(std::chrono::milliseconds(1500));
    EXPECT_EQ(clock.steady_now() - steady, std::chrono::milliseconds(1500));
    EXPECT_EQ(clock.system_now() - system, std::chrono::milliseconds(1500));
}
