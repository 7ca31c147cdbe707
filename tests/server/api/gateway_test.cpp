// The gateway in process, on a real schedule, user store, receivers' hub and media plane in a
// temporary folder: the method table's rules as a caller meets them (connection, role, a
// receiver's unit), and what is audited and published.
#include "../server_world.hpp"

using namespace loa;
namespace json = boost::json;
using GatewayTest = loa::test::ServerWorld;
using loa::test::kPassword;

TEST_F(GatewayTest, ALoginFromAPlainRemoteConnectionIsRefusedBeforeThePasswordIsLookedAt) {
    auto remote = caller("", "203.0.113.9:5000");
    std::string message;
    EXPECT_EQ(code_of("auth.login", {{"name", "nobody"}, {"password", "x"}}, remote, &message),
              server::rpc_code::kUnauthorized);
    EXPECT_NE(message.find("log in over TLS (wss://) or on 127.0.0.1"), std::string::npos)
        << message; // not "wrong name or password": the name was never looked up
    EXPECT_FALSE(remote.user);
    auto local = caller("manager");
    EXPECT_TRUE(local.user);
}

TEST_F(GatewayTest, ReadsAreNotAuditedChangesAreAndADryRunIsNeither) {
    auto manager = caller("manager");
    auto admin = control_socket();
    // Each audited() is itself audited (audit.list is an admin's): one more per look.
    auto before = audited();
    EXPECT_EQ(code_of("entries.list", {}, manager), 0);
    EXPECT_EQ(code_of("status", {}, manager), 0);
    EXPECT_EQ(audited(), before + 1);
    auto tone = dir.file("tone.wav");
    test::write_tone_wav(tone, 440, 0.5);
    auto program =
        gateway->call("programs.create",
                      params({{"unit", "70-001"}, {"title", "Tin xã"}, {"path", tone}}), manager);
    gateway->call("programs.decide", params({{"id", program.at("id")}, {"approval", "approved"}}),
                  admin);
    EXPECT_EQ(audited(), before + 4);
    auto checked = gateway->call("entries.create",
                                 params({{"program", program.at("id")},
                                         {"units", json::array{"70-001"}},
                                         {"start", "2030-01-01T06:00:00"},
                                         {"duration_s", 600},
                                         {"dry_run", true}}),
                                 manager);
    EXPECT_EQ(checked.at("ok"), json::value(true));
    EXPECT_EQ(audited(), before + 5);
    std::lock_guard lock(mutex);
    EXPECT_EQ(std::count_if(published.begin(), published.end(),
                            [](const auto& n) { return n.method == "schedule.changed"; }),
              2);
}

TEST_F(GatewayTest, ARoleTooLowOrAReceiverOutsideOnesUnitsIsRefusedBeforeTheHandler) {
    auto manager = caller("manager");
    std::string message;
    EXPECT_EQ(code_of("users.list", {}, manager, &message), server::rpc_code::kUnauthorized);
    EXPECT_NE(message.find("users.list is for an admin; you are a manager"), std::string::npos)
        << message;
    auto admin = control_socket();
    ASSERT_EQ(code_of("receivers.provision", {{"id", "box-1"}, {"unit", "70-002"}}, admin), 0);
    EXPECT_EQ(
        code_of("receivers.set_volume", {{"id", "box-1"}, {"volume", 0.5}}, manager, &message),
        server::rpc_code::kUnauthorized);
    EXPECT_NE(message.find("outside the units you act for"), std::string::npos) << message;
    EXPECT_EQ(code_of("receivers.set_volume", {{"id", "box-9"}, {"volume", 0.5}}, manager),
              server::rpc_code::kNotFound);
    auto anonymous = caller("");
    EXPECT_EQ(code_of("status", {}, anonymous), server::rpc_code::kUnauthorized);
    EXPECT_EQ(code_of("server.info", {}, anonymous), 0);
}

TEST_F(GatewayTest, SubscriptionsAndTicketsBelongToAnOperatorsSession) {
    auto admin = control_socket();
    std::string message;
    EXPECT_EQ(code_of("subscribe", {}, admin, &message), server::rpc_code::kMethodNotFound);
    EXPECT_NE(message.find("WebSocket"), std::string::npos) << message;
    EXPECT_EQ(code_of("auth.ticket", {{"path", "/api/v1/as-run.csv"}}, admin),
              server::rpc_code::kInvalidParams);
    auto manager = caller("manager");
    EXPECT_EQ(code_of("auth.ticket", {{"path", "/api/v1/as-run.csv"}}, manager), 0);
}

TEST_F(GatewayTest, AlarmsReachOnlyThoseWhoActForTheirUnit) {
    auto unit = [&](const char* code) { return schedule->unit_ids({code}).front(); };
    auto offline = [&](const char* cluster, const char* code) {
        server::Fault f;
        f.subject = cluster;
        f.unit = unit(code);
        f.text_vi = f.text_en = cluster;
        return f;
    };
    ASSERT_TRUE(alarms->reconcile(server::AlarmKind::cluster_offline,
                                  {offline("in", "70-001"), offline("out", "70-002")}));
    server::Fault disk;
    disk.kind = server::AlarmKind::disk_low;
    disk.subject = "server";
    disk.unit = unit("70");
    disk.severity = server::Severity::critical;
    ASSERT_TRUE(alarms->reconcile(server::AlarmKind::disk_low, {disk}));

    auto manager = caller("manager");
    auto admin = control_socket();
    auto subjects = [&](const char* method, const json::object& p, server::Caller& c) {
        std::vector<std::string> out;
        auto listed = gateway->call(method, params(p), c);
        for (const auto& a : listed.as_array())
            out.emplace_back(a.at("subject").as_string());
        return out;
    };
    using Subjects = std::vector<std::string>;
    EXPECT_EQ(subjects("alarms.list", {}, manager), Subjects{"in"});
    EXPECT_EQ(subjects("alarms.list", {}, admin), (Subjects{"server", "out", "in"}));
    EXPECT_EQ(subjects("alarms.list", {{"unit", "70-002"}}, admin), Subjects{"out"});
    EXPECT_EQ(subjects("alarms.list", {{"unit", "70-002"}}, manager), Subjects{});
    EXPECT_EQ(subjects("alarms.list", {{"severity", "critical"}}, admin), Subjects{"server"});
    EXPECT_EQ(subjects("alarms.history", {{"kind", "cluster_offline"}}, manager), Subjects{"in"});
    std::string message;
    EXPECT_EQ(code_of("alarms.list", {{"kind", "fire"}}, admin, &message),
              server::rpc_code::kInvalidParams);
    EXPECT_NE(message.find("\"fire\" is not an alarm kind"), std::string::npos) << message;

    auto listed = gateway->call("alarms.list", params({}), admin).as_array();
    auto id_of = [&](const char* subject) {
        for (const auto& a : listed)
            if (a.at("subject") == subject)
                return a.at("id").as_int64();
        return std::int64_t{0};
    };
    EXPECT_EQ(listed[0].at("unit"), "70");
    // Outside one's units an alarm is refused; inside, it is acknowledged (and audited).
    EXPECT_EQ(code_of("alarms.acknowledge", {{"id", id_of("out")}}, manager, &message),
              server::rpc_code::kUnauthorized);
    EXPECT_NE(message.find("outside the units you act for"), std::string::npos) << message;
    EXPECT_EQ(code_of("alarms.acknowledge", {{"id", 999}}, manager), server::rpc_code::kNotFound);
    auto before = audited();
    auto acknowledged = gateway->call("alarms.acknowledge", params({{"id", id_of("in")}}), manager);
    EXPECT_EQ(acknowledged.at("acknowledged_by"), "manager");
    EXPECT_EQ(audited(), before + 2);
    auto viewer_like = caller("");
    EXPECT_EQ(code_of("alarms.list", {}, viewer_like), server::rpc_code::kUnauthorized);
}
