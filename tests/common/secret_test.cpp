// Base64 and random tokens as keys, secrets and bundles use them.
#include <gtest/gtest.h>

#include "loa/common/secret.hpp"

using loa::common::from_base64;
using loa::common::to_base64;

TEST(Base64, RoundTripsAndRefusesWhatIsNotBase64) {
    std::vector<std::uint8_t> key = {0, 1, 2, 250, 251, 252, 253, 254, 255};
    EXPECT_EQ(to_base64(key), "AAEC+vv8/f7/");
    EXPECT_EQ(from_base64(to_base64(key)), key);
    EXPECT_FALSE(from_base64("not base64!"));
}

// An empty text (a configuration's `"key": ""`, found by loa_config_fuzz under UBSan) once
// handed libsodium a null pointer.
TEST(Base64, EmptyIsEmptyBothWays) {
    EXPECT_EQ(to_base64({}), "");
    auto empty = from_base64("");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}
