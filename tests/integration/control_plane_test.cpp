// The control plane with real processes: operators over a real WebSocket (roles and unit
// scopes of every method family, audit, notifications) and a provisioned receiver's whole
// life: provision -> hello -> plays -> volume -> rekey -> unprovision.
#include <boost/json.hpp>
#include <fstream>
#include <gtest/gtest.h>
#include <map>

#include "harness.hpp"
#include "loa/clients/api_client.hpp"
#include "raw_websocket.hpp"
#include "wav.hpp"

using namespace loa::test;
using loa::clients::ApiConnection;
using loa::clients::ApiError;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "70-001", "name": "Xã A", "quiet_hours": "none", "approval_required": true},
      {"code": "70-002", "name": "Xã B", "quiet_hours": "none", "approval_required": true}]})";

/// Connects to the server's API, waiting (bounded) for it to come up.
std::unique_ptr<ApiConnection> connect(const Scenario& s, const std::string& path = "/api/v1/ws") {
    return connect_api(s.api_url() + path);
}

std::unique_ptr<ApiConnection> login(const Scenario& s, const std::string& name,
                                     const std::string& password) {
    auto c = connect(s);
    c->call("auth.login", {{"name", name}, {"password", password}});
    return c;
}

/// The JSON-RPC error code of a call, or 0 if it succeeded.
int code_of(ApiConnection& c, const std::string& method, json::object params) {
    try {
        c.call(method, std::move(params));
        return 0;
    } catch (const ApiError& e) {
        return e.code;
    }
}

constexpr int kUnauthorized = -32004;

} // namespace

TEST(ControlPlane, EveryRoleReachesOnlyWhatItsRoleAndUnitsAllow) {
    Scenario s("control-authz");
    s.write_province_config(kProvince);
    s.start_server();
    auto admin = login(s, "admin", Scenario::kAdminPassword);
    const std::string password = "a-long-password-1";
    admin->call("users.create", {{"name", "approver1"},
                                 {"password", password},
                                 {"role", "approver"},
                                 {"units", json::array{"70-001"}}});
    admin->call("users.create", {{"name", "manager1"},
                                 {"password", password},
                                 {"role", "manager"},
                                 {"units", json::array{"70-001"}}});
    admin->call("users.create", {{"name", "viewer"}, {"password", password}, {"role", "viewer"}});

    // Nobody logged in: nothing but login.
    auto anonymous = connect(s);
    EXPECT_EQ(code_of(*anonymous, "programs.list", {}), kUnauthorized);
    EXPECT_EQ(code_of(*anonymous, "auth.login", {{"name", "admin"}, {"password", "wrong-one!!"}}),
              kUnauthorized);

    struct Expect {
        std::string user;
        bool create_own, create_other, approve_own, stop_all_own, provision, users;
    };
    const std::vector<Expect> matrix = {
        {"admin", true, true, true, true, true, true},
        {"approver1", true, false, true, true, false, false},
        {"manager1", true, false, false, true, false, false},
        {"viewer", false, false, false, false, false, false},
    };
    // A program of each commune to decide on, made by the admin.
    auto own =
        admin->call("programs.create",
                    {{"unit", "70-001"}, {"title", "own"}, {"url", "http://127.0.0.1:9/own"}});
    auto other =
        admin->call("programs.create",
                    {{"unit", "70-002"}, {"title", "other"}, {"url", "http://127.0.0.1:9/other"}});
    auto own_id = own.as_object().at("id").as_int64();
    auto other_id = other.as_object().at("id").as_int64();
    int n = 0;
    for (const auto& e : matrix) {
        SCOPED_TRACE(e.user);
        auto c = e.user == "admin" ? login(s, "admin", Scenario::kAdminPassword)
                                   : login(s, e.user, password);
        auto expect = [&](bool allowed, const std::string& method, json::object params) {
            int code = code_of(*c, method, std::move(params));
            if (allowed)
                EXPECT_EQ(code, 0) << method;
            else
                EXPECT_EQ(code, kUnauthorized) << method;
            return code == 0;
        };
        // Reads: everyone, but only within their units.
        auto programs = c->call("programs.list").as_array();
        bool sees_other = false;
        for (const auto& p : programs)
            sees_other = sees_other || p.as_object().at("id").as_int64() == other_id;
        EXPECT_EQ(sees_other, e.user == "admin" || e.user == "viewer");
        expect(e.create_own, "programs.create",
               {{"unit", "70-001"}, {"title", "t"}, {"url", "http://127.0.0.1:9/a"}});
        expect(e.create_other, "programs.create",
               {{"unit", "70-002"}, {"title", "t"}, {"url", "http://127.0.0.1:9/b"}});
        expect(e.approve_own, "programs.decide", {{"id", own_id}, {"approval", "approved"}});
        if (e.user != "admin")
            expect(false, "programs.decide", {{"id", other_id}, {"approval", "pending"}});
        if (expect(e.stop_all_own, "stop_all.start", {{"units", json::array{"70-001"}}})) {
            auto list = c->call("overrides.list").as_array();
            ASSERT_FALSE(list.empty());
            c->call("stop_all.release", {{"id", list.back().as_object().at("id")}});
        }
        if (e.user != "admin")
            expect(false, "stop_all.start", {{"units", json::array{"70-002"}}});
        expect(e.provision, "receivers.provision",
               {{"id", "box-" + std::to_string(n++)}, {"unit", "70-001"}});
        expect(e.users, "users.list", {});
        expect(e.users, "audit.list", {});
    }
    // Every change is on record, with who and from where, and no secret.
    auto audit = admin->call("audit.list").as_array();
    bool manager_created = false;
    for (const auto& r : audit) {
        const auto& o = r.as_object();
        EXPECT_EQ(o.at("from").as_string(), "127.0.0.1");
        EXPECT_EQ(std::string(o.at("summary").as_string()).find(password), std::string::npos);
        manager_created =
            manager_created || (o.at("who") == "manager1" && o.at("what") == "programs.create");
    }
    EXPECT_TRUE(manager_created);
}

TEST(ControlPlane, AProvisionedReceiverPlaysObeysVolumeRekeysWithoutAGapAndStopsWhenUnprovisioned) {
    Scenario s("control-receiver");
    write_tone_wav(s.dir().file("tone.wav"), 440, 40);
    s.write_province_config(kProvince);
    s.start_server();
    auto admin = login(s, "admin", Scenario::kAdminPassword);
    admin->call("subscribe", {{"topics", json::array{"receivers"}}});
    auto made = admin->call("receivers.provision", {{"id", "box-1"}, {"unit", "70-001"}});
    std::string bundle = s.dir().file("box-1.bundle.json");
    std::ofstream(bundle) << json::serialize(made.as_object().at("bundle"));
    auto& receiver = s.start_provisioned_receiver("box-1", bundle);

    // It comes online, and the operator is told.
    bool told = false;
    ASSERT_TRUE(wait_until(
        [&] {
            while (auto n = admin->next(std::chrono::milliseconds(50)))
                told = told || n->at("method") == "receiver.online";
            return told;
        },
        seconds(20)));

    admin->call("emergency.start",
                {{"units", json::array{"70-001"}}, {"path", s.dir().file("tone.wav")}});
    constexpr std::size_t kSecond = 48000 * 2;
    auto bytes = [&] { return wav_data_bytes(s.wav("box-1")); };
    ASSERT_TRUE(wait_until([&] { return bytes() > 3 * kSecond; }, seconds(20)));
    auto before_volume = bytes();
    admin->call("receivers.set_volume", {{"id", "box-1"}, {"volume", 0.25}});
    ASSERT_TRUE(wait_until([&] { return bytes() > before_volume + 3 * kSecond; }, seconds(20)));
    auto before_rekey = bytes();
    auto rekeyed = admin->call("receivers.rekey", {{"id", "box-1"}});
    EXPECT_TRUE(rekeyed.as_object().at("rekeyed").as_bool());
    EXPECT_TRUE(rekeyed.as_object().at("online").as_bool());
    ASSERT_TRUE(wait_until([&] { return bytes() > before_rekey + 3 * kSecond; }, seconds(20)));
    // The device secret turned over with the key: the receiver's bundle file holds the new one,
    // and a copy of the old bundle opens nothing.
    std::string old_secret(made.at("bundle").at("secret").as_string());
    auto saved = json::parse(read_file(bundle));
    EXPECT_NE(saved.at("secret").as_string(), old_secret);
    EXPECT_EQ(saved.at("id"), "box-1") << "the rest of the bundle is kept";
    RawWebSocket clone("127.0.0.1", s.http_port(), "/api/v1/receiver");
    clone.send(
        json::serialize(json::object{{"jsonrpc", "2.0"},
                                     {"id", 1},
                                     {"method", "hello"},
                                     {"params", {{"id", "box-1"}, {"secret", old_secret}}}}));
    auto refused = clone.receive();
    ASSERT_TRUE(refused);
    EXPECT_EQ(json::parse(*refused).at("error").at("code"), kUnauthorized) << *refused;
    auto status = admin->call("receivers.list").as_array();
    ASSERT_EQ(status.size(), 1U);
    EXPECT_TRUE(status[0].as_object().at("online").as_bool());
    // What it plays: the emergency on its commune's channel.
    EXPECT_TRUE(status[0].as_object().at("playing").is_string()) << json::serialize(status[0]);

    admin->call("receivers.unprovision", {{"id", "box-1"}});
    EXPECT_EQ(receiver.wait(seconds(15)), 0) << read_file(s.receiver_log("box-1"));
    EXPECT_FALSE(std::ifstream(bundle).good()) << "the bundle is deleted";

    auto wav = read_wav(s.wav("box-1"));
    auto at = [](std::size_t b) { return static_cast<double>(b) / kSecond; };
    double loud = rms(wav, at(before_volume) - 1.5, at(before_volume) - 0.5);
    double quiet = rms(wav, at(before_volume) + 1.0, at(before_volume) + 2.0);
    EXPECT_GT(loud, 0.05);
    EXPECT_NEAR(quiet / loud, 0.25, 0.08) << "loud " << loud << " quiet " << quiet;
    // No gap around the rekey: every 100 ms from a second before to two seconds after has
    // the tone at the quiet level.
    for (double t = at(before_rekey) - 1; t < at(before_rekey) + 2; t += 0.1)
        EXPECT_GT(rms(wav, t, t + 0.1), quiet * 0.6) << "gap at " << t << " s";
    // The receiver's log says it switched keys.
    EXPECT_NE(read_file(s.receiver_log("box-1")).find("switched to the new key"),
              std::string::npos);
}

/// The id of an override in a start method's answer.
json::value override_id(const json::value& started) {
    const auto& o = started.as_object().at("override");
    return o.is_object() ? o.as_object().at("id") : o;
}

TEST(ControlPlane, AReceiverWhosePlayoutCannotStartSaysWhyAndExits) {
    Scenario s("control-no-card");
    s.write_province_config(kProvince);
    s.start_server();
    auto admin = login(s, "admin", Scenario::kAdminPassword);
    auto made = admin->call("receivers.provision", {{"id", "box-1"}, {"unit", "70-001"}});
    std::string bundle = s.dir().file("box-1.bundle.json");
    std::ofstream(bundle) << json::serialize(made.as_object().at("bundle"));
    // A sound card the box does not have: after the hello, the playout cannot start. The
    // receiver says so and exits with an error (its service manager starts it again), rather
    // than aborting with its threads running.
    auto& receiver = s.start_provisioned_receiver("box-1", bundle, {"--output", "alsa:hw:7,0"});
    EXPECT_EQ(receiver.wait(seconds(20)), 1) << read_file(s.receiver_log("box-1"));
    EXPECT_NE(read_file(s.receiver_log("box-1")).find("cannot start playout to alsa:hw:7,0"),
              std::string::npos)
        << read_file(s.receiver_log("box-1"));
}

TEST(ControlPlane, EveryMethodAnswersOverAWebSocketAndManagersStayInTheirCommune) {
    Scenario s("control-methods");
    s.write_province_config(kProvince);
    s.start_server();
    auto a = connect(s);
    auto token = a->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}})
                     .as_object()
                     .at("token");
    EXPECT_EQ(a->call("auth.whoami").as_object().at("name"), "admin");
    EXPECT_EQ(a->call("subscribe", {{"topics", json::array{"schedule"}}})
                  .as_object()
                  .at("topics")
                  .as_array()
                  .size(),
              1U);
    EXPECT_EQ(a->call("units.list").as_array().size(), 3U);
    EXPECT_TRUE(a->call("clusters.list").is_array());

    const std::string password = "a-long-password-1";
    a->call("users.create", {{"name", "m1"},
                             {"password", password},
                             {"role", "manager"},
                             {"units", json::array{"70-001"}}});
    EXPECT_EQ(a->call("users.list").as_array().size(), 2U);
    a->call("users.set_password", {{"name", "m1"}, {"password", password + "x"}});

    // A program and an entry in each commune.
    std::map<std::string, json::value> programs, entries;
    for (const char* unit : {"70-001", "70-002"}) {
        auto p = a->call("programs.create",
                         {{"unit", unit}, {"title", "relay"}, {"url", "http://127.0.0.1:9/x"}});
        programs[unit] = p.as_object().at("id");
        a->call("programs.decide", {{"id", programs[unit]}, {"approval", "approved"}});
        entries[unit] = a->call("entries.create", {{"program", programs[unit]},
                                                   {"start", "2030-01-01T08:00:00"},
                                                   {"duration_s", 60},
                                                   {"units", json::array{unit}}})
                            .as_object()
                            .at("id");
    }
    EXPECT_EQ(a->call("programs.list").as_array().size(), 2U);
    EXPECT_EQ(a->call("entries.list").as_array().size(), 2U);
    auto ics = a->call("schedule.export", {{"unit", "70-001"}}).as_object().at("ics");
    EXPECT_NE(std::string(ics.as_string()).find("BEGIN:VEVENT"), std::string::npos);
    EXPECT_TRUE(
        a->call("entries.delete", {{"id", entries["70-001"]}}).as_object().contains("deleted"));
    auto imported = a->call("schedule.import", {{"unit", "70-001"}, {"ics", ics}});
    EXPECT_EQ(imported.as_object().at("entries").as_array().size(), 1U);

    auto emergency = a->call("emergency.start",
                             {{"units", json::array{"70-002"}}, {"program", programs["70-002"]}});
    EXPECT_EQ(a->call("overrides.list").as_array().size(), 1U);
    a->call("emergency.stop", {{"id", override_id(emergency)}});
    auto silence = a->call("stop_all.start", {{"units", json::array{"70-002"}}});
    a->call("stop_all.release", {{"id", override_id(silence)}});
    EXPECT_TRUE(a->call("as_run.list").is_array());
    EXPECT_TRUE(a->call("status").as_object().contains("on_air"));

    for (const auto& [id, unit] : {std::pair{"box-1", "70-001"}, {"box-2", "70-002"}})
        a->call("receivers.provision", {{"id", id}, {"unit", unit}});
    EXPECT_EQ(a->call("receivers.list").as_array().size(), 2U);
    a->call("receivers.set_volume", {{"id", "box-1"}, {"volume", 0.5}});
    a->call("receivers.rekey", {{"id", "box-1"}}); // offline: the new key waits for its hello

    // The manager of 70-001 sees and changes only 70-001's entries and receivers.
    auto m = login(s, "m1", password + "x");
    auto mine = m->call("entries.list").as_array();
    ASSERT_EQ(mine.size(), 1U);
    EXPECT_EQ(mine[0].as_object().at("units").as_array().at(0), "70-001");
    EXPECT_EQ(code_of(*m, "entries.delete", {{"id", entries["70-002"]}}), kUnauthorized);
    EXPECT_EQ(code_of(*m, "entries.create",
                      {{"program", programs["70-002"]},
                       {"start", "2030-01-02T08:00:00"},
                       {"duration_s", 60},
                       {"units", json::array{"70-002"}}}),
              kUnauthorized);
    auto boxes = m->call("receivers.list").as_array();
    ASSERT_EQ(boxes.size(), 1U);
    EXPECT_EQ(boxes[0].as_object().at("id"), "box-1");
    EXPECT_EQ(code_of(*m, "receivers.set_volume", {{"id", "box-2"}, {"volume", 0.1}}),
              kUnauthorized);
    EXPECT_EQ(code_of(*m, "schedule.export", {{"unit", "70-002"}}), kUnauthorized);
    EXPECT_EQ(code_of(*m, "units.merge", {{"unit", "70-002"}, {"into", "70-001"}}), kUnauthorized);

    a->call("receivers.unprovision", {{"id", "box-2"}});
    EXPECT_EQ(a->call("receivers.list").as_array().size(), 1U);
    a->call("units.merge", {{"unit", "70-002"}, {"into", "70-001"}});
    a->call("users.disable", {{"name", "m1"}});
    EXPECT_EQ(code_of(*m, "entries.list", {}), kUnauthorized) << "a disabled user's session ends";
    EXPECT_GT(a->call("audit.list").as_array().size(), 10U);
    a->call("unsubscribe", {{"topics", json::array{"schedule"}}});

    // Another connection resumes the session with its token; logging out ends it everywhere.
    auto b = connect(s);
    EXPECT_EQ(b->call("auth.resume", {{"token", token}}).as_object().at("user").at("name"),
              "admin");
    a->call("auth.logout");
    EXPECT_EQ(code_of(*b, "units.list", {}), kUnauthorized);
}
