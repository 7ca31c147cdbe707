#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "loa/clients/saved_session.hpp"

namespace {

unsigned mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777U;
}

} // namespace

TEST(SavedSession, IsWrittenForItsOwnerOnlyAndReadBack) {
    auto folder = std::filesystem::path(::testing::TempDir()) / "loactl-session-test";
    std::filesystem::remove_all(folder);
    std::string path = (folder / "loa" / "session.json").string();
    ASSERT_TRUE(loa::clients::save_session(path, {"wss://loa.example.vn:443/api/v1/ws", "t0k"}));
    EXPECT_EQ(mode_of(path), 0600U);
    EXPECT_EQ(mode_of((folder / "loa").string()), 0700U);
    auto loaded = loa::clients::load_session(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->server, "wss://loa.example.vn:443/api/v1/ws");
    EXPECT_EQ(loaded->token, "t0k");
    EXPECT_TRUE(loa::clients::remove_session(path));
    EXPECT_EQ(loa::clients::load_session(path).error().code, loa::common::Errc::not_found);
}

TEST(SavedSession, AnUnreadableFileSaysWhatToDo) {
    std::string path = ::testing::TempDir() + "/loactl-bad-session.json";
    std::ofstream(path) << "{\"server\": 1}";
    auto loaded = loa::clients::load_session(path);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().message.find("log in again"), std::string::npos);
}
