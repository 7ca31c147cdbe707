// The monitoring routes (/healthz, /metrics) served over a real HTTP port, and the figures'
// Prometheus text.
#include <gtest/gtest.h>

#include "loa/server/monitoring/metrics.hpp"
#include "tcp_client.hpp"

using namespace loa::server;
namespace http = loa::http;

namespace {

Metrics sample() {
    Metrics m;
    m.receivers = {{"70-001", 3}, {"70-002", 2}};
    m.receivers_online = {{"70-001", 2}};
    m.on_air = {{"70-001", true}, {"70-002", false}};
    m.media.fanout.packets_sent = 1234;
    m.media.fanout.superseded = 7;
    m.api_requests = 5;
    m.api_errors = 1;
    return m;
}

} // namespace

TEST(MonitoringRoutes, ServeHealthAndMetricsAndRefuseTheRest) {
    http::HttpServer server("127.0.0.1", 0, monitoring_routes(sample));
    server.start();
    auto health = loa::test::exchange(
        server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(health.rfind("HTTP/1.1 200", 0), 0U) << health;
    EXPECT_NE(health.find(R"({"status":"ok"})"), std::string::npos);
    auto metrics = loa::test::exchange(
        server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(metrics.find("text/plain; version=0.0.4"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("loa_receivers_online{unit=\"70-001\"} 2\n"), std::string::npos);
    EXPECT_NE(metrics.find("loa_receivers_online{unit=\"70-002\"} 0\n"), std::string::npos);
    EXPECT_NE(metrics.find("loa_channel_on_air{channel=\"70-001\"} 1\n"), std::string::npos);
    EXPECT_NE(metrics.find("loa_packets_sent_total 1234\n"), std::string::npos);
    EXPECT_NE(metrics.find("loa_api_errors_total 1\n"), std::string::npos);
    auto missing = loa::test::exchange(
        server.port(), "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(missing.rfind("HTTP/1.1 404", 0), 0U) << missing;
    auto post = loa::test::exchange(
        server.port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: "
                       "close\r\n\r\nhi");
    EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0U) << post;
    server.stop();
}

TEST(Metrics, LabelValuesAreEscaped) {
    Metrics m;
    m.receivers = {{"a\"b\\c", 1}};
    auto text = prometheus_text(m);
    EXPECT_NE(text.find(R"(loa_receivers{unit="a\"b\\c"} 1)"), std::string::npos) << text;
}
