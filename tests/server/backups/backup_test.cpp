#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "loa/common/sqlite.hpp"
#include "loa/server/backups/backup.hpp"
#include "process.hpp"
#include "server_state.hpp"

using loa::server::Backup;
using loa::server::kept_backups;
using loa::server::list_backups;
using loa::server::prune_backups;
using loa::server::Retention;
using loa::server::take_backup;
using loa::server::verify_backup;
namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

/// A server's state folder: its database with a unit and a table a writer fills, its media.
class BackupTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(loa::test::make_server_state(state));
        fs::create_directories(state + "/media/previews");
        loa::common::Database db(state + "/loa.db");
        ASSERT_TRUE(db.execute("CREATE TABLE said (n INTEGER PRIMARY KEY, text TEXT)"));
        write(state + "/media/aaaa.ogg", std::string(100000, 'a'));
        write(state + "/media/speech-bbbb.wav", std::string(5000, 'b'));
        write(state + "/media/cccc.ogg.partial", "still being written");
        write(state + "/media/previews/aaaa.png", "a preview");
        write(state + "/seal.key", "the sealing key: never in a backup");
    }

    std::int64_t rows(const std::string& database) {
        loa::common::Database db(database, loa::common::Database::Access::read_only);
        auto count = db.prepare("SELECT count(*) FROM said");
        EXPECT_TRUE(*count.step());
        return count.integer(0);
    }

    loa::test::TempDir root{"backups"};
    std::string state = root.file("state");
    std::string dir = root.file("nas");
    system_clock::time_point now = sys_days(2026y / 11 / 30) + hours(17);
};

} // namespace

TEST_F(BackupTest, ABackupTakenWhileTheServerWritesIsWholeVerifiedAndHoldsNoSecret) {
    std::atomic<bool> stop = false;
    std::atomic<int> written = 0;
    std::thread writer([&] {
        loa::common::Database db(state + "/loa.db");
        for (int i = 0; i < 100000 && !stop; ++i) {
            auto insert = db.prepare("INSERT INTO said (text) VALUES ('bà con chú ý')");
            ASSERT_TRUE(insert.run());
            ++written;
        }
    });
    ASSERT_TRUE(loa::test::wait_until([&] { return written > 100; }, seconds(10)));
    auto backup = take_backup(state, dir, now);
    auto at_end = written.load();
    stop = true;
    writer.join();
    ASSERT_TRUE(backup) << backup.error().message;
    EXPECT_EQ(backup->name, "loa-20261130T170000Z");
    EXPECT_TRUE(verify_backup(dir, backup->path));
    auto copied = rows(backup->path + "/loa.db");
    EXPECT_GT(copied, 100) << "what was written before it began";
    EXPECT_LE(copied, at_end) << "and nothing half-written";

    std::vector<std::string> media;
    for (const auto& m : backup->media)
        media.push_back(m.name);
    EXPECT_EQ(media, (std::vector<std::string>{"aaaa.ogg", "speech-bbbb.wav"}))
        << "neither a file still being written nor a preview";
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        EXPECT_NE(entry.path().filename(), "seal.key");
        EXPECT_FALSE(entry.path().filename().string().starts_with(".partial-"));
    }
    auto listed = list_backups(dir);
    ASSERT_EQ(listed.size(), 1U);
    EXPECT_EQ(listed[0].database_sha256, backup->database_sha256);
}

TEST_F(BackupTest, TheMediaPoolCopiesOnlyNewFilesAndADamagedBackupIsRefused) {
    auto first = take_backup(state, dir, now);
    ASSERT_TRUE(first) << first.error().message;
    auto pooled = fs::last_write_time(dir + "/media/aaaa.ogg");
    write(state + "/media/dddd.mp3", std::string(2000, 'd'));
    auto second = take_backup(state, dir, now + hours(24));
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->media.size(), 3U);
    EXPECT_EQ(fs::last_write_time(dir + "/media/aaaa.ogg"), pooled) << "not copied again";
    auto same_second = take_backup(state, dir, now + hours(24));
    ASSERT_TRUE(same_second) << same_second.error().message;
    EXPECT_EQ(same_second->name, second->name + "-2");
    fs::remove_all(same_second->path);

    // A byte changed in a backup's database, in a media file it needs, in its manifest.
    {
        std::fstream db(second->path + "/loa.db", std::ios::in | std::ios::out | std::ios::binary);
        db.seekp(200);
        db.put('\x5a');
    }
    auto damaged = verify_backup(dir, second->path);
    ASSERT_FALSE(damaged);
    EXPECT_NE(damaged.error().message.find("is not the one its manifest describes"),
              std::string::npos);
    write(dir + "/media/dddd.mp3", std::string(2000, 'e'));
    EXPECT_TRUE(verify_backup(dir, first->path)) << "the first does not need that file";
    write(first->path + "/manifest.json", "{\"name\": ");
    auto unreadable = verify_backup(dir, first->path);
    ASSERT_FALSE(unreadable);
    EXPECT_NE(unreadable.error().message.find("is damaged"), std::string::npos);
    EXPECT_EQ(list_backups(dir).size(), 1U) << "a backup without its manifest is not listed";

    // A run cut short leaves its staging folder; the next one removes it and succeeds.
    fs::create_directories(dir + "/.partial-loa-20261202T170000Z");
    write(dir + "/.partial-loa-20261202T170000Z/loa.db", "half");
    auto third = take_backup(state, dir, now + hours(48));
    ASSERT_TRUE(third) << third.error().message;
    EXPECT_FALSE(fs::exists(dir + "/.partial-loa-20261202T170000Z"));
    EXPECT_TRUE(verify_backup(dir, third->path)) << "a damaged pool file is copied again";
}

TEST(Retention, KeepsTheNewestOfEachOfTheLastDaysWeeksAndMonths) {
    // One backup every 6 hours for 400 days.
    std::vector<Backup> all;
    auto start = sys_days(2025y / 10 / 1);
    for (int i = 0; i < 400 * 4; ++i) {
        Backup b;
        b.taken_ms = duration_cast<milliseconds>((start + hours(6 * i)).time_since_epoch()).count();
        b.name = "b" + std::to_string(i);
        all.push_back(b);
    }
    auto kept = kept_backups(all, Retention{});
    EXPECT_LE(kept.size(), 7U + 4U + 12U);
    EXPECT_GE(kept.size(), 12U + 2U);
    EXPECT_TRUE(kept.contains(all.back().name)) << "the newest";
    // The newest is at 01:00 local (UTC+7) of its day; the 6 days before keep their newest,
    // at 19:00 local.
    for (int day = 0; day < 6; ++day)
        EXPECT_TRUE(kept.contains(all[all.size() - 2 - 4 * day].name)) << day;
    EXPECT_FALSE(kept.contains(all[all.size() - 3].name)) << "not two of one day";
    EXPECT_FALSE(kept.contains(all.front().name)) << "older than a year";
    Retention none{0, 0, 0};
    EXPECT_EQ(kept_backups(all, none), (std::set<std::string>{all.back().name}))
        << "the newest is kept whatever the settings";
}

TEST_F(BackupTest, PruningRemovesWhatRetentionDropsAndTheMediaOnlyItNeeded) {
    auto first = take_backup(state, dir, now);
    ASSERT_TRUE(first);
    fs::remove(state + "/media/speech-bbbb.wav"); // the program it belonged to was deleted
    auto second = take_backup(state, dir, now + hours(1));
    ASSERT_TRUE(second);
    auto removed = prune_backups(dir, Retention{1, 0, 0});
    ASSERT_TRUE(removed) << removed.error().message;
    EXPECT_EQ(*removed, (std::vector<std::string>{first->name})) << "one a day: the newest";
    EXPECT_FALSE(fs::exists(first->path));
    EXPECT_FALSE(fs::exists(dir + "/media/speech-bbbb.wav"));
    EXPECT_TRUE(verify_backup(dir, second->path));
}
