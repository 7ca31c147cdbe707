// A reorganisation with real processes: two communes merge into a third, which keeps its code
// and takes a new name. The clusters of the merged communes move to it by themselves and play
// what is sent to it; a manager of a merged commune acts for the successor without logging in
// again; the old codes stay searchable and can no longer be targeted. The national list of
// units, imported, renames a ward and adds a commune whose cluster plays, before and after a
// restart (its channel comes from the database).
#include <boost/json.hpp>
#include <csignal>
#include <fstream>
#include <gtest/gtest.h>

#include "province_calls.hpp"

using namespace loa::test;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "70-001", "name": "Xã Tân Lập", "quiet_hours": "none", "approval_required": false},
      {"code": "70-002", "name": "Xã Tân Hòa", "quiet_hours": "none", "approval_required": false},
      {"code": "70-003", "name": "Xã Tân Bình", "quiet_hours": "none",
       "approval_required": false}]})";

} // namespace

TEST(Reorganisation, MergedCommunesClustersMoveToTheSuccessorAndPlayWhatIsSentThere) {
    Scenario s("reorganisation");
    s.write_province_config(kProvince);
    s.start_server();
    auto admin = admin_of(s);
    for (auto [id, unit] : {std::pair{"box-2", "70-002"}, std::pair{"box-3", "70-003"}})
        start_box(s, *admin, id, unit);
    // Each cluster online, in its unit.
    auto online_in = [&](const std::map<std::string, std::string>& units) {
        auto list = receivers(*admin);
        return list.size() == units.size() &&
               std::all_of(units.begin(), units.end(), [&](const auto& want) {
                   const auto& r = list[want.first];
                   return r.at("online").as_bool() && r.at("unit") == want.second.c_str();
               });
    };
    ASSERT_TRUE(wait_until(
        [&] {
            return online_in({{"box-2", "70-002"}, {"box-3", "70-003"}});
        },
        seconds(20)));
    admin->call("users.create", {{"name", "hoa-manager"},
                                 {"password", "mật-khẩu-dài-1"},
                                 {"role", "manager"},
                                 {"units", json::array{"70-002"}}});
    auto manager = connect_api(s.api_url() + "/api/v1/ws");
    manager->call("auth.login", {{"name", "hoa-manager"}, {"password", "mật-khẩu-dài-1"}});
    auto program = manager->call("programs.create", {{"unit", "70-002"},
                                                     {"title", "Bản tin Tân Hòa"},
                                                     {"kind", "tts"},
                                                     {"text", "Bà con chú ý, đây là bản tin."}});
    EXPECT_EQ(refusal(*manager, "programs.create",
                      {{"unit", "70-001"}, {"title", "x"}, {"kind", "tts"}, {"text", "x"}})
                  .first,
              -32004);

    json::object merge{
        {"units", json::array{"70-002", "70-003"}}, {"into", "70-001"}, {"name", "Xã Tân Lập Mới"}};
    auto preview = merge;
    preview["dry_run"] = true;
    auto dry = admin->call("units.merge", preview).as_object();
    EXPECT_EQ(dry.at("moved").at("clusters"), (json::array{"box-2", "box-3"}));
    EXPECT_EQ(dry.at("moved").at("users"), (json::array{"hoa-manager"}));
    EXPECT_EQ(dry.at("unit").at("name"), "Xã Tân Lập Mới");
    EXPECT_EQ(receivers(*admin)["box-2"].at("unit"), "70-002") << "a dry run changes nothing";
    EXPECT_TRUE(admin->call("units.list").as_array()[2].at("merged_into").is_null());

    auto merged = std::chrono::steady_clock::now();
    auto done = admin->call("units.merge", merge).as_object();
    EXPECT_EQ(done.at("dry_run"), false);
    EXPECT_EQ(done.at("merged").as_array().size(), 2U);
    EXPECT_EQ(done.at("moved").at("programs"), (json::array{program.at("id")}));
    ASSERT_TRUE(wait_until(
        [&] {
            return online_in({{"box-2", "70-001"}, {"box-3", "70-001"}});
        },
        seconds(20)))
        << json::serialize(admin->call("receivers.list"));
    std::printf("reorganisation: merge to both clusters online in the successor: %.2f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - merged).count());

    // What is sent to the successor plays on the merged communes' clusters.
    auto before = receivers(*admin);
    auto emergency = manager->call(
        "emergency.start", {{"units", json::array{"70-001"}}, {"program", program.at("id")}});
    EXPECT_TRUE(wait_until(
        [&] {
            auto now = receivers(*admin);
            return sound_ms(now["box-2"]) > sound_ms(before["box-2"]) + 500 &&
                   sound_ms(now["box-3"]) > sound_ms(before["box-3"]) + 500;
        },
        seconds(20)))
        << "the successor's emergency reaches both moved clusters";
    manager->call("emergency.stop", {{"id", emergency.at("override")}});

    // The old code is history: found, not targeted.
    auto [code, message] =
        refusal(*manager, "programs.create",
                {{"unit", "70-002"}, {"title", "x"}, {"kind", "tts"}, {"text", "x"}});
    EXPECT_NE(code, 0);
    auto found = admin->call("units.find", {{"text", "tan hoa"}}).as_array();
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found[0].at("now").at("code"), "70-001");
    auto again =
        refusal(*admin, "units.merge", {{"units", json::array{"70-002"}}, {"into", "70-001"}});
    EXPECT_NE(again.second.find("was merged into"), std::string::npos) << again.second;
}

namespace {

constexpr const char* kDongNai = R"({"code": "75", "name": "Tỉnh Đồng Nai", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "26734", "name": "Phường Biên Hòa", "quiet_hours": "none",
       "approval_required": false},
      {"code": "26737", "name": "Phường Tam Hiệp", "quiet_hours": "none",
       "approval_required": false}]})";

constexpr const char* kOfficialList = "Mã;Tên;Cấp\r\n"
                                      "75;Tỉnh Đồng Nai;Tỉnh\r\n"
                                      "26734;Phường Trấn Biên;Phường\r\n"
                                      "26737;Phường Tam Hiệp;Phường\r\n"
                                      "26800;Xã Phú Lý;Xã\r\n";

} // namespace

TEST(Reorganisation, TheNationalListAddsAUnitWhoseClusterPlaysAcrossARestart) {
    Scenario s("unit-list");
    s.write_province_config(kDongNai);
    s.start_server();
    auto login = [&] { return admin_of(s); };
    auto admin = login();
    auto preview = admin->call("units.import", {{"csv", kOfficialList}, {"dry_run", true}});
    EXPECT_EQ(
        preview.at("changes"),
        (json::array{
            json::object{{"kind", "rename"},
                         {"code", "26734"},
                         {"name", "Phường Trấn Biên"},
                         {"old_name", "Phường Biên Hòa"},
                         {"line", 3}},
            json::object{{"kind", "add"}, {"code", "26800"}, {"name", "Xã Phú Lý"}, {"line", 5}}}));
    EXPECT_EQ(admin->call("units.list").as_array().size(), 3U) << "a preview adds nothing";
    auto applied = admin->call("units.import", {{"csv", kOfficialList}});
    EXPECT_EQ(applied.at("problems"), json::array{});
    EXPECT_EQ(admin->call("units.list").as_array().size(), 4U);

    start_box(s, *admin, "phu-ly-1", "26800");
    auto online = [&] { return receivers(*admin)["phu-ly-1"].at("online").as_bool(); };
    ASSERT_TRUE(wait_until(online, seconds(20)));
    EXPECT_TRUE(plays(*admin, "26800", "phu-ly-1")) << "the new unit's channel, made at run time";

    admin.reset();
    s.kill_server(SIGTERM);
    s.start_server();
    admin = login();
    ASSERT_TRUE(wait_until(online, seconds(30)));
    EXPECT_TRUE(plays(*admin, "26800", "phu-ly-1")) << "the channel, from the database at start";
    auto units = admin->call("units.list").as_array();
    EXPECT_EQ(units[1].at("name"), "Phường Trấn Biên") << "the configuration renames nothing back";
    auto found = admin->call("units.find", {{"text", "bien hoa"}}).as_array();
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found[0].at("unit").at("code"), "26734");
}

TEST(Reorganisation, AUnitsNewCodeTakesItsClustersAlongAndARestartKeepsIt) {
    Scenario s("unit-recode");
    s.write_province_config(kDongNai);
    s.start_server();
    auto login = [&] { return admin_of(s); };
    auto admin = login();
    start_box(s, *admin, "bien-hoa-1", "26734");
    auto online_in = [&](const char* unit) {
        auto r = receivers(*admin)["bien-hoa-1"];
        return r.at("online").as_bool() && r.at("unit") == unit &&
               read_file(s.receiver_log("bien-hoa-1")).find(std::string("of ") + unit) !=
                   std::string::npos;
    };
    ASSERT_TRUE(wait_until([&] { return online_in("26734"); }, seconds(20)));

    auto recoded = admin->call("units.recode", {{"unit", "26734"}, {"code", "26999"}});
    EXPECT_EQ(recoded.at("code"), "26999");
    EXPECT_EQ(recoded.at("former_names").at(0).at("code"), "26734");
    ASSERT_TRUE(wait_until([&] { return online_in("26999"); }, seconds(20)))
        << "its hello tells it its unit's new code";
    EXPECT_TRUE(plays(*admin, "26999", "bien-hoa-1")) << "the new code's channel";

    admin.reset();
    s.kill_server(SIGTERM);
    s.start_server(); // its configuration still names 26734
    admin = login();
    ASSERT_TRUE(wait_until([&] { return online_in("26999"); }, seconds(30)));
    auto units = admin->call("units.list").as_array();
    EXPECT_EQ(units.size(), 3U) << "no unit made again under the former code";
    EXPECT_TRUE(plays(*admin, "26999", "bien-hoa-1"));
}

TEST(Reorganisation, InGroupKeyModeAMergedCommunesClusterTakesTheSuccessorsChannelKey) {
    Scenario s("reorganisation-group-key");
    s.add_media_settings(R"("profile": "aead_aes_128_gcm", "key_mode": "group")");
    std::string channels;
    for (const auto* code : {"70", "70-001", "70-002", "70-003"})
        channels += std::string(channels.empty() ? "" : ",") + R"({"id": ")" + code +
                    R"(", "key": ")" + Scenario::new_key(28) + R"("})";
    s.write_province_config(kProvince, R"("channels": [)" + channels + "]");
    s.start_server();
    auto admin = admin_of(s);
    start_box(s, *admin, "box-2", "70-002");
    auto online_in = [&](const char* unit) {
        auto r = receivers(*admin)["box-2"];
        return r.at("online").as_bool() && r.at("unit") == unit;
    };
    ASSERT_TRUE(wait_until([&] { return online_in("70-002"); }, seconds(20)));
    EXPECT_TRUE(plays(*admin, "70-002", "box-2")) << read_file(s.receiver_log("box-2"));

    admin->call("units.merge", {{"units", json::array{"70-002"}}, {"into", "70-001"}});
    ASSERT_TRUE(wait_until([&] { return online_in("70-001"); }, seconds(20)));
    // Its hello gave it the successor's channel and key: it decrypts what is sent there.
    EXPECT_TRUE(plays(*admin, "70-001", "box-2")) << read_file(s.receiver_log("box-2"));
}
