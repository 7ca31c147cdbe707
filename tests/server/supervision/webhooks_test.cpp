// Webhooks against a real HTTP server in the test: down for a while, and the outbox closed and
// opened again in between (a restart), it still gets every alarm event once it is up, in order,
// with its token; events under its severity never go out.
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>

#include "loa/common/sqlite.hpp"
#include "loa/http/server.hpp"
#include "loa/server/supervision/webhooks.hpp"
#include "process.hpp"

using namespace loa;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

server::Alarm alarm(std::int64_t id, server::Severity severity) {
    server::Alarm a;
    a.id = id;
    a.fault.subject = "box-" + std::to_string(id);
    a.fault.severity = severity;
    a.fault.text_vi = "Cụm thu mất kết nối";
    a.fault.text_en = "Cluster offline";
    return a;
}

/// The test's webhook receiver: what it was sent, and what it answers.
struct Receiver {
    std::mutex mutex;
    std::vector<http::HttpRequest> got;
    int fail_next = 0; ///< answer 503 to this many requests first

    http::HttpResponse handle(const http::HttpRequest& r) {
        std::lock_guard lock(mutex);
        if (fail_next > 0) {
            --fail_next;
            return http::text_response(503, "busy");
        }
        got.push_back(r);
        return http::json_response(200, "{}");
    }
    std::size_t count() {
        std::lock_guard lock(mutex);
        return got.size();
    }
};

std::int64_t attempts(const std::string& database) {
    common::Database db(database);
    auto s = db.prepare("SELECT COALESCE(MAX(attempts), 0) FROM webhook_delivery");
    return s.step() ? s.integer(0) : 0;
}

} // namespace

TEST(Webhooks, ADownReceiverGetsEveryAlarmInOrderOnceItIsUpEvenAcrossARestart) {
    test::TempDir dir("webhooks");
    std::string database = dir.file("loa.db");
    std::ofstream(dir.file("token")) << "a-webhook-token-123\n";
    auto port = static_cast<std::uint16_t>(test::free_tcp_port());
    server::WebhookSettings hook;
    hook.url = "http://127.0.0.1:" + std::to_string(port) + "/loa/alarms?source=loa";
    hook.min_severity = "major";
    hook.token_file = dir.file("token");
    server::Backoff quick{100ms, 400ms};
    using server::AlarmEvent;
    using server::Severity;
    {
        server::Webhooks hooks(database, {hook}, "Tỉnh 70", quick);
        hooks.start();
        hooks.enqueue(alarm(1, Severity::major), AlarmEvent::raised, "70-001");
        hooks.enqueue(alarm(2, Severity::critical), AlarmEvent::raised, "70-002");
        hooks.enqueue(alarm(3, Severity::warning), AlarmEvent::raised, "70-001"); // not sent
        EXPECT_EQ(hooks.pending(), 2);
        // Down: it tries the oldest again and again, and keeps both.
        ASSERT_TRUE(test::wait_until([&] { return attempts(database) >= 2; }, 10s));
        EXPECT_EQ(hooks.pending(), 2);
    } // the server stops with deliveries kept
    server::Webhooks hooks(database, {hook}, "Tỉnh 70", quick);
    EXPECT_EQ(hooks.pending(), 2) << "kept across the restart";
    hooks.enqueue(alarm(1, Severity::major), AlarmEvent::cleared, "70-001");
    hooks.enqueue(alarm(2, Severity::critical), AlarmEvent::acknowledged, "70-002");
    hooks.start();

    Receiver receiver;
    receiver.fail_next = 1; // up, but busy at first
    http::HttpServer up("127.0.0.1", port,
                        [&](const http::HttpRequest& r) { return receiver.handle(r); });
    up.start();
    ASSERT_TRUE(test::wait_until([&] { return receiver.count() == 4; }, 20s))
        << receiver.count() << " of 4";
    EXPECT_TRUE(test::wait_until([&] { return hooks.pending() == 0; }, 5s));
    hooks.stop();
    up.stop();

    std::vector<std::string> events;
    std::int64_t last_delivery = 0;
    for (const auto& r : receiver.got) {
        EXPECT_EQ(r.method, "POST");
        EXPECT_EQ(r.target, "/loa/alarms?source=loa");
        EXPECT_EQ(r.header("authorization"), "Bearer a-webhook-token-123");
        EXPECT_EQ(r.header("content-type"), "application/json");
        auto body = json::parse(r.body).as_object();
        EXPECT_EQ(body.at("source"), "loa");
        EXPECT_EQ(body.at("server"), "Tỉnh 70");
        EXPECT_GT(body.at("delivery").as_int64(), last_delivery) << "in order";
        last_delivery = body.at("delivery").as_int64();
        events.push_back(std::string(body.at("event").as_string()) + " " +
                         std::string(body.at("alarm").at("subject").as_string()));
    }
    EXPECT_EQ(events,
              (std::vector<std::string>{"alarm.raised box-1", "alarm.raised box-2",
                                        "alarm.cleared box-1", "alarm.acknowledged box-2"}));
    EXPECT_EQ(json::parse(receiver.got[1].body).at("alarm").at("unit"), "70-002");
}

TEST(Webhooks, DeliveriesOfAWebhookNoLongerConfiguredAreDropped) {
    test::TempDir dir("webhooks-dropped");
    std::string database = dir.file("loa.db");
    server::WebhookSettings old_hook;
    old_hook.url =
        "http://127.0.0.1:" + std::to_string(static_cast<std::uint16_t>(test::free_tcp_port())) +
        "/old";
    {
        server::Webhooks hooks(database, {old_hook}, "Loa");
        hooks.enqueue(alarm(1, server::Severity::critical), server::AlarmEvent::raised, "");
        EXPECT_EQ(hooks.pending(), 1);
    }
    server::Webhooks hooks(database, {}, "Loa");
    EXPECT_EQ(hooks.pending(), 0);
}

TEST(Webhooks, OverHttpsTheReceiversCertificateMustBeTrustedAndItsNameMatch) {
    test::TempDir dir("webhooks-tls");
    std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
    std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                          "-days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost "
                          "-keyout " +
                          key + " -out " + cert + " 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0);
    Receiver receiver;
    http::HttpOptions options;
    options.port = 0;
    options.tls = http::TlsFiles{cert, key};
    http::HttpServer up(options, [&](const http::HttpRequest& r) { return receiver.handle(r); });
    up.start();
    auto url = "https://localhost:" + std::to_string(up.port()) + "/hook";

    // Not trusted (the system's CAs), then trusted but reached by another name: kept, not sent.
    server::WebhookSettings untrusted{url + "-untrusted", "warning", "", ""};
    server::WebhookSettings wrong_name{"https://127.0.0.1:" + std::to_string(up.port()) + "/hook",
                                       "warning", "", cert};
    server::WebhookSettings trusted{url, "warning", "", cert};
    server::Webhooks hooks(dir.file("loa.db"), {untrusted, wrong_name, trusted}, "Loa",
                           {100ms, 200ms});
    hooks.start();
    hooks.enqueue(alarm(1, server::Severity::warning), server::AlarmEvent::raised, "");
    ASSERT_TRUE(test::wait_until([&] { return receiver.count() == 1; }, 10s));
    ASSERT_TRUE(test::wait_until([&] { return attempts(dir.file("loa.db")) >= 2; }, 10s));
    EXPECT_EQ(hooks.pending(), 2);
    EXPECT_EQ(receiver.count(), 1U);
    EXPECT_TRUE(receiver.got[0].tls);
    hooks.stop();
    up.stop();
}
