#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include "loa/common/clock.hpp"
#include "loa/server/backups/backup_scheduler.hpp"
#include "process.hpp"
#include "server_state.hpp"

using loa::server::BackupScheduler;
using loa::server::BackupSettings;
using loa::server::BackupState;
using loa::server::check_backup_settings;
namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

/// A state folder, and backups at 02:30 local into another folder, on a manual clock that
/// starts at 15:00 local (Asia/Ho_Chi_Minh) on 2027-01-15.
class BackupSchedulerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(loa::test::make_server_state(state));
        std::ofstream(state + "/media/aaaa.ogg") << std::string(1000, 'a');
        settings.dir = root.file("nas");
    }

    /// An executable script in the test's folder (the copy command under test).
    std::string script(const std::string& name, const std::string& body) {
        auto path = root.file(name);
        std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
        ::chmod(path.c_str(), 0700);
        return path;
    }

    std::unique_ptr<BackupScheduler> scheduler() {
        return std::make_unique<BackupScheduler>(
            state, settings, clock, [this](const BackupState& s) { done.push_back(s); });
    }

    loa::test::TempDir root{"backup-scheduler"};
    std::string state = root.file("state");
    BackupSettings settings;
    loa::common::ManualClock clock;
    std::vector<BackupState> done;
};

} // namespace

TEST_F(BackupSchedulerTest, TakesTheMissedBackupAtStartThenOneAtEachTimeOfDay) {
    auto backups = scheduler();
    ASSERT_TRUE(backups->state().enabled);
    // 02:30 today passed with no backup at all: taken now, as after a night the server was off.
    EXPECT_TRUE(backups->run_due());
    auto s = backups->state();
    ASSERT_TRUE(s.newest);
    EXPECT_EQ(s.count, 1U);
    EXPECT_EQ(s.last_error, "");
    EXPECT_EQ(s.newest->name, "loa-20270115T080000Z");
    ASSERT_TRUE(s.next);
    EXPECT_EQ(loa::common::basic_utc(*s.next), "20270115T193000Z") << "02:30 local tomorrow";
    ASSERT_EQ(done.size(), 1U) << "the done callback tells the API";
    EXPECT_FALSE(backups->run_due()) << "nothing due until 02:30";
    clock.advance(hours(11) + minutes(29));
    EXPECT_FALSE(backups->run_due()) << "02:29";
    clock.advance(minutes(1));
    EXPECT_TRUE(backups->run_due()) << "02:30";
    EXPECT_EQ(backups->state().count, 2U);
    EXPECT_EQ(backups->state().newest->name, "loa-20270115T193000Z");
    // A restart finds the backups in the folder: nothing to catch up.
    backups = scheduler();
    EXPECT_EQ(backups->state().count, 2U);
    EXPECT_FALSE(backups->run_due());
}

TEST_F(BackupSchedulerTest, AnAdminsRequestIsTakenAtOnceAndOnlyOnce) {
    auto backups = scheduler();
    ASSERT_TRUE(backups->run_due()); // the catch-up
    EXPECT_TRUE(backups->request()); // within the same second
    EXPECT_FALSE(backups->request()) << "asked for already";
    EXPECT_TRUE(backups->run_due());
    EXPECT_FALSE(backups->run_due());
    EXPECT_EQ(backups->state().last_error, "");
    EXPECT_EQ(backups->state().newest->name, "loa-20270115T080000Z-2");
    EXPECT_EQ(backups->state().count, 1U) << "the newest of the day is kept";
}

TEST_F(BackupSchedulerTest, AFailureIsToldAndRetriedLaterNotAtEveryTick) {
    settings.dir = root.file("not-a-folder");
    std::ofstream(settings.dir) << "a file where the NAS should be mounted";
    auto backups = scheduler();
    EXPECT_TRUE(backups->run_due());
    auto s = backups->state();
    EXPECT_NE(s.last_error, "");
    EXPECT_EQ(s.failures, 1U);
    EXPECT_FALSE(s.newest);
    EXPECT_FALSE(backups->run_due()) << "not again at once";
    clock.advance(settings.retry_after - seconds(1));
    EXPECT_FALSE(backups->run_due());
    fs::remove(settings.dir); // the NAS is back
    clock.advance(seconds(1));
    EXPECT_TRUE(backups->run_due());
    s = backups->state();
    EXPECT_EQ(s.last_error, "");
    EXPECT_EQ(s.failures, 1U) << "failures since the start, counted";
    EXPECT_TRUE(s.newest);
}

TEST_F(BackupSchedulerTest, TheCopyCommandGetsTheNewBackupsFolderAndNoneOfTheServersSecrets) {
    auto offsite = root.file("offsite");
    fs::create_directories(offsite);
    ::setenv("LOA_SEAL_KEY_FOR_THE_TEST", "a secret", 1);
    settings.after_command = {
        script("copy.sh", "env > " + root.file("env") + "; exec cp -r \"$2\" \"$1\""), offsite};
    auto backups = scheduler();
    ASSERT_TRUE(backups->run_due());
    auto s = backups->state();
    EXPECT_EQ(s.last_error, "");
    ASSERT_TRUE(s.newest);
    EXPECT_TRUE(fs::exists(offsite + "/" + s.newest->name + "/manifest.json"));
    EXPECT_TRUE(fs::exists(offsite + "/" + s.newest->name + "/loa.db"));
    auto env = loa::test::read_file(root.file("env"));
    ::unsetenv("LOA_SEAL_KEY_FOR_THE_TEST");
    EXPECT_NE(env.find("PATH="), std::string::npos);
    EXPECT_EQ(env.find("LOA_"), std::string::npos) << env;
}

TEST_F(BackupSchedulerTest, ACopyCommandThatFailsOrHangsIsAFailedBackup) {
    auto mended = root.file("mended"); // the off-site link back
    settings.after_command = {script("fail.sh", "[ -e " + mended + " ] && exit 0; exit 3")};
    auto backups = scheduler();
    ASSERT_TRUE(backups->run_due());
    EXPECT_NE(backups->state().last_error.find("failed (exit code 3)"), std::string::npos)
        << backups->state().last_error;
    EXPECT_TRUE(backups->state().newest) << "the backup itself is kept";

    // A copy that failed is tried again after retry_after (a new backup, then its copy).
    EXPECT_FALSE(backups->run_due());
    std::ofstream(mended) << "";
    clock.advance(settings.retry_after);
    EXPECT_TRUE(backups->run_due());
    EXPECT_EQ(backups->state().last_error, "");

    // One that hangs is stopped at its timeout, with what it started.
    auto grandchild = root.file("grandchild.pid");
    settings.after_command = {script("hang.sh", "sleep 600 & echo $! > " + grandchild + "; wait")};
    settings.after_command_timeout = seconds(1);
    backups = scheduler();
    ASSERT_TRUE(backups->request());
    ASSERT_TRUE(backups->run_due());
    EXPECT_NE(backups->state().last_error.find("was stopped after 1 s"), std::string::npos)
        << backups->state().last_error;
    auto pid = loa::test::read_file(grandchild);
    ASSERT_FALSE(pid.empty());
    auto gone = [&] {
        auto stat = loa::test::read_file("/proc/" + pid.substr(0, pid.find('\n')) + "/stat");
        auto state = stat.find(") ");
        return stat.empty() || (state != std::string::npos && stat[state + 2] == 'Z');
    };
    EXPECT_TRUE(loa::test::wait_until(gone, seconds(5))) << "the command's own child is ended";
}

TEST_F(BackupSchedulerTest, WithoutAFolderThereAreNoBackups) {
    settings.dir.clear();
    auto backups = scheduler();
    EXPECT_FALSE(backups->state().enabled);
    EXPECT_FALSE(backups->run_due());
    EXPECT_FALSE(backups->request());
}

TEST(BackupSettings, WrongSettingsNameTheirKey) {
    BackupSettings s;
    s.dir = "nas";
    EXPECT_EQ(check_backup_settings(s)->first, "dir");
    s.dir = "/mnt/nas";
    EXPECT_FALSE(check_backup_settings(s));
    s.at = {"2:30"};
    EXPECT_EQ(check_backup_settings(s)->first, "at");
    s.at = {"24:00"};
    EXPECT_EQ(check_backup_settings(s)->first, "at");
    s.at = {" 2:30"};
    EXPECT_EQ(check_backup_settings(s)->first, "at");
    s.at = {"+2:30"};
    EXPECT_EQ(check_backup_settings(s)->first, "at");
    s.at = {"23:59"};
    s.after_command = {"rsync", "-a"};
    EXPECT_EQ(check_backup_settings(s)->first, "after_command");
    s.after_command = {"/usr/bin/rsync", "-a"};
    EXPECT_FALSE(check_backup_settings(s));
}
