// The indicators with a real loa-server: the day frozen at start is pushed to an operations
// centre's endpoint (a real HTTP server in the test) that is down at first, with the emergency
// started and stopped meanwhile; every push arrives once, in order, signed with the shared
// secret (checked with OpenSSL's HMAC, not Loa's), and holds what the indicators API answers.
// /metrics and the indicators agree on the clusters they both count.
#include <boost/json.hpp>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <optional>

#include "harness.hpp"
#include "loa/clients/api_client.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/http/server.hpp"
#include "tcp_client.hpp"
#include "wav.hpp"

using namespace loa::test;
namespace http = loa::http;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "70-001", "name": "Xã A", "quiet_hours": "none"},
      {"code": "70-002", "name": "Xã B", "quiet_hours": "none"}]})";

constexpr const char* kSecret = "shared-with-the-ioc-7f3a";

/// HMAC-SHA-256 as the receiving side computes it.
std::string hmac_hex(const std::string& key, const std::string& body) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out += digits[mac[i] >> 4];
        out += digits[mac[i] & 15];
    }
    return out;
}

struct Push {
    std::string event, delivery, signature, body;
};

/// The body of a GET answered 200, as `key`; nullopt otherwise.
std::optional<std::string> fetch(Scenario& s, const std::string& key, const std::string& path) {
    auto endpoint = loa::clients::parse_api_url(s.api_url());
    loa::clients::ConnectOptions options;
    options.bearer_token = key;
    auto reply = loa::clients::http_request(*endpoint, options, "GET", path, "", "");
    if (!reply || reply->status != 200)
        return std::nullopt;
    return reply->body;
}

std::string get(Scenario& s, const std::string& key, const std::string& path) {
    auto body = fetch(s, key, path);
    EXPECT_TRUE(body) << path;
    return body.value_or("{}");
}

} // namespace

TEST(Indicators, EveryPushArrivesOnceSignedIncludingThoseMadeWhileTheEndpointWasDown) {
    Scenario s("indicators-push");
    auto port = static_cast<std::uint16_t>(free_tcp_port());
    std::ofstream(s.dir().file("ioc.secret")) << kSecret << "\n";
    s.write_province_config(kProvince, R"("indicators": {"push": [{"url": "http://127.0.0.1:)" +
                                           std::to_string(port) + R"(/loa", "secret_file": ")" +
                                           s.dir().file("ioc.secret") +
                                           R"(", "emergencies": true}]})");
    write_tone_wav(s.dir().file("alert.wav"), 880, 2);
    s.start_server();
    s.call("server.info"); // up
    // The reporting day before this one is frozen at start: its push waits for the endpoint.
    auto attempts = [&] {
        loa::common::Database db(s.dir().file("state") + "/loa.db");
        auto q = db.prepare("SELECT COALESCE(MAX(attempts), 0) FROM indicator_delivery");
        return q.step() ? q.integer(0) : 0;
    };
    ASSERT_TRUE(wait_until([&] { return attempts() >= 2; }, seconds(30)))
        << "the server never tried the endpoint";
    // An emergency started and stopped while the endpoint is down.
    auto alert = s.call("programs.create", R"({"unit": "70", "kind": "file", "title": "Lũ", )"
                                           R"("path": ")" +
                                               s.dir().file("alert.wav") + R"("})")
                     .at("id")
                     .as_int64();
    auto started = s.call("emergency.start",
                          R"({"units": ["70-001"], "program": )" + std::to_string(alert) + "}");
    auto id = started.at("override").as_int64();
    auto pending = [&] {
        return s.call("indicators.deliveries").as_array().at(0).at("pending").as_int64();
    };
    ASSERT_TRUE(wait_until([&] { return pending() >= 2; }, seconds(20)))
        << "emergency.started kept";
    s.call("emergency.stop", R"({"id": )" + std::to_string(id) + "}");
    ASSERT_TRUE(wait_until([&] { return pending() >= 3; }, seconds(20))) << "emergency.ended kept";
    auto state = s.call("indicators.deliveries").as_array().at(0).as_object();
    EXPECT_NE(state.at("last_error").as_string(), "") << "why it is not delivered yet";

    std::mutex mutex;
    std::vector<Push> got;
    http::HttpServer ioc("127.0.0.1", port, [&](const http::HttpRequest& r) {
        std::lock_guard lock(mutex);
        got.push_back({r.header("x-loa-event"), r.header("x-loa-delivery"),
                       r.header("x-loa-signature"), r.body});
        return http::json_response(200, "{}");
    });
    ioc.start();
    ASSERT_TRUE(wait_until([&] { return pending() == 0; }, seconds(60))) << "every push made";
    ioc.stop();

    std::lock_guard lock(mutex);
    ASSERT_EQ(got.size(), 3U) << "each push once";
    std::vector<std::string> events;
    std::int64_t last = 0;
    for (const auto& p : got) {
        EXPECT_EQ(p.signature, "sha256=" + hmac_hex(kSecret, p.body)) << p.event;
        EXPECT_NE(p.signature, "sha256=" + hmac_hex("another secret", p.body));
        auto body = json::parse(p.body).as_object();
        EXPECT_EQ(std::to_string(body.at("delivery").as_int64()), p.delivery);
        EXPECT_GT(body.at("delivery").as_int64(), last) << "in order";
        last = body.at("delivery").as_int64();
        EXPECT_EQ(body.at("event").as_string(), p.event);
        EXPECT_EQ(body.at("server").as_string(), "Tỉnh");
        events.push_back(p.event);
    }
    EXPECT_EQ(events, (std::vector<std::string>{"indicators.snapshot", "emergency.started",
                                                "emergency.ended"}));
    // The snapshot is what the indicators API answers for that day, frozen.
    auto snapshot = json::parse(got[0].body).at("data").as_object();
    auto date = std::string(snapshot.at("date").as_string());
    auto key = std::string(s.call("api_keys.create", R"({"name": "ioc"})").at("key").as_string());
    auto api = json::parse(get(s, key, "/api/v1/indicators.json?from=" + date + "&to=" + date))
                   .as_object();
    EXPECT_EQ(snapshot.at("rows"), api.at("rows"));
    EXPECT_EQ(snapshot.at("rows").as_array().size(), 3U) << "the province and its two communes";
    for (const auto& row : snapshot.at("rows").as_array())
        EXPECT_TRUE(row.at("final").as_bool());
    EXPECT_EQ(json::parse(got[1].body).at("data").at("id").as_int64(), id);
    auto done = s.call("indicators.deliveries").as_array().at(0).as_object();
    EXPECT_EQ(done.at("delivered").as_int64(), 3);
    EXPECT_EQ(done.at("last_error").as_string(), "");
}

TEST(Indicators, MetricsAndIndicatorsAgreeOnTheClustersTheyBothCount) {
    Scenario s("indicators-metrics");
    s.write_province_config(kProvince);
    s.start_server();
    for (const char* id : {"box-1", "box-2", "box-3"})
        s.call("receivers.provision", R"({"id": ")" + std::string(id) + R"(", "unit": ")" +
                                          (std::string(id) == "box-3" ? "70-002" : "70-001") +
                                          R"("})");
    auto key = std::string(s.call("api_keys.create", R"({"name": "ioc"})").at("key").as_string());
    // The day under way, computed now: its clusters are those provisioned at its last sample.
    // The server samples at start, before these were provisioned; a restart samples again.
    s.kill_server(SIGTERM);
    s.start_server();
    std::map<std::string, std::int64_t> total;
    EXPECT_TRUE(wait_until(
        [&] {
            auto body = fetch(s, key, "/api/v1/indicators.json");
            if (!body)
                return false; // not up yet
            auto rows = json::parse(*body).at("rows").as_array();
            for (const auto& row : rows)
                total[std::string(row.at("unit").as_string())] =
                    row.at("clusters").at("total").as_int64();
            return total["70"] == 3;
        },
        seconds(20)))
        << "the sample taken at start";
    auto metrics = exchange(
        s.http_port(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(total["70-001"], 2);
    EXPECT_EQ(total["70-002"], 1);
    EXPECT_EQ(total["70"], 3);
    for (const auto& [unit, n] : total) {
        if (unit == "70")
            continue;
        auto line = "loa_receivers{unit=\"" + unit + "\"} " + std::to_string(n);
        EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
    }
}
