// The HTTP port over real TCP connections on 127.0.0.1: limits, keep-alive, uploads, streams.
#include <arpa/inet.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "loa/http/server.hpp"
#include "process.hpp"
#include "raw_websocket.hpp"
#include "tcp_client.hpp"

using namespace loa;

namespace {

/// A stand-in for an application's routes: GET /healthz answers, anything else is not found.
http::HttpServer::Handler health_routes() {
    return [](const http::HttpRequest& r) {
        if (r.method == "GET" && r.path() == "/healthz")
            return http::json_response(200, R"({"status":"ok"})");
        return http::text_response(404, "not found\n");
    };
}

} // namespace

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
    http::HttpServer server("127.0.0.1", 0, health_routes());
    server.start();
    loa::test::TcpClient c(server.port());
    ASSERT_TRUE(c.connected());
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
           "Connection: close\r\n\r\n");
    auto both = c.receive(3000);
    EXPECT_EQ(std::count(both.begin(), both.end(), '{'), 2) << both;
    server.stop();
}

TEST(HttpServer, OversizedAndMalformedRequestsGetTheRightStatus) {
    http::HttpServer server("127.0.0.1", 0, health_routes());
    server.start();
    std::string big(http::HttpServer::kMaxBody + 1, 'x');
    auto too_big =
        loa::test::exchange(server.port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                               std::to_string(big.size()) + "\r\n\r\n" + big);
    EXPECT_EQ(too_big.rfind("HTTP/1.1 413", 0), 0U) << too_big.substr(0, 80);
    auto garbage = loa::test::exchange(server.port(), "this is not http\r\n\r\n");
    EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0U) << garbage;
    server.stop();
}

TEST(HttpServer, UploadsHaveTheirOwnLimitAndNoneIsLeftOnDiskWhenRefused) {
    loa::test::TempDir dir("http-upload");
    http::HttpOptions options;
    options.port = 0;
    options.upload_paths = {"/upload"};
    options.upload_dir = dir.file("uploads");
    options.max_upload = 2 * http::HttpServer::kMaxBody;
    std::atomic<std::uintmax_t> stored{0};
    http::HttpServer server(options, [&](const http::HttpRequest& r) {
        std::error_code ec;
        stored = std::filesystem::file_size(r.body_file, ec);
        return http::text_response(200, "stored\n");
    });
    server.start();
    auto post = [&](const std::string& path, const std::string& headers, const std::string& body) {
        return loa::test::exchange(
            server.port(), "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                               headers + "\r\n" + body);
    };
    auto length = [](std::size_t n) { return "Content-Length: " + std::to_string(n) + "\r\n"; };
    // Over the 1 MiB of other bodies, within the upload limit: streamed to disk whole.
    std::string within(http::HttpServer::kMaxBody + http::HttpServer::kMaxBody / 2, 'a');
    auto taken = post("/upload", length(within.size()), within);
    EXPECT_EQ(taken.rfind("HTTP/1.1 200", 0), 0U) << taken.substr(0, 120);
    EXPECT_EQ(stored, within.size());
    // Declared over the limit: refused before the body.
    auto declared = post("/upload", length(options.max_upload + 1), "");
    EXPECT_EQ(declared.rfind("HTTP/1.1 413", 0), 0U) << declared.substr(0, 120);
    EXPECT_NE(declared.find("upload over 2097152 bytes"), std::string::npos) << declared;
    // Chunked, no length declared: cut at the limit.
    std::string chunk = "10000\r\n" + std::string(0x10000, 'c') + "\r\n", chunks;
    for (std::uint64_t n = 0; n <= options.max_upload; n += 0x10000)
        chunks += chunk;
    auto cut = post("/upload", "Transfer-Encoding: chunked\r\n", chunks + "0\r\n\r\n");
    EXPECT_EQ(cut.rfind("HTTP/1.1 413", 0), 0U) << cut.substr(0, 120);
    EXPECT_NE(cut.find("request body over 2097152 bytes"), std::string::npos) << cut;
    // Any other path keeps the 1 MiB limit.
    auto other = post("/elsewhere", length(within.size()), "");
    EXPECT_EQ(other.rfind("HTTP/1.1 413", 0), 0U) << other.substr(0, 120);
    EXPECT_NE(other.find("request body over 1048576 bytes"), std::string::npos) << other;
    server.stop();
    EXPECT_TRUE(std::filesystem::is_empty(options.upload_dir)) << "a refused upload is removed";
}

TEST(HttpServer, UploadsACrashCutShortAreRemovedAtTheNextStart) {
    loa::test::TempDir dir("http-upload-leftover");
    http::HttpOptions options;
    options.port = 0;
    options.upload_paths = {"/upload"};
    options.upload_dir = dir.file("uploads");
    std::filesystem::create_directories(options.upload_dir);
    for (const char* name : {"upload-a1b2c3", "upload-d4e5f6"})
        std::ofstream(options.upload_dir + "/" + name) << std::string(4096, 'x');
    http::HttpServer server(
        options, [](const http::HttpRequest&) { return http::text_response(200, "ok\n"); });
    server.start();
    EXPECT_TRUE(std::filesystem::is_empty(options.upload_dir));
    server.stop();
}

TEST(HttpServer, AStalledClientHoldsOnlyItsOwnConnectionAndNotTheStop) {
    http::HttpServer server("127.0.0.1", 0, health_routes());
    server.start();
    loa::test::TcpClient stalled(server.port());
    ASSERT_TRUE(stalled.connected());
    stalled.send("GET /heal"); // and nothing more
    auto other = loa::test::exchange(
        server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(other.rfind("HTTP/1.1 200", 0), 0U);
    auto before = std::chrono::steady_clock::now();
    server.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
}

/// Every message received makes the server send one large message to every other connection.
class Broadcast : public http::WebSocketHandler {
public:
    static constexpr std::size_t kSize = std::size_t{900} * 1024;
    struct Links {
        std::mutex mutex;
        std::vector<std::shared_ptr<http::WebSocketLink>> all;
    };
    Broadcast(std::shared_ptr<Links> links, std::shared_ptr<http::WebSocketLink> own)
        : links_(std::move(links)), own_(std::move(own)) {}
    void on_message(const std::string&) override {
        std::lock_guard lock(links_->mutex);
        for (const auto& link : links_->all)
            if (link != own_)
                link->send(std::string(kSize, 'n'));
    }

private:
    std::shared_ptr<Links> links_;
    std::shared_ptr<http::WebSocketLink> own_;
};

TEST(HttpServer, AWebSocketClientThatStopsReadingIsDroppedWhileOthersGetEveryMessage) {
    auto links = std::make_shared<Broadcast::Links>();
    http::HttpOptions options;
    options.port = 0;
    http::HttpServer server(
        options, [](const http::HttpRequest&) { return http::text_response(404, "no\n"); },
        [links](const http::HttpRequest&, std::shared_ptr<http::WebSocketLink> link)
            -> std::variant<http::HttpResponse, std::shared_ptr<http::WebSocketHandler>> {
            std::lock_guard lock(links->mutex);
            links->all.push_back(link);
            return std::make_shared<Broadcast>(links, link);
        });
    server.start();
    // A small receive buffer, so that the server's writes stall soon once it stops reading.
    loa::test::RawWebSocket stalled("127.0.0.1", server.port(), "/ws", 4096);
    loa::test::RawWebSocket reader("127.0.0.1", server.port(), "/ws");
    loa::test::RawWebSocket sender("127.0.0.1", server.port(), "/ws");

    // 24 x 900 KiB is well over the 8 MiB a client may leave unread.
    constexpr int kMessages = 24;
    std::atomic<int> heard{0};
    std::thread reading([&] {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(25);
        while (heard < kMessages && std::chrono::steady_clock::now() < deadline)
            if (auto m = reader.receive(std::chrono::milliseconds(200));
                m && m->size() == Broadcast::kSize)
                ++heard;
    });
    for (int i = 0; i < kMessages; ++i) {
        // Paced to the reader, so that only the client that stopped reading falls behind.
        ASSERT_TRUE(
            loa::test::wait_until([&] { return heard >= i - 3; }, std::chrono::seconds(10)));
        ASSERT_TRUE(sender.send("again"));
    }
    reading.join();
    EXPECT_EQ(heard, kMessages) << "the reading client missed messages";
    EXPECT_TRUE(stalled.wait_ended(std::chrono::seconds(15)))
        << "the client that stopped reading is kept";
    EXPECT_LT(stalled.received_bytes(), kMessages * Broadcast::kSize);
    server.stop();
}

TEST(HttpServer, ABusyPortIsAClearStartUpError) {
    http::HttpServer first("127.0.0.1", 0, health_routes());
    first.start();
    http::HttpServer second("127.0.0.1", first.port(), health_routes());
    try {
        second.start();
        FAIL() << "two servers on one port";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot serve HTTP on 127.0.0.1:"), std::string::npos)
            << e.what();
    }
    first.stop();
}

namespace {

/// Streaming routes: /stream hands its sink to the test.
struct Streams {
    std::mutex mutex;
    std::vector<std::shared_ptr<http::HttpStreamSink>> sinks;

    http::HttpServer::Handler routes() {
        return [this](const http::HttpRequest& r) {
            if (r.path() != "/stream")
                return http::text_response(404, "no\n");
            http::HttpResponse out{200, "audio/ogg", "ignored", {}};
            out.stream = [this](std::shared_ptr<http::HttpStreamSink> sink) {
                std::lock_guard lock(mutex);
                sinks.push_back(std::move(sink));
            };
            return out;
        };
    }
    std::shared_ptr<http::HttpStreamSink> wait_for(std::size_t n) {
        loa::test::wait_until(
            [&] {
                std::lock_guard lock(mutex);
                return sinks.size() >= n;
            },
            std::chrono::seconds(5));
        std::lock_guard lock(mutex);
        return sinks.size() >= n ? sinks[n - 1] : nullptr;
    }
};

constexpr const char* kStreamRequest = "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n";

} // namespace

TEST(HttpServer, AStreamingResponseIsChunkedEndsWhenToldAndNoticesAClientThatHasGone) {
    Streams streams;
    http::HttpServer server("127.0.0.1", 0, streams.routes());
    server.start();
    {
        loa::test::TcpClient client(server.port());
        client.send(kStreamRequest);
        auto sink = streams.wait_for(1);
        ASSERT_TRUE(sink);
        EXPECT_TRUE(sink->write("hello"));
        EXPECT_TRUE(sink->write(std::string(300, 'x')));
        sink->end();
        EXPECT_FALSE(sink->write("late")) << "ended";
        auto got = client.receive(3000);
        EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0U) << got;
        EXPECT_NE(got.find("Transfer-Encoding: chunked"), std::string::npos) << got;
        EXPECT_NE(got.find("Content-Type: audio/ogg"), std::string::npos) << got;
        EXPECT_NE(
            got.find("\r\n\r\n5\r\nhello\r\n12c\r\n" + std::string(300, 'x') + "\r\n0\r\n\r\n"),
            std::string::npos)
            << got;
        EXPECT_EQ(got.find("ignored"), std::string::npos);
    }
    auto client = std::make_unique<loa::test::TcpClient>(server.port());
    client->send(kStreamRequest);
    auto sink = streams.wait_for(2);
    ASSERT_TRUE(sink);
    EXPECT_TRUE(sink->write("one"));
    EXPECT_NE(client->receive(500).find("3\r\none\r\n"), std::string::npos);
    // Nothing to write, and the client goes: the sink learns without a write.
    EXPECT_TRUE(sink->open());
    client.reset();
    EXPECT_TRUE(loa::test::wait_until([&] { return !sink->open(); }, std::chrono::seconds(5)));
    EXPECT_FALSE(sink->write("nobody"));
}

TEST(HttpServer, AStalledStreamingClientIsDroppedAndStopEndsEveryStream) {
    Streams streams;
    http::HttpServer server("127.0.0.1", 0, streams.routes());
    server.start();
    loa::test::TcpClient stalled(server.port());
    stalled.send(kStreamRequest);
    auto stalled_sink = streams.wait_for(1);
    ASSERT_TRUE(stalled_sink);
    // It never reads: once the socket buffers are full, the backlog bound drops it.
    std::size_t written = 0;
    const std::string chunk(64 * 1024, 's');
    while (written < std::size_t{64} * 1024 * 1024 && stalled_sink->write(chunk)) {
        written += chunk.size();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_LT(written, std::size_t{64} * 1024 * 1024) << "never dropped";
    EXPECT_FALSE(stalled_sink->open());

    loa::test::TcpClient listening(server.port());
    listening.send(kStreamRequest);
    auto sink = streams.wait_for(2);
    ASSERT_TRUE(sink);
    EXPECT_TRUE(sink->write("x"));
    auto before = std::chrono::steady_clock::now();
    server.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
    EXPECT_FALSE(sink->open());
    EXPECT_FALSE(sink->write("after stop"));
}
