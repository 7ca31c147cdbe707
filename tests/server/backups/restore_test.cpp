#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "loa/common/clock.hpp"
#include "loa/common/sealed.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/backups/backup.hpp"
#include "loa/server/backups/restore.hpp"
#include "loa/server/receivers/registry.hpp"
#include "process.hpp"
#include "server_state.hpp"

using loa::server::restore_backup;
using loa::server::take_backup;
namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> unit_codes(const std::string& database) {
    loa::schedules::ScheduleStore store(database);
    std::vector<std::string> out;
    for (const auto& u : *store.units())
        out.push_back(u.code);
    return out;
}

/// A server's state with a unit, a receiver whose key is sealed and a media file, backed up;
/// then changed after the backup.
class RestoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(loa::test::make_server_state(state));
        auto key = loa::common::SealingKey::load(state + "/seal.key");
        loa::server::ReceiverRegistry registry(
            state + "/loa.db", clock, loa::pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80, key);
        ASSERT_TRUE(registry.provision("box-1", 1, "Chợ", "admin"));
        std::ofstream(state + "/media/aaaa.ogg") << std::string(5000, 'a');
        auto taken = take_backup(state, dir, clock.system_now());
        ASSERT_TRUE(taken) << taken.error().message;
        backup = taken->path;
        // After the backup: a unit added, a file added, one damaged.
        loa::schedules::ScheduleStore store(state + "/loa.db");
        loa::schedules::Unit commune;
        commune.code = "26734";
        commune.name = "Phường Trấn Biên";
        ASSERT_TRUE(store.add_unit(commune));
        std::ofstream(state + "/media/bbbb.ogg") << "new since";
        std::ofstream(state + "/media/aaaa.ogg") << "damaged";
    }

    loa::test::TempDir root{"restore"};
    std::string state = root.file("state");
    std::string dir = root.file("nas");
    std::string backup;
    loa::common::ManualClock clock;
};

} // namespace

TEST_F(RestoreTest, TheStateBecomesTheBackupsAndWhatWasThereIsMovedAsideNotLost) {
    EXPECT_EQ(unit_codes(state + "/loa.db").size(), 2U);
    auto restored = restore_backup(backup, state, state + "/seal.key", clock.system_now());
    ASSERT_TRUE(restored) << restored.error().message;
    EXPECT_EQ(restored->media_files, 1U);
    EXPECT_EQ(unit_codes(state + "/loa.db"), std::vector<std::string>{"75"});
    EXPECT_EQ(read(state + "/media/aaaa.ogg"), std::string(5000, 'a'));
    EXPECT_FALSE(fs::exists(state + "/media/bbbb.ogg"));
    EXPECT_TRUE(fs::exists(state + "/seal.key")) << "the sealing key stays";
    ASSERT_EQ(restored->moved_aside, state + "/before-restore-20270115T080000Z");
    EXPECT_EQ(unit_codes(restored->moved_aside + "/loa.db").size(), 2U);
    EXPECT_EQ(read(restored->moved_aside + "/media/bbbb.ogg"), "new since");
    // The receiver opens with the sealing key, as the server will open it.
    loa::server::ReceiverRegistry registry(state + "/loa.db", clock,
                                           loa::pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80,
                                           loa::common::SealingKey::load(state + "/seal.key"));
    EXPECT_TRUE(registry.find("box-1"));
}

TEST_F(RestoreTest, RestoredTwiceInOneSecondBothEarlierStatesAreKept) {
    auto first = restore_backup(backup + "/", state, state + "/seal.key", clock.system_now());
    ASSERT_TRUE(first) << first.error().message << " (a folder named with its slash)";
    auto second = restore_backup(backup, state, state + "/seal.key", clock.system_now());
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->moved_aside, first->moved_aside + "-2");
    EXPECT_EQ(unit_codes(first->moved_aside + "/loa.db").size(), 2U) << "the state before both";
    EXPECT_EQ(unit_codes(second->moved_aside + "/loa.db").size(), 1U);
    for (const auto& entry : fs::directory_iterator(state))
        EXPECT_FALSE(entry.path().filename().string().starts_with(".restoring-")) << entry.path();
}

TEST_F(RestoreTest, IntoAnEmptyFolderNothingIsMovedAside) {
    auto fresh = root.file("new-server");
    fs::create_directories(fresh);
    fs::copy_file(state + "/seal.key", fresh + "/seal.key");
    auto restored = restore_backup(backup, fresh, fresh + "/seal.key", clock.system_now());
    ASSERT_TRUE(restored) << restored.error().message;
    EXPECT_EQ(restored->moved_aside, "");
    EXPECT_EQ(unit_codes(fresh + "/loa.db"), std::vector<std::string>{"75"});
}

TEST_F(RestoreTest, ADamagedBackupIsRefusedAndNothingChanges) {
    {
        std::fstream db(backup + "/loa.db", std::ios::in | std::ios::out | std::ios::binary);
        db.seekp(5000);
        db.put('\x5a');
    }
    auto restored = restore_backup(backup, state, state + "/seal.key", clock.system_now());
    ASSERT_FALSE(restored);
    EXPECT_NE(restored.error().message.find("not restored: the database of"), std::string::npos)
        << restored.error().message;
    EXPECT_NE(restored.error().message.find("(nothing was changed)"), std::string::npos);
    EXPECT_EQ(unit_codes(state + "/loa.db").size(), 2U);
    EXPECT_EQ(read(state + "/media/bbbb.ogg"), "new since");
}

TEST_F(RestoreTest, WithoutTheSealingKeyThatOpensItsReceiversKeysItIsRefused) {
    auto fresh = root.file("new-server");
    fs::create_directories(fresh);
    auto restored = restore_backup(backup, fresh, fresh + "/seal.key", clock.system_now());
    ASSERT_FALSE(restored);
    EXPECT_NE(restored.error().message.find("there is no sealing key at " + fresh + "/seal.key"),
              std::string::npos)
        << restored.error().message;
    EXPECT_FALSE(fs::exists(fresh + "/seal.key")) << "none made";
    EXPECT_FALSE(fs::exists(fresh + "/loa.db"));
    loa::common::SealingKey::load(fresh + "/seal.key"); // another server's key
    restored = restore_backup(backup, fresh, fresh + "/seal.key", clock.system_now());
    ASSERT_FALSE(restored);
    EXPECT_NE(restored.error().message.find("does not open the backup's receiver keys"),
              std::string::npos)
        << restored.error().message;
    EXPECT_FALSE(fs::exists(fresh + "/loa.db"));
}

TEST_F(RestoreTest, ARunningServerIsNotRestoredUnder) {
    int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string path = state + "/control.sock";
    ASSERT_LT(path.size(), sizeof address.sun_path);
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    auto restored = restore_backup(backup, state, state + "/seal.key", clock.system_now());
    ::close(listener);
    ASSERT_FALSE(restored);
    EXPECT_EQ(restored.error().message, "a server is running on " + state + ": stop it first");
    EXPECT_EQ(unit_codes(state + "/loa.db").size(), 2U);
}
