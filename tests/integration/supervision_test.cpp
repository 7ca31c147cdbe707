// Supervision with real processes: a provisioned loa-receiver killed and started again, seen
// by an operator's WebSocket (alarm.raised, alarm.cleared), the API (alarms.list,
// alarms.history, alarms.acknowledge) and /metrics; and a webhook (a real HTTP server in the
// test) down while alarms are raised. Prints the time from the kill to the alarm
// (docs/performance.md, "Supervision").
#include <boost/json.hpp>
#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <set>

#include "harness.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/http/server.hpp"
#include "tcp_client.hpp"

using namespace loa::test;
namespace http = loa::http;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "70-001", "name": "Xã A", "quiet_hours": "none", "approval_required": true}]})";

/// The alarm notification `method` about `cluster`'s being offline, waited for (bounded).
std::optional<json::object> await_alarm(loa::clients::ApiConnection& c, const std::string& method,
                                        const std::string& cluster, seconds wait) {
    std::optional<json::object> found;
    wait_until(
        [&] {
            while (auto n = c.next(std::chrono::milliseconds(50))) {
                const auto& p = n->at("params");
                if (n->at("method") == method.c_str() && p.at("kind") == "cluster_offline" &&
                    p.at("subject") == cluster.c_str())
                    found = p.as_object();
            }
            return found.has_value();
        },
        wait);
    return found;
}

std::string metrics(int port) {
    return exchange(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

} // namespace

TEST(Supervision, AKilledClusterRaisesAnOfflineAlarmWithinTheGraceAndClearsWhenItIsBack) {
    Scenario s("supervision-offline");
    s.write_province_config(kProvince); // control.offline_grace_s: 2
    s.start_server();
    auto admin = connect_api(s.api_url() + "/api/v1/ws");
    admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
    admin->call("subscribe", {{"topics", json::array{"alarms"}}});
    auto made = admin->call("receivers.provision", {{"id", "box-1"}, {"unit", "70-001"}});
    std::string bundle = s.dir().file("box-1.bundle.json");
    std::ofstream(bundle) << json::serialize(made.as_object().at("bundle"));
    auto online = [&] {
        auto list = admin->call("receivers.list").as_array();
        return list.size() == 1 && list[0].at("online").as_bool();
    };
    // Provisioned, it is not offline while it says its first hello.
    auto& receiver = s.start_provisioned_receiver("box-1", bundle);
    ASSERT_TRUE(wait_until(online, seconds(20)));

    // A power cut: the process dies without a word.
    auto killed = std::chrono::steady_clock::now();
    auto killed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    receiver.signal(SIGKILL);
    ASSERT_TRUE(wait_until([&] { return !receiver.running(); }, seconds(10)));
    auto raised = await_alarm(*admin, "alarm.raised", "box-1", seconds(30));
    ASSERT_TRUE(raised) << "no alarm within 30 s";
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
    std::printf("supervision: cluster offline, kill to alarm.raised: %.1f s (grace 2 s)\n", took);
    EXPECT_LE(took, 2 + 10) << "control.offline_grace_s + 10 s";
    EXPECT_EQ(raised->at("severity"), "major");
    EXPECT_EQ(raised->at("unit"), "70-001");
    EXPECT_TRUE(raised->at("active").as_bool());

    auto active = admin->call("alarms.list", {{"kind", "cluster_offline"}}).as_array();
    ASSERT_EQ(active.size(), 1U);
    EXPECT_EQ(active[0].at("id"), raised->at("id"));
    EXPECT_NE(metrics(s.http_port())
                  .find("loa_alarms_active{kind=\"cluster_offline\",severity=\"major\",unit="
                        "\"70-001\"} 1"),
              std::string::npos);
    auto acknowledged = admin->call("alarms.acknowledge", {{"id", raised->at("id")}});
    EXPECT_EQ(acknowledged.at("acknowledged_by"), "admin");

    // Back: the alarm clears by itself.
    s.start_provisioned_receiver("box-1", bundle);
    auto cleared = await_alarm(*admin, "alarm.cleared", "box-1", seconds(30));
    ASSERT_TRUE(cleared);
    EXPECT_EQ(cleared->at("id"), raised->at("id"));
    EXPECT_FALSE(cleared->at("active").as_bool());
    EXPECT_TRUE(admin->call("alarms.list", {{"kind", "cluster_offline"}}).as_array().empty());
    auto history =
        admin->call("alarms.history", {{"kind", "cluster_offline"}, {"from_ms", killed_ms}})
            .as_array();
    ASSERT_EQ(history.size(), 1U) << "one episode, one alarm";
    EXPECT_EQ(history[0].at("acknowledged_by"), "admin");
    EXPECT_TRUE(history[0].at("cleared_at_ms").is_int64());
    EXPECT_EQ(metrics(s.http_port()).find("kind=\"cluster_offline\""), std::string::npos);
}

TEST(Supervision, AWebhookThatIsDownGetsEveryAlarmInOrderOnceItIsUp) {
    Scenario s("supervision-webhook");
    // A port nothing listens on yet: the province's gateway, down.
    auto port = static_cast<std::uint16_t>(free_tcp_port());
    s.write_province_config(kProvince,
                            R"("supervision": {"webhooks": [{"url": "http://127.0.0.1:)" +
                                std::to_string(port) + R"(/loa", "min_severity": "major"}]})");
    s.start_server();
    // Two clusters that never connect: two cluster_offline alarms once the grace (2 s) is over.
    for (const char* id : {"box-1", "box-2"})
        s.call("receivers.provision", R"({"id": ")" + std::string(id) + R"(", "unit": "70-001"})");
    auto attempts = [&] {
        loa::common::Database db(s.dir().file("state") + "/loa.db");
        auto q = db.prepare("SELECT COALESCE(MAX(attempts), 0) FROM webhook_delivery");
        return q.step() ? q.integer(0) : 0;
    };
    ASSERT_TRUE(wait_until([&] { return attempts() >= 2; }, seconds(30)))
        << "the server never tried the webhook";

    std::mutex mutex;
    std::vector<json::object> got;
    http::HttpServer gateway("127.0.0.1", port, [&](const http::HttpRequest& r) {
        std::lock_guard lock(mutex);
        got.push_back(json::parse(r.body).as_object());
        return http::json_response(200, "{}");
    });
    gateway.start();
    // Every alarm the server raised meanwhile comes, in order; the machine's own (a clock
    // without NTP here, say) may come with the clusters'.
    auto offline = [&] {
        std::vector<json::object> out;
        for (const auto& g : got)
            if (g.at("alarm").at("kind") == "cluster_offline")
                out.push_back(g);
        return out;
    };
    ASSERT_TRUE(wait_until(
        [&] {
            std::lock_guard lock(mutex);
            return offline().size() >= 2;
        },
        seconds(30)));
    gateway.stop();
    std::lock_guard lock(mutex);
    for (std::size_t i = 1; i < got.size(); ++i)
        EXPECT_GT(got[i].at("delivery").as_int64(), got[i - 1].at("delivery").as_int64());
    auto clusters = offline();
    ASSERT_EQ(clusters.size(), 2U);
    std::set<std::string> subjects;
    for (const auto& g : clusters) {
        EXPECT_EQ(g.at("event"), "alarm.raised");
        EXPECT_EQ(g.at("server"), "Tỉnh");
        subjects.insert(std::string(g.at("alarm").at("subject").as_string()));
    }
    EXPECT_EQ(subjects, (std::set<std::string>{"box-1", "box-2"}));
    EXPECT_NE(metrics(s.http_port()).find("loa_webhook_deliveries_pending 0"), std::string::npos);
}
