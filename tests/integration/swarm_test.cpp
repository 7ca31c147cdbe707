// A thousand simulated receivers (loa-swarm, a real process) hold their control channels with
// a real server process: the online count is right, and a server restart brings every one of
// them back within 30 s without anyone touching them.
#include <boost/json.hpp>
#include <csignal>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "loa/clients/api_client.hpp"
#include "swarm_stats.hpp"

using namespace loa::test;
using loa::clients::ApiConnection;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr int kReceivers = 1000;

constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "70-001", "name": "Xã A", "quiet_hours": "none", "approval_required": false}]})";

/// An admin's API connection, waiting (bounded) for the server to come up.
std::unique_ptr<ApiConnection> admin_of(const Scenario& s) {
    auto admin = connect_api(s.api_url());
    admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
    return admin;
}

/// Receivers the server counts online, over the API.
int online(ApiConnection& admin) {
    int n = 0;
    auto list = admin.call("receivers.list");
    for (const auto& r : list.as_array())
        n += r.as_object().at("online").as_bool() ? 1 : 0;
    return n;
}

} // namespace

TEST(Swarm, AThousandReceiversStayOnlineAndAllComeBackWithin30sOfAServerRestart) {
    Scenario s("swarm");
    s.write_province_config(kProvince);
    s.start_server();
    (void)admin_of(s); // up

    std::string bundles = s.dir().file("bundles.json");
    Process provision({LOA_SWARM_BIN, "provision", "--server", s.api_url(), "--unit", "70-001",
                       "--count", std::to_string(kReceivers), "--out", bundles, "--password-file",
                       s.dir().file("admin-password")},
                      s.dir().file("provision.log"));
    ASSERT_EQ(provision.wait(seconds(120)), 0) << read_file(s.dir().file("provision.log"));

    std::string stats = s.dir().file("swarm.json");
    Process swarm({LOA_SWARM_BIN, "run", "--bundles", bundles, "--stats", stats,
                   "--starts-per-second", "1000"},
                  s.dir().file("swarm.log"));
    ASSERT_TRUE(
        wait_until([&] { return swarm_counter(stats, "connected") == kReceivers; }, seconds(60)))
        << read_file(stats) << read_file(s.dir().file("swarm.log"));

    // The server agrees, over the API and in /metrics, and hears their reports.
    auto admin = admin_of(s);
    EXPECT_TRUE(wait_until([&] { return online(*admin) == kReceivers; }, seconds(10)));
    auto endpoint = loa::clients::parse_api_url(s.api_url());
    auto metrics = loa::clients::http_request(*endpoint, {}, "GET", "/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_NE(
        metrics->body.find("loa_receivers_online{unit=\"70-001\"} " + std::to_string(kReceivers)),
        std::string::npos)
        << metrics->body;
    auto first = admin->call("receivers.list", {{"unit", "70-001"}}).as_array().at(0).as_object();
    ASSERT_TRUE(wait_until(
        [&] {
            first =
                admin->call("receivers.list", {{"unit", "70-001"}}).as_array().at(0).as_object();
            const auto* status = first.if_contains("status");
            return status && status->is_object() &&
                   status->as_object().at("version") == "loa-swarm 0.1";
        },
        seconds(10)))
        << json::serialize(first);
    // A volume change reaches the receiver and is answered.
    admin->call("receivers.set_volume", {{"id", first.at("id")}, {"volume", 0.5}});
    EXPECT_TRUE(wait_until([&] { return swarm_counter(stats, "requests") >= 1; }, seconds(10)));
    EXPECT_EQ(swarm_counter(stats, "refused"), 0);
    admin.reset();

    // The server dies; the swarm notices, then everyone is back within 30 s of the restart.
    s.kill_server(SIGKILL);
    ASSERT_TRUE(wait_until([&] { return swarm_counter(stats, "connected") == 0; }, seconds(20)));
    auto lost_before = swarm_counter(stats, "lost");
    s.start_server();
    auto restarted = std::chrono::steady_clock::now();
    ASSERT_TRUE(
        wait_until([&] { return swarm_counter(stats, "connected") == kReceivers; }, seconds(30)))
        << read_file(stats);
    auto back_after = std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted);
    admin = admin_of(s);
    EXPECT_TRUE(wait_until([&] { return online(*admin) == kReceivers; }, seconds(10)));
    EXPECT_LT(back_after.count(), 30.0);
    EXPECT_GE(swarm_counter(stats, "lost"), lost_before);
    EXPECT_EQ(swarm_counter(stats, "refused"), 0);
    std::cout << "all " << kReceivers << " back " << back_after.count() << " s after the restart\n";

    swarm.signal(SIGTERM);
    EXPECT_EQ(swarm.wait(seconds(10)), 0);
}
