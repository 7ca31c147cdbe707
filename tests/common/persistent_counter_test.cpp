#include <fstream>
#include <gtest/gtest.h>

#include "loa/common/persistent_counter.hpp"
#include "process.hpp"

using loa::common::advance_persistent_counter;

namespace {

/// A counter file in a fresh folder that lives as long as the returned TempDir.
struct CounterFile {
    explicit CounterFile(const std::string& name) : dir("counter-" + name) {}
    loa::test::TempDir dir;
    std::string path = dir.file("counter");
};

} // namespace

TEST(PersistentCounter, NeverHandsOutTheSameValueTwice) {
    CounterFile file("twice");
    const auto& path = file.path;
    auto first = advance_persistent_counter(path, 1000);
    auto second = advance_persistent_counter(path, 1000);
    auto third = advance_persistent_counter(path, 1000);
    ASSERT_TRUE(first && second && third);
    EXPECT_EQ(*first, 1000U);
    EXPECT_EQ(*second, 1001U);
    EXPECT_EQ(*third, 1002U);
}

TEST(PersistentCounter, JumpsForwardToTheFloor) {
    CounterFile file("floor");
    const auto& path = file.path;
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
    CounterFile file("wrap");
    const auto& path = file.path;
    ASSERT_TRUE(advance_persistent_counter(path, 0xffffffffU));
    auto wrapped = advance_persistent_counter(path, 0xfffffff0U);
    ASSERT_TRUE(wrapped);
    EXPECT_EQ(*wrapped, 0U);
}

TEST(PersistentCounter, CorruptFileIsAClearError) {
    CounterFile file("corrupt");
    const auto& path = file.path;
    std::ofstream(path) << "not a number";
    auto r = advance_persistent_counter(path, 1);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("is corrupt"), std::string::npos);
}
