#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "loa/common/persistent_counter.hpp"

using loa::common::advance_persistent_counter;

namespace {

std::string temp_path(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("loa-counter-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir);
    return (dir / "counter").string();
}

} // namespace

TEST(PersistentCounter, NeverHandsOutTheSameValueTwice) {
    auto path = temp_path("twice");
    auto first = advance_persistent_counter(path, 1000);
    auto second = advance_persistent_counter(path, 1000);
    auto third = advance_persistent_counter(path, 1000);
    ASSERT_TRUE(first && second && third);
    EXPECT_EQ(*first, 1000U);
    EXPECT_EQ(*second, 1001U);
    EXPECT_EQ(*third, 1002U);
}

TEST(PersistentCounter, JumpsForwardToTheFloor) {
    auto path = temp_path("floor");
    ASSERT_TRUE(advance_persistent_counter(path, 10));
    auto later = advance_persistent_counter(path, 5000);
    ASSERT_TRUE(later);
    EXPECT_EQ(*later, 5000U);
    // A floor behind the stored value does not move it back.
    auto next = advance_persistent_counter(path, 20);
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, 5001U);
}

TEST(PersistentCounter, SurvivesWrapAroundAsSerialNumbers) {
    auto path = temp_path("wrap");
    ASSERT_TRUE(advance_persistent_counter(path, 0xffffffffU));
    auto wrapped = advance_persistent_counter(path, 0xfffffff0U);
    ASSERT_TRUE(wrapped);
    EXPECT_EQ(*wrapped, 0U);
}

TEST(PersistentCounter, CorruptFileIsAClearError) {
    auto path = temp_path("corrupt");
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << "not a number";
    auto r = advance_persistent_counter(path, 1);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("is corrupt"), std::string::npos);
}
