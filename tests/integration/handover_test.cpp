// A handover between two real servers, the 2025 case: province A's commune, with its cluster
// playing and its history, goes to province B's server under a new code. Its archive is
// imported into B (a dry run first), its cluster is moved there and plays B's schedule within
// 10 s, and A's history of it is found in B by its old code. A cluster told to move to a server
// it cannot reach stays with A and plays on.
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "province_calls.hpp"

using namespace loa::test;
namespace json = boost::json;
namespace fs = std::filesystem;
using std::chrono::seconds;

namespace {

constexpr const char* kBinhPhuoc = R"({"code": "70", "name": "Tỉnh Bình Phước",
    "quiet_hours": "none", "approval_required": false, "communes": [
      {"code": "25432", "name": "Phường Đồng Xoài", "quiet_hours": "none",
       "approval_required": false},
      {"code": "25441", "name": "Xã Tân Lợi", "quiet_hours": "none",
       "approval_required": false}]})";

constexpr const char* kDongNai = R"({"code": "75", "name": "Tỉnh Đồng Nai", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "26734", "name": "Phường Trấn Biên", "quiet_hours": "none",
       "approval_required": false}]})";

std::string text_of(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST(Handover, ACommuneWithItsClusterAndHistoryMovesToAnotherProvincesServer) {
    Scenario a("handover-a");
    Scenario b("handover-b");
    a.write_province_config(kBinhPhuoc);
    b.write_province_config(kDongNai);
    a.start_server();
    b.start_server();
    auto admin_a = admin_of(a);
    auto admin_b = admin_of(b);
    auto bundle = start_box(a, *admin_a, "dong-xoai-1", "25432");
    ASSERT_TRUE(wait_until(
        [&] { return receivers(*admin_a)["dong-xoai-1"].at("online").as_bool(); }, seconds(20)));
    // History in A: a bulletin played on the commune's channel.
    ASSERT_TRUE(plays(*admin_a, "25432", "dong-xoai-1"));

    // Exported from A, carried to B's handover folder.
    auto archive = admin_a->call("handover.export", {{"unit", "25432"}}).as_object();
    std::string name(archive.at("name").as_string());
    EXPECT_EQ(archive.at("counts").at("receivers"), 1);
    EXPECT_GE(archive.at("counts").at("as_run").to_number<std::int64_t>(), 1);
    fs::create_directories(b.dir().file("state/handover"));
    fs::copy_file(a.dir().file("state/handover/" + name), b.dir().file("state/handover/" + name));
    EXPECT_EQ(admin_b->call("handover.list").as_array().size(), 1U);

    // Imported into B under a new code, after a dry run that changes nothing.
    json::object import{{"archive", name},
                        {"codes", json::object{{"70", "75"}, {"25432", "26800"}}}};
    auto preview = import;
    preview["dry_run"] = true;
    auto dry = admin_b->call("handover.import", preview).as_object();
    EXPECT_EQ(dry.at("units").at(0).at("action"), "added");
    EXPECT_EQ(dry.at("refused"), json::array{});
    EXPECT_EQ(admin_b->call("units.list").as_array().size(), 2U) << "a dry run adds nothing";
    EXPECT_NE(refusal(*admin_b, "handover.import", {{"archive", name}}).second.find("map it"),
              std::string::npos)
        << "the province above the commune is not B's";
    auto done = admin_b->call("handover.import", import).as_object();
    EXPECT_EQ(done.at("units").at(0).at("as"), "26800");
    EXPECT_EQ(done.at("added").at("receivers"), 1);

    // A move to a server the cluster cannot reach: it stays with A and plays on.
    auto nowhere = admin_a->call("receivers.move", {{"ids", json::array{"dong-xoai-1"}},
                                                    {"server_url", "ws://127.0.0.1:9"}});
    EXPECT_EQ(nowhere.at("moved"), json::array{});
    ASSERT_EQ(nowhere.at("stayed").as_array().size(), 1U);
    EXPECT_TRUE(plays(*admin_a, "25432", "dong-xoai-1")) << "it stayed and plays A's";
    EXPECT_NE(refusal(*admin_a, "receivers.move",
                      {{"unit", "25432"}, {"server_url", "ws://127.0.0.1:9/x?y"}})
                  .second.find("server_url"),
              std::string::npos);

    // B's schedule for its new commune: a long bulletin on air from now on.
    std::string text;
    for (int i = 0; i < 8; ++i)
        text += "Bà con chú ý, đây là bản tin của tỉnh Đồng Nai. ";
    auto bulletin = admin_b->call(
        "programs.create", {{"unit", "26800"}, {"title", "Bản tin Đồng Nai"}, {"text", text}});
    admin_b->call("entries.create",
                  {{"program", bulletin.at("id")},
                   {"start", vietnam_local(std::chrono::system_clock::now() + seconds(2))},
                   {"duration_s", 120},
                   {"units", json::array{"26800"}}});
    double sound_before = sound_ms(receivers(*admin_a)["dong-xoai-1"]);

    // The real move: it confirms, switches, B has it and it plays B's schedule within 10 s.
    auto asked = std::chrono::steady_clock::now();
    auto moved = admin_a->call("receivers.move", {{"unit", "25432"}, {"server_url", b.api_url()}});
    EXPECT_EQ(moved.at("moved"), json::array{"dong-xoai-1"}) << json::serialize(moved);
    ASSERT_TRUE(wait_until(
        [&] {
            auto r = receivers(*admin_b)["dong-xoai-1"];
            return r.contains("online") && r.at("online").as_bool() && r.at("unit") == "26800";
        },
        seconds(10)))
        << json::serialize(admin_b->call("receivers.list"));
    auto since_asked = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
    };
    double online_s = since_asked();
    // Two seconds of sound more than it had played for A: B's bulletin (status every second).
    EXPECT_TRUE(wait_until(
        [&] { return sound_ms(receivers(*admin_b)["dong-xoai-1"]) > sound_before + 2000; },
        std::chrono::milliseconds(static_cast<int>((10 - since_asked()) * 1000))))
        << "B's schedule within 10 s of the move";
    std::printf("handover: move asked to cluster online on the new server: %.2f s; to two "
                "seconds of B's schedule heard: %.2f s\n",
                online_s, since_asked());
    EXPECT_EQ(receivers(*admin_a).count("dong-xoai-1"), 0U) << "A forgets it";
    EXPECT_NE(text_of(bundle).find(b.api_url()), std::string::npos)
        << "its bundle names B: a restart of the box goes to B";
    EXPECT_TRUE(plays(*admin_b, "26800", "dong-xoai-1")) << "it plays what B sends";

    // A's history is B's now, found by the old code.
    auto found = admin_b->call("units.find", {{"text", "25432"}}).as_array();
    ASSERT_EQ(found.size(), 1U) << json::serialize(found);
    EXPECT_EQ(found[0].at("unit").at("code"), "26800");
    auto history_b = admin_b->call("as_run.list").as_array();
    auto old_channel = std::count_if(history_b.begin(), history_b.end(),
                                     [](const auto& row) { return row.at("channel") == "25432"; });
    EXPECT_EQ(old_channel, archive.at("counts").at("as_run").to_number<std::int64_t>());
}
