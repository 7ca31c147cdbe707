// Listening in with a real loa-server: an operator's HTTP client reads
// /api/v1/channels/CODE/listen.ogg while an emergency plays a tone, and GStreamer decodes what
// it got; tokens, unit scopes, unknown channels, the listener cap and clients that go.
#include <boost/json.hpp>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "loa/clients/api_client.hpp"
#include "tcp_client.hpp"
#include "wav.hpp"

using namespace loa::test;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "70-001", "name": "Xã A", "quiet_hours": "none", "approval_required": false},
      {"code": "70-002", "name": "Xã B", "quiet_hours": "none", "approval_required": false}]})";

/// A logged-in session's token.
std::string token_of(const Scenario& s, const std::string& name, const std::string& password) {
    auto c = connect_api(s.api_url() + "/api/v1/ws");
    auto login = c->call("auth.login", {{"name", name}, {"password", password}});
    return std::string(login.as_object().at("token").as_string());
}

/// A GET of `target` on its own connection, the request sent.
std::unique_ptr<TcpClient> open_get(const Scenario& s, const std::string& target,
                                    const std::string& headers = "") {
    auto c = std::make_unique<TcpClient>(s.http_port());
    EXPECT_TRUE(c->connected());
    c->send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n");
    return c;
}

/// The status line and body of a short answer.
std::string answer_of(const Scenario& s, const std::string& target,
                      const std::string& headers = "") {
    return open_get(s, target, headers + "Connection: close\r\n")->receive(5000);
}

/// A streamed HTTP response, read as it comes.
struct StreamReader {
    std::string head; ///< status line and headers
    std::string body; ///< de-chunked so far
    std::string raw;  ///< received, not yet de-chunked
    bool headers_done = false;

    void feed(const std::string& bytes) {
        raw += bytes;
        if (!headers_done) {
            auto end = raw.find("\r\n\r\n");
            if (end == std::string::npos)
                return;
            head = raw.substr(0, end + 4);
            raw.erase(0, end + 4);
            headers_done = true;
        }
        for (;;) { // whole chunks only
            auto line = raw.find("\r\n");
            if (line == std::string::npos)
                return;
            auto size = std::stoul(raw.substr(0, line), nullptr, 16);
            if (raw.size() < line + 2 + size + 2)
                return;
            body += raw.substr(line + 2, size);
            raw.erase(0, line + 2 + size + 2);
        }
    }
    /// Ogg pages received whole or in part.
    std::size_t pages() const {
        std::size_t n = 0;
        for (auto at = body.find("OggS"); at != std::string::npos; at = body.find("OggS", at + 4))
            ++n;
        return n;
    }
};

/// A ticket (auth.ticket) for one GET `path`, asked for with the session `token`.
std::string ticket_for(const Scenario& s, const std::string& token, const std::string& path) {
    loa::clients::ConnectOptions options;
    options.bearer_token = token;
    auto c = connect_api(s.api_url() + "/api/v1/ws", options);
    return std::string(c->call("auth.ticket", {{"path", path}}).at("ticket").as_string());
}

} // namespace

TEST(ListenIn, AnOperatorHearsTheChannelAsOggOpusAndOnlyWithinItsUnits) {
    Scenario s("listen-in");
    write_tone_wav(s.dir().file("tone.wav"), 440, 60);
    s.write_province_config(kProvince);
    s.start_server();
    auto admin = connect_api(s.api_url() + "/api/v1/ws");
    std::string token = std::string(
        admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}})
            .as_object()
            .at("token")
            .as_string());
    const std::string password = "a-long-password-1";
    admin->call("users.create", {{"name", "m2"},
                                 {"password", password},
                                 {"role", "manager"},
                                 {"units", json::array{"70-002"}}});
    std::string manager = token_of(s, "m2", password);

    const std::string listen = "/api/v1/channels/70-001/listen.ogg";
    EXPECT_EQ(answer_of(s, listen).rfind("HTTP/1.1 401", 0), 0U) << "no token";
    EXPECT_EQ(answer_of(s, listen + "?ticket=not-a-ticket").rfind("HTTP/1.1 401", 0), 0U);
    // A session token is never taken from a URL; a ticket is for its own path only.
    EXPECT_EQ(answer_of(s, listen + "?access_token=" + token).rfind("HTTP/1.1 401", 0), 0U);
    auto elsewhere = ticket_for(s, token, "/api/v1/channels/70-002/listen.ogg");
    EXPECT_EQ(answer_of(s, listen + "?ticket=" + elsewhere).rfind("HTTP/1.1 401", 0), 0U);
    auto outside = answer_of(s, listen + "?ticket=" + ticket_for(s, manager, listen));
    EXPECT_EQ(outside.rfind("HTTP/1.1 403", 0), 0U) << outside;
    const std::string nowhere = "/api/v1/channels/70-999/listen.ogg";
    auto unknown = answer_of(s, nowhere + "?ticket=" + ticket_for(s, token, nowhere));
    EXPECT_EQ(unknown.rfind("HTTP/1.1 404", 0), 0U) << unknown;
    EXPECT_NE(unknown.find("70-999"), std::string::npos) << unknown;
    // The header works too, and the manager's own commune is theirs to hear.
    auto own = open_get(s, "/api/v1/channels/70-002/listen.ogg",
                        "Authorization: Bearer " + manager + "\r\n");
    StreamReader own_stream;
    ASSERT_TRUE(wait_until(
        [&] {
            own_stream.feed(own->receive_some(100));
            return own_stream.pages() >= 2;
        },
        seconds(10)))
        << own_stream.head;
    EXPECT_EQ(own_stream.head.rfind("HTTP/1.1 200", 0), 0U) << own_stream.head;

    admin->call("emergency.start",
                {{"units", json::array{"70-001"}}, {"path", s.dir().file("tone.wav")}});
    auto client = open_get(s, listen + "?ticket=" + ticket_for(s, token, listen));
    StreamReader stream;
    // 150 pages: the two headers and about three seconds of 20 ms frames.
    ASSERT_TRUE(wait_until(
        [&] {
            stream.feed(client->receive_some(100));
            return stream.pages() >= 150;
        },
        seconds(30)))
        << stream.head << " " << stream.pages() << " pages";
    EXPECT_EQ(stream.head.rfind("HTTP/1.1 200", 0), 0U) << stream.head;
    EXPECT_NE(stream.head.find("Content-Type: audio/ogg"), std::string::npos) << stream.head;
    EXPECT_NE(stream.head.find("Transfer-Encoding: chunked"), std::string::npos) << stream.head;
    ASSERT_GE(stream.body.size(), 36U);
    EXPECT_EQ(stream.body.substr(0, 4), "OggS");
    EXPECT_EQ(stream.body.substr(28, 8), "OpusHead") << "the first page holds OpusHead";

    std::string ogg = s.dir().file("listened.ogg");
    std::ofstream(ogg, std::ios::binary) << stream.body;
    ASSERT_TRUE(decode_ogg_opus(ogg, s.dir().file("listened.wav"), s.dir().file("decode.log")))
        << read_file(s.dir().file("decode.log"));
    auto wav = read_wav(s.dir().file("listened.wav"));
    EXPECT_GT(wav.seconds(), 2.5);
    EXPECT_GT(rms(wav, 0.5, wav.seconds() - 0.1), 0.05) << "signal, not silence";
    EXPECT_EQ(dominant_frequency(wav, 0.5, wav.seconds() - 0.1, {300, 440, 1000}), 440);

    // A client that goes frees its listener, and its tap: the server says so.
    client.reset();
    own.reset();
    ASSERT_TRUE(wait_until(
        [&] {
            auto log = read_file(s.server_log());
            return log.find("stopped listening in on 70-001") != std::string::npos &&
                   log.find("stopped listening in on 70-002") != std::string::npos &&
                   log.find("; 0 listening)") != std::string::npos;
        },
        seconds(10)))
        << read_file(s.server_log());
    EXPECT_EQ(read_file(s.server_log()).find(token), std::string::npos) << "no token logged";
    EXPECT_EQ(read_file(s.server_log()).find(manager), std::string::npos) << "no token logged";
}

TEST(ListenIn, ListenersBeyondTheCapAreRefusedUntilOneGoes) {
    Scenario s("listen-in-cap");
    s.write_province_config(kProvince);
    s.start_server();
    std::string token = token_of(s, "admin", Scenario::kAdminPassword);
    const std::string path = "/api/v1/channels/70-002/listen.ogg";
    const std::string listen = path + "?ticket=" + ticket_for(s, token, path);
    // Nothing plays on 70-002: each stream holds its headers and waits.
    std::vector<std::unique_ptr<TcpClient>> listeners;
    for (int i = 0; i < 32; ++i) {
        listeners.push_back(open_get(s, listen));
        StreamReader r;
        ASSERT_TRUE(wait_until(
            [&] {
                r.feed(listeners.back()->receive_some(100));
                return r.pages() >= 2;
            },
            seconds(10)))
            << "listener " << i << ": " << r.head;
    }
    auto refused = answer_of(s, listen);
    EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0U) << refused;
    EXPECT_NE(refused.find("32 listeners"), std::string::npos) << refused;
    listeners.pop_back();
    EXPECT_TRUE(wait_until(
        [&] {
            auto again = open_get(s, listen);
            StreamReader r;
            wait_until(
                [&] {
                    r.feed(again->receive_some(100));
                    return !r.head.empty();
                },
                seconds(5));
            return r.head.rfind("HTTP/1.1 200", 0) == 0;
        },
        seconds(10)));
}
