// Secrets at rest: sealed values open with their key only, and the key file is the owner's.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sys/stat.h>

#include "loa/common/sealed.hpp"
#include "process.hpp"

using loa::common::SealingKey;

TEST(SealingKey, SealedValuesOpenWithTheirKeyOnly) {
    SealingKey key({1, 2, 3});
    auto sealed = key.seal("base64-of-an-srtp-key==");
    EXPECT_TRUE(SealingKey::is_sealed(sealed));
    EXPECT_EQ(sealed.find("base64-of"), std::string::npos);
    EXPECT_NE(key.seal("same"), key.seal("same")); // a fresh nonce each time
    ASSERT_TRUE(key.open(sealed));
    EXPECT_EQ(*key.open(sealed), "base64-of-an-srtp-key==");
    EXPECT_FALSE(SealingKey({9}).open(sealed));
    auto changed = sealed;
    changed[changed.size() - 3] = changed[changed.size() - 3] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(key.open(changed));
    EXPECT_FALSE(key.open("plain text"));
}

TEST(SealingKey, TheKeyFileIsMadeOnceForItsOwnerAloneOrComesFromTheEnvironment) {
    loa::test::TempDir dir("sealing-key");
    auto file = dir.file("seal.key");
    ::unsetenv("LOA_TEST_SEAL_KEY");
    auto made = SealingKey::load(file, "LOA_TEST_SEAL_KEY");
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    EXPECT_EQ(st.st_size, 32);
    auto sealed = made.seal("x");
    EXPECT_EQ(*SealingKey::load(file, "LOA_TEST_SEAL_KEY").open(sealed), "x");
    ::chmod(file.c_str(), 0644);
    EXPECT_THROW(SealingKey::load(file, "LOA_TEST_SEAL_KEY"), std::runtime_error);
    // From the environment: 32 bytes of base64, whatever the file says.
    ::setenv("LOA_TEST_SEAL_KEY", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=", 1);
    auto from_env = SealingKey::load(dir.file("absent.key"), "LOA_TEST_SEAL_KEY");
    EXPECT_FALSE(from_env.open(sealed));
    ::setenv("LOA_TEST_SEAL_KEY", "c2hvcnQ=", 1);
    EXPECT_THROW(SealingKey::load(file, "LOA_TEST_SEAL_KEY"), std::runtime_error);
    ::unsetenv("LOA_TEST_SEAL_KEY");
}
