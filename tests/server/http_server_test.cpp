// The HTTP port over real TCP connections on 127.0.0.1, and the figures of /metrics.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loa/server/http_server.hpp"
#include "loa/server/metrics.hpp"

using namespace loa::server;

namespace {

/// A plain TCP client on 127.0.0.1; every wait is bounded.
class Client {
public:
    explicit Client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~Client() { ::close(fd_); }
    bool connected() const { return connected_; }
    bool send(const std::string& data) {
        return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(data.size());
    }
    /// Reads until the peer closes or `timeout_ms` of silence.
    std::string receive(int timeout_ms = 3000) {
        std::string out;
        char chunk[4096];
        for (;;) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, timeout_ms) <= 0)
                return out;
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0)
                return out;
            out.append(chunk, static_cast<std::size_t>(n));
        }
    }

private:
    int fd_ = -1;
    bool connected_ = false;
};

Metrics sample() {
    Metrics m;
    m.receivers_configured = {{"70-001", 3}, {"70-002", 2}};
    m.receivers_online = {{"70-001", 2}};
    m.on_air = {{"70-001", true}, {"70-002", false}};
    m.media.fanout.packets_sent = 1234;
    m.media.fanout.superseded = 7;
    m.api_requests = 5;
    m.api_errors = 1;
    return m;
}

std::string get(std::uint16_t port, const std::string& request) {
    Client c(port);
    EXPECT_TRUE(c.connected());
    c.send(request);
    return c.receive();
}

} // namespace

TEST(HttpServer, ServesHealthAndMetricsAndRefusesTheRest) {
    HttpServer server("127.0.0.1", 0, monitoring_routes(sample));
    server.start();
    auto health =
        get(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(health.rfind("HTTP/1.1 200", 0), 0U) << health;
    EXPECT_NE(health.find(R"({"status":"ok"})"), std::string::npos);
    auto metrics =
        get(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(metrics.find("text/plain; version=0.0.4"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("loa_receivers_online{unit=\"70-001\"} 2\n"), std::string::npos);
    EXPECT_NE(metrics.find("loa_receivers_online{unit=\"70-002\"} 0\n"), std::string::npos);
    EXPECT_NE(metrics.find("loa_channel_on_air{channel=\"70-001\"} 1\n"), std::string::npos);
    EXPECT_NE(metrics.find("loa_packets_sent_total 1234\n"), std::string::npos);
    EXPECT_NE(metrics.find("loa_api_errors_total 1\n"), std::string::npos);
    auto missing =
        get(server.port(), "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(missing.rfind("HTTP/1.1 404", 0), 0U) << missing;
    auto post =
        get(server.port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: "
                           "close\r\n\r\nhi");
    EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0U) << post;
    server.stop();
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
    HttpServer server("127.0.0.1", 0, monitoring_routes(sample));
    server.start();
    Client c(server.port());
    ASSERT_TRUE(c.connected());
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
           "Connection: close\r\n\r\n");
    auto both = c.receive();
    EXPECT_EQ(std::count(both.begin(), both.end(), '{'), 2) << both;
    server.stop();
}

TEST(HttpServer, OversizedAndMalformedRequestsGetTheRightStatus) {
    HttpServer server("127.0.0.1", 0, monitoring_routes(sample));
    server.start();
    std::string big(HttpServer::kMaxBody + 1, 'x');
    auto too_big = get(server.port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                          std::to_string(big.size()) + "\r\n\r\n" + big);
    EXPECT_EQ(too_big.rfind("HTTP/1.1 413", 0), 0U) << too_big.substr(0, 80);
    auto garbage = get(server.port(), "this is not http\r\n\r\n");
    EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0U) << garbage;
    server.stop();
}

TEST(HttpServer, AStalledClientHoldsOnlyItsOwnConnectionAndNotTheStop) {
    HttpServer server("127.0.0.1", 0, monitoring_routes(sample));
    server.start();
    Client stalled(server.port());
    ASSERT_TRUE(stalled.connected());
    stalled.send("GET /heal"); // and nothing more
    auto other =
        get(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(other.rfind("HTTP/1.1 200", 0), 0U);
    auto before = std::chrono::steady_clock::now();
    server.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
}

TEST(HttpServer, ABusyPortIsAClearStartUpError) {
    HttpServer first("127.0.0.1", 0, monitoring_routes(sample));
    first.start();
    HttpServer second("127.0.0.1", first.port(), monitoring_routes(sample));
    try {
        second.start();
        FAIL() << "two servers on one port";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot serve HTTP on 127.0.0.1:"), std::string::npos)
            << e.what();
    }
    first.stop();
}

TEST(Metrics, LabelValuesAreEscaped) {
    Metrics m;
    m.receivers_configured = {{"a\"b\\c", 1}};
    auto text = prometheus_text(m);
    EXPECT_NE(text.find(R"(loa_receivers{unit="a\"b\\c"} 1)"), std::string::npos) << text;
}
