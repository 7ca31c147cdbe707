// Continuity with real processes. A running server backs itself up (at start, as its time of
// day passed without one, and when an admin asks, while three provisioned clusters play and the
// API is writing); then its machine is lost (the server killed, its state folder deleted). The
// backup is restored with `loa-server --restore` into a new state folder holding only the
// sealing key kept apart, and the server started there: every cluster comes back by itself
// within 10 s, the first audio reaches a cluster (the times are printed: see
// docs/performance.md, "Continuity"), the schedule and the as-run log are whole, nothing
// acknowledged before the backup began is missing, nothing asked for after it ended is there,
// the database passes an integrity check, and the schedule goes on. A server killed in the
// middle of a backup leaves the previous backup whole (it restores) and no other that looks
// whole, and the next one works.
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <set>
#include <thread>

#include "harness.hpp"
#include "loa/common/sqlite.hpp"
#include "province_calls.hpp"
#include "tcp_client.hpp"

using namespace loa::test;
namespace json = boost::json;
namespace fs = std::filesystem;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {

constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "70-001", "name": "Xã A", "quiet_hours": "none", "approval_required": false}]})";

/// The params of the backup.done notification whose newest backup is not `earlier`, waited for
/// (bounded).
std::optional<json::object> await_backup(loa::clients::ApiConnection& c, const std::string& earlier,
                                         seconds wait) {
    std::optional<json::object> done;
    wait_until(
        [&] {
            while (auto n = c.next(std::chrono::milliseconds(50))) {
                const auto& p = n->at("params").as_object();
                if (n->at("method") == "backup.done" && !p.at("newest").is_null() &&
                    p.at("newest").at("name") != earlier.c_str())
                    done = p;
            }
            return done.has_value();
        },
        wait);
    return done;
}

/// The admin, told of every backup.
std::unique_ptr<loa::clients::ApiConnection> backups_admin(Scenario& s) {
    auto admin = admin_of(s);
    admin->call("subscribe", {{"topics", json::array{"backups"}}});
    return admin;
}

std::string backups_config(const std::string& dir) {
    return R"("backups": {"dir": ")" + dir + R"(", "at": ["03:00"]})";
}

/// The ids of what `method` lists.
std::set<std::int64_t> ids_of(loa::clients::ApiConnection& c, const std::string& method,
                              json::object params = {}) {
    std::set<std::int64_t> out;
    auto listed = c.call(method, std::move(params));
    for (const auto& item : listed.as_array())
        out.insert(item.at("id").to_number<std::int64_t>());
    return out;
}

/// An admin's connection creating schedule entries one after another on a thread of its own,
/// each at a minute of its own in 2030: those acknowledged, and apart those asked for once
/// `backup_done` was set.
class Writer {
public:
    Writer(Scenario& s, json::value program) : program_(std::move(program)) {
        thread_ = std::thread([this, &s] {
            try {
                auto c = admin_of(s);
                for (int n = 0; writing_ && n < kMost; ++n) {
                    bool after = backup_done;
                    char start[32];
                    std::snprintf(start, sizeof start, "2030-01-%02dT%02d:%02d:00", 1 + n / 1440,
                                  n / 60 % 24, n % 60);
                    auto made = c->call("entries.create", {{"program", program_},
                                                           {"start", start},
                                                           {"duration_s", 30},
                                                           {"units", json::array{"70-001"}}});
                    std::lock_guard lock(mutex_);
                    (after ? sent_after_ : acknowledged_)
                        .push_back(made.at("id").to_number<std::int64_t>());
                }
            } catch (const std::exception& e) {
                std::lock_guard lock(mutex_);
                error_ = e.what();
            }
        });
    }
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer() { stop(); }

    void stop() {
        writing_ = false;
        if (thread_.joinable())
            thread_.join();
    }
    std::vector<std::int64_t> acknowledged() const {
        std::lock_guard lock(mutex_);
        return acknowledged_;
    }
    std::vector<std::int64_t> sent_after() const {
        std::lock_guard lock(mutex_);
        return sent_after_;
    }
    std::string error() const {
        std::lock_guard lock(mutex_);
        return error_;
    }

    std::atomic<bool> backup_done = false; ///< set once the test has seen the backup done

private:
    static constexpr int kMost = 28 * 1440; // minutes of February's days
    json::value program_;
    std::atomic<bool> writing_ = true;
    mutable std::mutex mutex_;
    std::vector<std::int64_t> acknowledged_, sent_after_;
    std::string error_;
    std::thread thread_;
};

} // namespace

TEST(Continuity, AServerWhoseMachineIsLostComesBackFromItsBackupWithNothingAcknowledgedMissing) {
    Scenario s("continuity-restore");
    auto nas = s.dir().file("nas");
    s.write_province_config(kProvince, backups_config(nas));
    s.start_server();
    auto admin = backups_admin(s);
    // 03:00 passed today without a backup (there is none): one is taken at start.
    ASSERT_TRUE(wait_until([&] { return !admin->call("backups.list").at("newest").is_null(); },
                           seconds(30)));
    auto first = admin->call("backups.list").as_object();
    ASSERT_EQ(first.at("last_error"), "") << json::serialize(first);

    // Three clusters playing; a bulletin aired (the as-run log); an entry of the schedule that
    // begins after the backup, every day.
    const std::vector<std::string> boxes{"box-1", "box-2", "box-3"};
    for (const auto& id : boxes)
        start_box(s, *admin, id, "70-001");
    auto all_online = [&](loa::clients::ApiConnection& c) {
        auto list = receivers(c);
        return list.size() == boxes.size() &&
               std::all_of(list.begin(), list.end(),
                           [](const auto& r) { return r.second.at("online").as_bool(); });
    };
    ASSERT_TRUE(wait_until([&] { return all_online(*admin); }, seconds(20)));
    ASSERT_TRUE(plays(*admin, "70-001", "box-1"));
    auto aired = ids_of(*admin, "as_run.list");
    ASSERT_FALSE(aired.empty());
    auto bulletin =
        admin->call("programs.create", {{"unit", "70-001"},
                                        {"title", "Bản tin sáng"},
                                        {"kind", "tts"},
                                        {"text", "Bà con chú ý, đây là bản tin sáng."}});
    auto daily =
        admin
            ->call("entries.create", {{"program", bulletin.at("id")},
                                      {"start", vietnam_local(system_clock::now() + seconds(30))},
                                      {"duration_s", 600},
                                      {"rule", "FREQ=DAILY"},
                                      {"units", json::array{"70-001"}}})
            .at("id")
            .to_number<std::int64_t>();

    // A backup while the API writes: an admin creates entries one after another meanwhile.
    Writer writer(s, bulletin.at("id"));
    ASSERT_TRUE(wait_until([&] { return writer.acknowledged().size() >= 5; }, seconds(20)))
        << writer.error();
    auto acknowledged_before = writer.acknowledged();
    ASSERT_EQ(admin->call("backups.run").at("started"), true);
    auto done = await_backup(*admin, json::value_to<std::string>(first.at("newest").at("name")),
                             seconds(60));
    writer.backup_done = true;
    ASSERT_TRUE(done) << "no backup.done within 60 s";
    ASSERT_EQ(done->at("last_error"), "") << json::serialize(*done);
    ASSERT_TRUE(wait_until([&] { return writer.sent_after().size() >= 3; }, seconds(20)))
        << writer.error();
    writer.stop();
    ASSERT_EQ(writer.error(), "");
    std::string name(done->at("newest").at("name").as_string());
    EXPECT_EQ(done->at("newest").at("media_files"), 2) << "the two bulletins' renderings";
    auto list = admin->call("backups.list").as_object();
    EXPECT_EQ(list.at("backups").as_array().back().at("name"), name.c_str());
    auto metrics = exchange(
        s.http_port(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_NE(metrics.find("loa_backup_last_success 1"), std::string::npos);
    double sound_before = sound_ms(receivers(*admin)["box-1"]);
    admin.reset();

    // The machine is lost: the server dies, its state folder with it. The sealing key was kept
    // apart (docs/operations.md); a new machine's state folder holds only that.
    fs::create_directories(s.dir().file("key-stick"));
    fs::copy_file(s.dir().file("state/seal.key"), s.dir().file("key-stick/seal.key"));
    s.kill_server(SIGKILL);
    fs::remove_all(s.dir().file("state"));
    auto state = s.dir().file("new-machine/state");
    fs::create_directories(state);
    fs::copy_file(s.dir().file("key-stick/seal.key"), state + "/seal.key");

    auto restore_began = std::chrono::steady_clock::now();
    Process restore({LOA_SERVER_BIN, "--config", s.config_path(), "--state-dir", state, "--restore",
                     nas + "/" + name},
                    s.dir().file("restore.log"));
    ASSERT_EQ(restore.wait(seconds(60)), 0) << read_file(s.dir().file("restore.log"));
    EXPECT_NE(read_file(s.dir().file("restore.log")).find("restored " + name), std::string::npos);
    auto since = [](std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    };
    double restore_s = since(restore_began);

    auto restarted = std::chrono::steady_clock::now();
    auto restarted_ms = ms_of(system_clock::now());
    s.start_server({"--state-dir", state});
    admin = backups_admin(s);
    // The restored bulletin at once, as an emergency: the first audio a cluster hears.
    auto emergency = admin->call(
        "emergency.start", {{"units", json::array{"70-001"}}, {"program", bulletin.at("id")}});
    ASSERT_TRUE(wait_until([&] { return all_online(*admin); }, seconds(30)));
    double back = since(restarted);
    ASSERT_TRUE(wait_until(
        [&] { return sound_ms(receivers(*admin)["box-1"]) > sound_before + 500; }, seconds(20)))
        << "the restored bulletin's audio reaches the cluster";
    double first_audio = since(restore_began);
    std::printf("continuity: restore %.2f s; restored server started to its %zu clusters online "
                "%.1f s; restore begun to the first audio at a cluster %.1f s\n",
                restore_s, boxes.size(), back, first_audio);
    EXPECT_LE(back, 10.0) << "the clusters are back within 10 s of their server";
    auto [code, message] = refusal(*admin, "emergency.stop", {{"id", emergency.at("override")}});
    EXPECT_TRUE(code == 0 || message.find("already ended") != std::string::npos) << message;

    // Whole: the database passes its integrity check; the as-run log and the schedule are there,
    // every entry acknowledged before the backup began, none asked for after it ended.
    {
        loa::common::Database db(state + "/loa.db", loa::common::Database::Access::read_only);
        auto check = db.prepare("PRAGMA integrity_check");
        ASSERT_TRUE(*check.step());
        EXPECT_EQ(check.text(0), "ok");
    }
    auto aired_now = ids_of(*admin, "as_run.list");
    for (auto id : aired)
        EXPECT_EQ(aired_now.count(id), 1U) << "as-run row " << id;
    auto entries = ids_of(*admin, "entries.list");
    EXPECT_EQ(entries.count(daily), 1U);
    for (auto id : acknowledged_before)
        EXPECT_EQ(entries.count(id), 1U) << "entry " << id << " was acknowledged before";
    for (auto id : writer.sent_after())
        EXPECT_EQ(entries.count(id), 0U) << "entry " << id << " was asked for after the backup";

    // The schedule goes on: the daily bulletin airs from the restored server.
    auto daily_aired = [&] {
        auto rows = admin->call("as_run.list");
        for (const auto& row : rows.as_array())
            if (row.at("entry").is_int64() && row.at("entry").as_int64() == daily &&
                row.at("started_at_ms").to_number<std::int64_t>() >= restarted_ms)
                return true;
        return false;
    };
    EXPECT_TRUE(wait_until(daily_aired, seconds(90))) << "the daily entry airs after the restore";
}

TEST(Continuity, AServerKilledInTheMiddleOfABackupLeavesThePreviousOneWholeAndTheNextOneWorks) {
    Scenario s("continuity-kill");
    auto nas = s.dir().file("nas");
    s.write_province_config(kProvince, backups_config(nas));
    s.start_server();
    auto admin = backups_admin(s);
    auto idle_with_one = [&] {
        auto list = admin->call("backups.list").as_object();
        return !list.at("newest").is_null() && !list.at("running").as_bool();
    };
    // The backup at start (03:00 passed today without one): the previous one.
    ASSERT_TRUE(wait_until(idle_with_one, seconds(30)));
    auto list = admin->call("backups.list").as_object();
    ASSERT_EQ(list.at("last_error"), "") << json::serialize(list);
    std::string previous(list.at("newest").at("name").as_string());

    // A large media file makes the next backup last long enough to be killed in the middle.
    {
        std::ofstream big(s.dir().file("state/media/large.ogg.partial"), std::ios::binary);
        std::string block(1 << 20, 'x');
        for (int i = 0; i < 256; ++i)
            big << block;
    }
    fs::rename(s.dir().file("state/media/large.ogg.partial"),
               s.dir().file("state/media/large.ogg"));
    auto partial = [&] {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(nas, ec))
            if (entry.path().filename().string().starts_with(".partial-"))
                return true;
        return false;
    };
    ASSERT_EQ(admin->call("backups.run").at("started"), true);
    ASSERT_TRUE(wait_until(partial, seconds(30))) << "the backup never began";
    admin.reset();
    s.kill_server(SIGKILL);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(nas, ec)) {
        auto folder = entry.path().filename().string();
        if (folder.starts_with("loa-")) {
            EXPECT_EQ(folder, previous) << "the killed backup looks whole";
        }
    }

    // The previous backup is whole: it restores (verified first) into a state folder of its own.
    Process restore({LOA_SERVER_BIN, "--config", s.config_path(), "--state-dir",
                     s.dir().file("check/state"), "--restore", nas + "/" + previous},
                    s.dir().file("restore.log"));
    EXPECT_EQ(restore.wait(seconds(60)), 0) << read_file(s.dir().file("restore.log"));

    // The next one works, and what the killed one left is removed.
    s.start_server();
    admin = backups_admin(s);
    admin->call("backups.run");
    auto next = await_backup(*admin, previous, seconds(120));
    ASSERT_TRUE(next) << "no backup.done within 120 s";
    EXPECT_EQ(next->at("last_error"), "");
    ASSERT_TRUE(wait_until(idle_with_one, seconds(30)));
    list = admin->call("backups.list").as_object();
    // Kept: the newest of the day (the retention keeps one a day), the one just taken.
    ASSERT_EQ(list.at("backups").as_array().size(), 1U);
    EXPECT_EQ(list.at("backups").as_array()[0].at("name"), next->at("newest").at("name"));
    EXPECT_FALSE(partial()) << "what the killed one left is removed";
}
