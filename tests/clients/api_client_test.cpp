#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fstream>
#include <gtest/gtest.h>
#include <thread>

#include "loa/clients/api_client.hpp"

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using loa::clients::ApiConnection;
using loa::clients::ApiEndpoint;
using loa::clients::ConnectOptions;
using loa::clients::parse_api_url;
using tcp = net::ip::tcp;

std::string url_error(std::string_view url) {
    auto r = parse_api_url(url);
    return r ? "no error" : r.error().message;
}

/// A one-connection server on 127.0.0.1 running `serve(socket)` on its own thread. If the test
/// never connects, the destructor does, so that the thread always ends.
class OneShotServer {
public:
    explicit OneShotServer(std::function<void(tcp::socket&)> serve)
        : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
        thread_ = std::thread([this, serve = std::move(serve)] {
            try {
                tcp::socket socket(ioc_);
                acceptor_.accept(socket);
                accepted_ = true;
                serve(socket);
            } catch (const std::exception& e) {
                error_ = e.what();
            }
        });
    }
    ~OneShotServer() { finish(); }
    OneShotServer(const OneShotServer&) = delete;
    OneShotServer& operator=(const OneShotServer&) = delete;

    std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }

    /// Waits for the server's thread and returns what went wrong there ("" if nothing).
    std::string finish() {
        if (thread_.joinable()) {
            if (!accepted_) {
                net::io_context ioc;
                tcp::socket poke(ioc);
                beast::error_code ignored;
                poke.connect(acceptor_.local_endpoint(), ignored);
            }
            thread_.join();
        }
        return error_;
    }

private:
    net::io_context ioc_;
    tcp::acceptor acceptor_;
    std::atomic<bool> accepted_{false};
    std::string error_;
    std::thread thread_;
};

json::object read_object(websocket::stream<tcp::socket>& ws) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return json::parse(beast::buffers_to_string(buffer.data())).as_object();
}

void write(websocket::stream<tcp::socket>& ws, const json::object& message) {
    ws.write(net::buffer(json::serialize(message)));
}

/// A JSON-RPC peer for the round trip: "echo" answers its params after pushing a notification,
/// "fail" answers an error, "ask" answers and then asks the client "client.hello" and reports
/// the client's reply in a "reply.seen" notification; the notification "bye" makes it close.
void serve_rpc(tcp::socket& socket, std::string& authorization) {
    beast::flat_buffer buffer;
    http::request<http::string_body> upgrade;
    http::read(socket, buffer, upgrade);
    authorization = std::string(upgrade[http::field::authorization]);
    websocket::stream<tcp::socket> ws(std::move(socket));
    ws.accept(upgrade);
    for (int i = 0; i < 20; ++i) {
        auto m = read_object(ws);
        auto method = m.at("method").as_string();
        if (method == "echo") {
            write(ws, {{"jsonrpc", "2.0"}, {"method", "event.ping"}, {"params", {{"n", 1}}}});
            write(ws, {{"jsonrpc", "2.0"}, {"id", m.at("id")}, {"result", m.at("params")}});
        } else if (method == "fail") {
            write(ws, {{"jsonrpc", "2.0"},
                       {"id", m.at("id")},
                       {"error", {{"code", -32001}, {"message", "no receiver \"x\""}}}});
        } else if (method == "ask") {
            write(ws, {{"jsonrpc", "2.0"}, {"id", m.at("id")}, {"result", "asking"}});
            write(ws, {{"jsonrpc", "2.0"}, {"id", "s1"}, {"method", "client.hello"}});
            auto answer = read_object(ws);
            write(ws, {{"jsonrpc", "2.0"}, {"method", "reply.seen"}, {"params", answer}});
        } else if (method == "bye") {
            ws.close(websocket::close_code::normal);
            return;
        }
    }
}

} // namespace

TEST(ApiUrl, AcceptsWebSocketAndHttpSchemes) {
    auto a = parse_api_url("ws://127.0.0.1:8080");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_FALSE(a->tls);
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, "8080");
    EXPECT_EQ(a->path, "/api/v1/ws");

    auto b = parse_api_url("WSS://loa.example.vn/custom/ws");
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_TRUE(b->tls);
    EXPECT_EQ(b->host, "loa.example.vn");
    EXPECT_EQ(b->port, "443");
    EXPECT_EQ(b->path, "/custom/ws");

    auto c = parse_api_url("http://localhost/");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_FALSE(c->tls);
    EXPECT_EQ(c->port, "80");
    EXPECT_EQ(c->path, "/api/v1/ws");

    auto d = parse_api_url("https://[::1]:8443");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(d->tls);
    EXPECT_EQ(d->host, "::1");
    EXPECT_EQ(d->port, "8443");
    EXPECT_EQ(loa::clients::to_url(*d), "wss://[::1]:8443/api/v1/ws");
}

TEST(ApiUrl, RejectsWhatItCannotUseAndSaysWhy) {
    EXPECT_NE(url_error("127.0.0.1:8080").find("no scheme"), std::string::npos);
    EXPECT_NE(url_error("ftp://host").find("unknown scheme \"ftp\""), std::string::npos);
    EXPECT_NE(url_error("ws://").find("no host"), std::string::npos);
    EXPECT_NE(url_error("ws://host:0").find("from 1 to 65535"), std::string::npos);
    EXPECT_NE(url_error("ws://host:70000").find("from 1 to 65535"), std::string::npos);
    EXPECT_NE(url_error("ws://host:abc").find("from 1 to 65535"), std::string::npos);
    EXPECT_NE(url_error("ws://host:").find("empty port"), std::string::npos);
    EXPECT_NE(url_error("ws://admin:pw@host").find("not supported"), std::string::npos);
    EXPECT_NE(url_error("ws://::1:80").find("brackets"), std::string::npos);
    EXPECT_NE(url_error("ws://[::1").find("without ']'"), std::string::npos);
    EXPECT_NE(url_error("nonsense").find("invalid server URL \"nonsense\""), std::string::npos);
}

TEST(ApiUrl, KnowsLoopbackHostsAndEncodesQueries) {
    using loa::clients::is_loopback_host;
    EXPECT_TRUE(is_loopback_host("localhost"));
    EXPECT_TRUE(is_loopback_host("127.0.0.1"));
    EXPECT_TRUE(is_loopback_host("127.8.9.10"));
    EXPECT_TRUE(is_loopback_host("::1"));
    EXPECT_TRUE(is_loopback_host("::ffff:127.0.0.1"));
    EXPECT_FALSE(is_loopback_host("10.0.0.1"));
    EXPECT_FALSE(is_loopback_host("loa.example.vn"));
    EXPECT_FALSE(is_loopback_host("::2"));
    EXPECT_EQ(loa::clients::url_encode("Bản tin sáng & 7h"),
              "B%E1%BA%A3n%20tin%20s%C3%A1ng%20%26%207h");
}

TEST(ApiConnection, RefusesPlainConnectionsToRemoteHosts) {
    // 192.0.2.1 is TEST-NET-1: were a connection attempted, it would time out, not be refused.
    auto endpoint = *parse_api_url("ws://192.0.2.1:8080");
    ConnectOptions options;
    options.timeout = std::chrono::milliseconds(200);
    auto connection = ApiConnection::connect(endpoint, options);
    ASSERT_FALSE(connection);
    EXPECT_NE(connection.error().message.find("use wss://192.0.2.1:8080"), std::string::npos)
        << connection.error().message;
    auto reply = loa::clients::http_request(endpoint, options, "GET", "/api/v1/as-run.csv");
    ASSERT_FALSE(reply);
    EXPECT_NE(reply.error().message.find("must not cross the network"), std::string::npos);
}

TEST(ApiConnection, CallsReceivesPushedMessagesAndAnswersServerRequests) {
    std::string authorization;
    OneShotServer server([&](tcp::socket& s) { serve_rpc(s, authorization); });
    ConnectOptions options;
    options.bearer_token = "t0k";
    options.timeout = std::chrono::milliseconds(5000);
    auto connected =
        ApiConnection::connect(*parse_api_url("ws://127.0.0.1:" + server.port()), options);
    ASSERT_TRUE(connected) << connected.error().message;
    auto& api = **connected;

    auto echoed = api.call("echo", {{"text", "Xin chào"}});
    EXPECT_EQ(echoed.at("text").as_string(), "Xin chào");
    auto pushed = api.next(std::chrono::milliseconds(0));
    ASSERT_TRUE(pushed);
    EXPECT_EQ(pushed->at("method").as_string(), "event.ping");

    try {
        api.call("fail", {{"id", "x"}});
        ADD_FAILURE() << "no ApiError";
    } catch (const loa::clients::ApiError& e) {
        EXPECT_EQ(e.code, loa::jsonrpc::code::kNotFound);
        EXPECT_EQ(e.message, "no receiver \"x\"");
    }

    EXPECT_EQ(api.call("ask").as_string(), "asking");
    auto request = api.next(std::chrono::milliseconds(5000));
    ASSERT_TRUE(request);
    EXPECT_EQ(request->at("method").as_string(), "client.hello");
    api.reply(request->at("id"), json::object{{"hello", true}});
    auto seen = api.next(std::chrono::milliseconds(5000));
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->at("method").as_string(), "reply.seen");
    EXPECT_EQ(seen->at("params").at("id").as_string(), "s1");
    EXPECT_EQ(seen->at("params").at("result").at("hello").as_bool(), true);
    EXPECT_FALSE(api.next(std::chrono::milliseconds(10)));

    api.notify("bye");
    EXPECT_THROW(api.next(std::chrono::milliseconds(5000)), std::runtime_error);
    EXPECT_FALSE(api.is_open());
    EXPECT_THROW(api.call("echo"), std::runtime_error);
    EXPECT_EQ(server.finish(), "");
    EXPECT_EQ(authorization, "Bearer t0k");
}

TEST(ApiConnection, ReportsAnUpgradeRefusalWithTheStatus) {
    OneShotServer server([](tcp::socket& socket) {
        beast::flat_buffer buffer;
        http::request<http::string_body> request;
        http::read(socket, buffer, request);
        http::response<http::string_body> response(http::status::unauthorized, 11);
        response.body() = R"({"error":"token expired"})";
        response.prepare_payload();
        http::write(socket, response);
    });
    auto connected = ApiConnection::connect(*parse_api_url("ws://127.0.0.1:" + server.port()), {});
    ASSERT_FALSE(connected);
    EXPECT_EQ(connected.error().code, loa::common::Errc::unauthorized);
    EXPECT_NE(connected.error().message.find("401"), std::string::npos);
    EXPECT_NE(connected.error().message.find("token expired"), std::string::npos);
    EXPECT_EQ(server.finish(), "");
}

TEST(HttpUpload, StreamsTheFileAndReturnsTheAnswer) {
    std::string path = ::testing::TempDir() + "/loa-upload-test.bin";
    std::string content(300'000, 'a');
    for (std::size_t i = 0; i < content.size(); ++i)
        content[i] = static_cast<char>(i * 7);
    std::ofstream(path, std::ios::binary) << content;
    std::string target, received;
    OneShotServer server([&](tcp::socket& socket) {
        beast::flat_buffer buffer;
        http::request_parser<http::string_body> parser;
        parser.body_limit(1 << 20);
        http::read(socket, buffer, parser);
        target = std::string(parser.get().target());
        received = parser.get().body();
        http::response<http::string_body> response(http::status::created, 11);
        response.set(http::field::content_type, "application/json");
        response.body() = R"({"id": 42})";
        response.prepare_payload();
        http::write(socket, response);
    });
    auto reply = loa::clients::http_upload(*parse_api_url("http://127.0.0.1:" + server.port()), {},
                                           "POST", "/api/v1/programs?unit=HN", path);
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->status, 201U);
    EXPECT_EQ(reply->content_type, "application/json");
    EXPECT_EQ(reply->body, R"({"id": 42})");
    EXPECT_EQ(server.finish(), "");
    EXPECT_EQ(target, "/api/v1/programs?unit=HN");
    EXPECT_TRUE(received == content);
}
