// Continuity with real processes: a running server backs itself up (at start, as its time of
// day passed without one, and when an admin asks, while a provisioned cluster plays), the
// backup is restored with `loa-server --restore` into the stopped server's state folder, and
// the server started on it: the cluster comes back by itself (the time is printed: see
// docs/performance.md, "Continuity"), what was made after the backup is gone, what was before
// plays. A server killed in the middle of a backup leaves no backup that looks whole, and the
// next one works.
#include <boost/json.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "tcp_client.hpp"

using namespace loa::test;
namespace json = boost::json;
namespace fs = std::filesystem;
using std::chrono::seconds;

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

std::unique_ptr<loa::clients::ApiConnection> admin_of(Scenario& s) {
    auto admin = connect_api(s.api_url() + "/api/v1/ws");
    admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
    admin->call("subscribe", {{"topics", json::array{"backups"}}});
    return admin;
}

std::string backups_config(const std::string& dir) {
    return R"("backups": {"dir": ")" + dir + R"(", "at": ["03:00"]})";
}

std::vector<std::string> program_titles(loa::clients::ApiConnection& c) {
    std::vector<std::string> out;
    auto programs = c.call("programs.list");
    for (const auto& p : programs.as_array())
        out.emplace_back(p.at("title").as_string());
    return out;
}

} // namespace

TEST(Continuity, ARestoredBackupPlaysAndItsClusterComesBackByItself) {
    Scenario s("continuity-restore");
    auto nas = s.dir().file("nas");
    s.write_province_config(kProvince, backups_config(nas));
    s.start_server();
    auto admin = admin_of(s);
    // 03:00 passed today without a backup (there is none): one is taken at start.
    ASSERT_TRUE(wait_until([&] { return !admin->call("backups.list").at("newest").is_null(); },
                           seconds(30)));
    auto first = admin->call("backups.list").as_object();
    ASSERT_EQ(first.at("last_error"), "") << json::serialize(first);

    auto made = admin->call("receivers.provision", {{"id", "box-1"}, {"unit", "70-001"}});
    std::string bundle = s.dir().file("box-1.bundle.json");
    std::ofstream(bundle) << json::serialize(made.as_object().at("bundle"));
    s.start_provisioned_receiver("box-1", bundle);
    auto online = [](loa::clients::ApiConnection& c) {
        auto list = c.call("receivers.list").as_array();
        return list.size() == 1 && list[0].at("online").as_bool();
    };
    ASSERT_TRUE(wait_until([&] { return online(*admin); }, seconds(20)));
    auto before = admin->call("programs.create", {{"unit", "70-001"},
                                                  {"title", "Bản tin trước"},
                                                  {"kind", "tts"},
                                                  {"text", "Bà con chú ý, đây là bản tin."}});

    ASSERT_EQ(admin->call("backups.run").at("started"), true);
    auto done = await_backup(*admin, json::value_to<std::string>(first.at("newest").at("name")),
                             seconds(60));
    ASSERT_TRUE(done) << "no backup.done within 60 s";
    ASSERT_EQ(done->at("last_error"), "") << json::serialize(*done);
    std::string name(done->at("newest").at("name").as_string());
    EXPECT_EQ(done->at("newest").at("media_files"), 1) << "the bulletin's rendering";
    auto list = admin->call("backups.list").as_object();
    EXPECT_EQ(list.at("backups").as_array().back().at("name"), name.c_str());
    auto metrics = exchange(
        s.http_port(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_NE(metrics.find("loa_backup_last_success 1"), std::string::npos);
    admin->call("programs.create", {{"unit", "70-001"},
                                    {"title", "Bản tin sau"},
                                    {"kind", "tts"},
                                    {"text", "Bản tin này có sau bản sao lưu."}});
    admin.reset();

    s.kill_server(SIGTERM);
    Process restore({LOA_SERVER_BIN, "--config", s.config_path(), "--restore", nas + "/" + name},
                    s.dir().file("restore.log"));
    ASSERT_EQ(restore.wait(seconds(60)), 0) << read_file(s.dir().file("restore.log"));
    EXPECT_NE(read_file(s.dir().file("restore.log")).find("restored " + name), std::string::npos);

    auto restarted = std::chrono::steady_clock::now();
    s.start_server();
    admin = admin_of(s);
    ASSERT_TRUE(wait_until([&] { return online(*admin); }, seconds(30)));
    auto back = std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted).count();
    std::printf("continuity: restored server started to its cluster online: %.1f s\n", back);
    EXPECT_LE(back, 10.0) << "a cluster is back within 10 s of its server";
    auto titles = program_titles(*admin);
    EXPECT_NE(std::find(titles.begin(), titles.end(), "Bản tin trước"), titles.end());
    EXPECT_EQ(std::find(titles.begin(), titles.end(), "Bản tin sau"), titles.end())
        << "made after the backup";
    bool moved_aside = false;
    for (const auto& entry : fs::directory_iterator(s.dir().file("state")))
        moved_aside |= entry.path().filename().string().starts_with("before-restore-");
    EXPECT_TRUE(moved_aside);

    // The restored bulletin plays on the cluster.
    auto sound_ms = [&] {
        auto r = admin->call("receivers.list").as_array()[0].as_object();
        const auto* status = r.if_contains("status");
        const auto* sound = status != nullptr && status->is_object()
                                ? status->as_object().if_contains("sound_ms")
                                : nullptr;
        return sound != nullptr ? sound->to_number<double>() : 0.0;
    };
    double sound_before = sound_ms();
    auto emergency = admin->call("emergency.start",
                                 {{"units", json::array{"70-001"}}, {"program", before.at("id")}});
    EXPECT_TRUE(wait_until([&] { return sound_ms() > sound_before + 500; }, seconds(20)))
        << "the restored bulletin's audio reaches the cluster";
    admin->call("emergency.stop", {{"id", emergency.at("override")}});
}

TEST(Continuity, AServerKilledInTheMiddleOfABackupLeavesNoneThatLooksWhole) {
    Scenario s("continuity-kill");
    auto nas = s.dir().file("nas");
    s.write_province_config(kProvince, backups_config(nas));
    // A large media file makes the backup last long enough to be killed in the middle.
    fs::create_directories(s.dir().file("state/media"));
    {
        std::ofstream big(s.dir().file("state/media/large.ogg"), std::ios::binary);
        std::string block(1 << 20, 'x');
        for (int i = 0; i < 256; ++i)
            big << block;
    }
    s.start_server();
    auto partial = [&] {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(nas, ec))
            if (entry.path().filename().string().starts_with(".partial-"))
                return true;
        return false;
    };
    ASSERT_TRUE(wait_until(partial, seconds(30))) << "the backup at start never began";
    s.kill_server(SIGKILL);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(nas, ec))
        EXPECT_FALSE(entry.path().filename().string().starts_with("loa-"))
            << entry.path() << " looks whole";

    s.start_server();
    auto admin = admin_of(s);
    ASSERT_TRUE(wait_until(
        [&] {
            auto list = admin->call("backups.list").as_object();
            return !list.at("newest").is_null() && !list.at("running").as_bool();
        },
        seconds(60)));
    auto list = admin->call("backups.list").as_object();
    EXPECT_EQ(list.at("last_error"), "");
    EXPECT_EQ(list.at("backups").as_array().size(), 1U);
    EXPECT_FALSE(partial()) << "what the killed one left is removed";
}
