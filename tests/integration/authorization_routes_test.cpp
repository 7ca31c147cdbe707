// The authorization of what is not a method of the operators' API: every REST route of
// docs/api.md for every role, inside commune 70-001 and outside it, and anonymously; the
// receivers' channel /api/v1/receiver, where only a hello with the receiver's own secret is
// taken; and sessions that end on every connection.
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <gtest/gtest.h>
#include <set>
#include <sstream>

#include "authorization_world.hpp"
#include "loa/server/api/gateway.hpp"
#include "raw_websocket.hpp"
#include "tcp_client.hpp"

using namespace loa::test;
using namespace loa::test::authz;
using loa::clients::ApiError;
using loa::server::Role;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr int kUnauthorized = -32004;

/// Who may use a route: anyone without a token, any role, managers and up, admins.
enum class Needs { nothing, read, change, admin };

/// One request of a route, acting inside 70-001, outside it, or on nothing in particular.
struct RouteCase {
    enum Where { none, inside, outside, listing };
    RouteCase(std::string route, std::string target, Where where = none, Needs needs = Needs::read,
              unsigned ok = 200, std::string upload = "", std::string body = "")
        : route(std::move(route)), target(std::move(target)), where(where), needs(needs), ok(ok),
          upload(std::move(upload)), body(std::move(body)),
          streaming(this->route.ends_with(".ogg")) {}

    std::string route; ///< as docs/api.md's REST table names it: "GET /api/v1/as-run.csv"
    std::string target;
    Where where;
    Needs needs;
    unsigned ok;                   ///< the status when allowed
    std::string upload;            ///< a file to POST
    std::string body;              ///< or a body to POST
    bool streaming;                ///< an endless stream: read the status line only
    std::string hidden = "70-003"; ///< listing: what a scoped caller must not see
};

std::vector<RouteCase> route_cases(World& w) {
    auto audio = [&](std::int64_t id) {
        return "/api/v1/programs/" + std::to_string(id) + "/audio";
    };
    const std::string upload = "/api/v1/programs?title=Up&unit=";
    const std::string listen = "/api/v1/channels/";
    using R = RouteCase;
    std::vector<RouteCase> out = {
        {"POST /api/v1/programs", upload + "70-001", R::inside, Needs::change, 201,
         w.s.dir().file("short.wav")},
        {"POST /api/v1/programs", upload + "70-002", R::outside, Needs::change, 201,
         w.s.dir().file("short.wav")},
        {"GET /api/v1/as-run.csv", "/api/v1/as-run.csv", R::listing},
        {"GET /api/v1/as-run.json", "/api/v1/as-run.json", R::listing},
        {"GET /api/v1/indicators.json", "/api/v1/indicators.json?unit=70-001", R::inside},
        {"GET /api/v1/indicators.json", "/api/v1/indicators.json?unit=70-002", R::outside},
        {"GET /api/v1/indicators.csv", "/api/v1/indicators.csv?unit=70-001", R::inside},
        {"GET /api/v1/indicators.csv", "/api/v1/indicators.csv?unit=70-002", R::outside},
        {"GET /api/v1/reports/stations.xlsx", "/api/v1/reports/stations.xlsx?unit=70-001",
         R::inside},
        {"GET /api/v1/reports/stations.xlsx", "/api/v1/reports/stations.xlsx?unit=70-002",
         R::outside},
        {"GET /api/v1/reports/operations.xlsx",
         "/api/v1/reports/operations.xlsx?unit=70-001&month=2026-11", R::inside},
        {"GET /api/v1/reports/operations.xlsx",
         "/api/v1/reports/operations.xlsx?unit=70-002&month=2026-11", R::outside},
        {"GET /api/v1/units/CODE/schedule.ics", "/api/v1/units/70-001/schedule.ics", R::inside},
        {"GET /api/v1/units/CODE/schedule.ics", "/api/v1/units/70-002/schedule.ics", R::outside},
        // Nothing has reported from an address: 409 for whoever may have the SDP.
        {"GET /api/v1/receivers/ID/sdp", "/api/v1/receivers/box-in/sdp", R::inside, Needs::admin,
         409},
        {"GET /api/v1/receivers/ID/sdp", "/api/v1/receivers/box-out/sdp", R::outside, Needs::admin,
         409},
        {"GET /api/v1/channels/CODE/listen.ogg", listen + "70-001/listen.ogg", R::inside},
        {"GET /api/v1/channels/CODE/listen.ogg", listen + "70-002/listen.ogg", R::outside},
        {"GET /api/v1/channels/CODE/listen.ogg", listen + "70-003/listen.ogg", R::outside},
        {"GET /api/v1/channels/CODE/listen.ogg", listen + "%40box-in/listen.ogg", R::inside},
        {"GET /api/v1/channels/CODE/listen.ogg", listen + "%40box-out/listen.ogg", R::outside},
        {"POST /api/v1/speech", "/api/v1/speech", R::none, Needs::change, 200, "",
         R"({"text": "Xin chào bà con"})"},
        {"GET /api/v1/programs/ID/audio", audio(w.program_in), R::inside},
        {"GET /api/v1/programs/ID/audio", audio(w.program_out), R::outside},
    };
    for (const char* open : {"/", "/app.js", "/app.css", "/favicon.svg", "/metrics", "/healthz"})
        out.emplace_back(std::string("GET ") + open, open, R::none, Needs::nothing);
    return out;
}

/// The routes of docs/api.md's REST table: "GET /api/v1/as-run.csv", ...
std::set<std::string> documented_routes() {
    auto docs = read_file(std::string(LOA_SOURCE_DIR) + "/docs/api.md");
    auto begin = docs.find("\n## REST");
    if (begin == std::string::npos)
        return {};
    auto section = docs.substr(begin, docs.find("\n## ", begin + 1) - begin);
    std::set<std::string> out;
    std::istringstream lines(section);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("| `", 0) != 0)
            continue;
        auto cell = line.substr(2, line.find(" | ", 2) - 2);
        std::string method = "GET";
        for (auto at = cell.find('`'); at != std::string::npos; at = cell.find('`', at + 1)) {
            auto end = cell.find('`', at + 1);
            auto item = cell.substr(at + 1, end - at - 1);
            if (auto space = item.find(' '); space != std::string::npos && item[0] != '/') {
                method = item.substr(0, space);
                item = item.substr(space + 1);
            }
            out.insert(method + " " + item.substr(0, item.find('?')));
            at = end;
        }
    }
    return out;
}

/// The status of a request, as `token` (none: ""); 0 if it failed.
unsigned status_of(World& w, const RouteCase& c, const std::string& token) {
    if (c.streaming) { // an endless stream: the status line, then the connection dropped
        TcpClient http(w.s.http_port());
        http.send("GET " + c.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                  (token.empty() ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n");
        std::string head;
        wait_until(
            [&] {
                head += http.receive_some(100);
                return head.find("\r\n") != std::string::npos || http.closed();
            },
            seconds(10));
        return head.rfind("HTTP/1.1 ", 0) == 0 ? std::stoul(head.substr(9, 3)) : 0;
    }
    auto endpoint = loa::clients::parse_api_url(w.s.api_url());
    loa::clients::ConnectOptions options;
    options.bearer_token = token;
    auto method = c.route.substr(0, c.route.find(' '));
    auto reply =
        !c.upload.empty()
            ? loa::clients::http_upload(*endpoint, options, method, c.target, c.upload, "audio/wav")
            : loa::clients::http_request(*endpoint, options, method, c.target, c.body,
                                         c.body.empty() ? "" : "application/json");
    if (!reply)
        return 0;
    if (c.where == RouteCase::listing && reply->status == 200 && !token.empty())
        return reply->body.find(c.hidden) != std::string::npos ? 200 : 299; // 299: hidden
    return reply->status;
}

bool role_reaches(const CallerSpec& caller, Needs needs) {
    switch (needs) {
    case Needs::nothing:
    case Needs::read:
        return true;
    case Needs::change:
        return *caller.role != Role::viewer;
    case Needs::admin:
        return *caller.role == Role::admin;
    }
    return false;
}

/// The status a route must answer `caller` (anonymous: no token, or a token that is not one).
unsigned expected_status(const CallerSpec* caller, const RouteCase& c) {
    if (c.needs == Needs::nothing)
        return c.ok;
    if (!caller || !caller->role)
        return 401;
    if (!role_reaches(*caller, c.needs) || (c.where == RouteCase::outside && caller->scoped))
        return 403;
    if (c.where == RouteCase::listing)
        return caller->scoped ? 299 : 200; // 299: the outside rows hidden
    return c.ok;
}

} // namespace

TEST(Authorization, EveryRestRouteForEveryRoleInsideAndOutsideItsUnits) {
    World w("authz-routes");
    auto cases = route_cases(w);
    std::set<std::string> covered;
    for (const auto& c : cases)
        covered.insert(c.route);
    for (const auto& route : documented_routes())
        EXPECT_TRUE(covered.count(route)) << route << " of docs/api.md has no case here";
    EXPECT_GE(documented_routes().size(), 14U) << "docs/api.md's REST table was not read";

    std::ostringstream wrong;
    int calls = 0, failures = 0;
    auto check = [&](const CallerSpec* caller, const std::string& label, const std::string& token) {
        for (const auto& c : cases) {
            auto want = expected_status(caller, c);
            auto got = status_of(w, c, token);
            ++calls;
            if (std::getenv("LOA_AUTHZ_TABLE")) // the whole matrix, to read
                std::cout << c.target << "  " << label << ": " << got << "\n";
            if (got != want) {
                ++failures;
                wrong << c.route << "  " << c.target << "  " << label << ": expected " << want
                      << ", got " << got << "\n";
            }
        }
    };
    check(nullptr, "anonymous", "");
    check(nullptr, "a token that is not one", "not-a-token");
    for (const auto& caller : callers())
        if (caller.role) {
            w.login(caller.user, &w.tokens[caller.user]);
            check(&caller, caller.label, w.tokens[caller.user]);
        }
    std::cout << calls << " requests (" << cases.size() << " routes x 7 callers)\n";
    EXPECT_EQ(failures, 0) << "(299: a listing that hides what is outside the caller's units)\n"
                           << wrong.str();

    // A WebSocket upgrade with a token that is not one is refused, not made anonymous.
    TcpClient upgrade(w.s.http_port());
    upgrade.send("GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                 "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Authorization: Bearer not-a-token\r\n\r\n");
    auto answer = upgrade.receive(5000);
    EXPECT_EQ(answer.rfind("HTTP/1.1 401", 0), 0U) << answer;
}

TEST(Authorization, AnApiKeyReadsItsUnitsIndicatorsAndNothingElseUntilRevoked) {
    World w("authz-keys");
    auto endpoint = loa::clients::parse_api_url(w.s.api_url());
    auto get = [&](const std::string& key, const std::string& path) {
        loa::clients::ConnectOptions options;
        options.bearer_token = key;
        auto reply = loa::clients::http_request(*endpoint, options, "GET", path, "", "");
        return reply ? reply->status : 0U;
    };
    auto made =
        w.control("api_keys.create", {{"name", "ioc-70-001"}, {"units", json::array{"70-001"}}});
    auto key = std::string(made.at("key").as_string());
    EXPECT_EQ(made.at("role"), "reporter");
    EXPECT_EQ(get(key, "/api/v1/indicators.json?unit=70-001"), 200U);
    EXPECT_EQ(get(key, "/api/v1/indicators.csv"), 200U) << "its own unit by default";
    EXPECT_EQ(get(key, "/api/v1/indicators.json?unit=70-002"), 403U) << "outside its units";
    EXPECT_EQ(get(key, "/api/v1/reports/stations.xlsx?unit=70-001"), 200U);
    EXPECT_EQ(get(key, "/api/v1/as-run.json"), 403U) << "a key reads the indicators only";
    EXPECT_EQ(get(key, "/api/v1/programs/" + std::to_string(w.program_in) + "/audio"), 403U);
    // Listed without its secret; every use audited under its name.
    auto listed = json::serialize(w.control("api_keys.list"));
    EXPECT_EQ(listed.find(key), std::string::npos);
    EXPECT_NE(listed.find("\"uses\":"), std::string::npos);
    auto audit = json::serialize(w.control("audit.list"));
    EXPECT_NE(audit.find("key:ioc-70-001"), std::string::npos);
    EXPECT_EQ(audit.find(key), std::string::npos) << "no secret in the audit log";
    // Rotated: the old secret opens nothing; revoked: nothing at once.
    auto rotated =
        std::string(w.control("api_keys.rotate", {{"id", made.at("id")}}).at("key").as_string());
    EXPECT_EQ(get(key, "/api/v1/indicators.json"), 401U);
    EXPECT_EQ(get(rotated, "/api/v1/indicators.json"), 200U);
    w.control("api_keys.revoke", {{"id", made.at("id")}});
    EXPECT_EQ(get(rotated, "/api/v1/indicators.json"), 401U);
}

namespace {

/// One JSON-RPC request as text.
std::string request(const std::string& method, json::object params, int id = 1) {
    return json::serialize(
        json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
}

/// The error code of an answer, 0 for a result, -1 for no answer.
int code_of(const std::optional<std::string>& answer) {
    if (!answer)
        return -1;
    auto v = json::parse(*answer);
    if (const auto* e = v.as_object().if_contains("error"))
        return static_cast<int>(e->at("code").as_int64());
    return 0;
}

} // namespace

TEST(Authorization, TheReceiversChannelTakesNothingButAHelloWithTheReceiversOwnSecret) {
    World w("authz-receivers");
    auto old = std::string(w.control("receivers.provision", {{"id", "box-old"}, {"unit", "70-001"}})
                               .at("bundle")
                               .at("secret")
                               .as_string());
    w.control("receivers.unprovision", {{"id", "box-old"}});
    auto channel = [&] {
        return std::make_unique<RawWebSocket>("127.0.0.1", w.s.http_port(), "/api/v1/receiver");
    };
    // Before a hello: nothing, whatever the method.
    for (const char* method : {"status", "rekey", "units.list", "receivers.list", "auth.login"}) {
        auto c = channel();
        c->send(request(method, {{"name", "admin"}, {"password", kPassword}}));
        EXPECT_EQ(code_of(c->receive()), kUnauthorized) << method << " before hello";
    }
    // A hello with a wrong secret, as nobody, with another's secret, or as a retired box:
    // refused, and the connection closed.
    const std::vector<std::pair<std::string, std::string>> refused = {
        {"box-in", "not-its-secret"},
        {"box-nobody", w.secrets["box-in"]},
        {"box-in", w.secrets["box-out"]},
        {"box-old", old},
    };
    for (const auto& [id, secret] : refused) {
        auto c = channel();
        c->send(request("hello", {{"id", id}, {"secret", secret}}));
        EXPECT_EQ(code_of(c->receive()), kUnauthorized) << "hello as " << id;
        EXPECT_TRUE(c->wait_ended(seconds(5))) << "hello as " << id << ": still connected";
    }
    // Its own secret: the hello is taken, and the operators' methods stay out of reach.
    auto box = channel();
    box->send(request("hello", {{"id", "box-in"}, {"secret", w.secrets["box-in"]}}));
    auto hello = box->receive();
    ASSERT_EQ(code_of(hello), 0) << hello.value_or("no answer");
    EXPECT_EQ(json::parse(*hello).at("result").at("unit"), "70-001");
    for (const char* method : {"units.list", "receivers.rekey", "emergency.start"}) {
        box->send(request(method, {}));
        EXPECT_EQ(code_of(box->receive()), -32601) << method << " on the receivers' channel";
    }
    // Nor is hello a method of the operators' channel.
    auto operators = w.connect();
    try {
        operators->call("hello", {{"id", "box-in"}, {"secret", w.secrets["box-in"]}});
        ADD_FAILURE() << "hello answered on /api/v1/ws";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.code, -32601);
    }
}

// The server's requests to a receiver (ids count up from 1) are answered only from the
// connection they went to: a peer that never said hello cannot answer a box's rekey in its
// place (with an error the rekey would fail, with a result it would seem taken).
TEST(Authorization, OnlyTheReceiverAskedAnswersTheServersRequests) {
    World w("authz-replies");
    auto box = std::make_unique<RawWebSocket>("127.0.0.1", w.s.http_port(), "/api/v1/receiver");
    box->send(request("hello", {{"id", "box-in"}, {"secret", w.secrets["box-in"]}}));
    ASSERT_EQ(code_of(box->receive()), 0);
    auto rekey = std::async(std::launch::async, [&] {
        return w.control_raw("receivers.rekey", {{"id", "box-in"}});
    });
    json::value asked;
    ASSERT_TRUE(wait_until(
        [&] {
            auto text = box->receive(std::chrono::milliseconds(100));
            if (text && json::parse(*text).as_object().if_contains("method"))
                asked = json::parse(*text);
            return asked.is_object() && asked.at("method") == "rekey";
        },
        seconds(10)));
    // A stranger answers first, refusing the key; its next message shows that one was handled.
    RawWebSocket stranger("127.0.0.1", w.s.http_port(), "/api/v1/receiver");
    stranger.send(json::serialize(json::object{
        {"jsonrpc", "2.0"}, {"id", asked.at("id")}, {"error", {{"code", -1}, {"message", "no"}}}}));
    stranger.send(request("status", {}, 99));
    (void)stranger.receive(seconds(5)); // refused, or the connection closed: handled either way
    // Then the box takes the key.
    box->send(json::serialize(
        json::object{{"jsonrpc", "2.0"}, {"id", asked.at("id")}, {"result", json::object{}}}));
    auto answer = rekey.get();
    EXPECT_TRUE(answer.contains("result"))
        << "a peer that never said hello answered the box's rekey: " << json::serialize(answer);
}

// `subscribe` checks the session, and a subscription ends with it: a connection whose user was
// disabled (or whose session ended otherwise) can neither subscribe nor keep hearing its units'
// notifications.
TEST(Authorization, ASessionThatHasEndedNeitherSubscribesNorHearsNotifications) {
    World w("authz-ended");
    for (const char* name : {"leaver", "listener", "witness"})
        w.control("users.create", {{"name", name},
                                   {"password", kPassword},
                                   {"role", "viewer"},
                                   {"units", json::array{"70-001"}}});
    auto leaver = w.login("leaver");
    auto listener = w.login("listener");
    auto witness = w.login("witness");
    for (auto* c : {listener.get(), witness.get()})
        c->call("subscribe", {{"topics", json::array{"schedule"}}});
    w.control("users.disable", {{"name", "leaver"}});
    w.control("users.disable", {{"name", "listener"}});
    int code = 0;
    try {
        leaver->call("subscribe", {{"topics", json::array{"schedule"}}});
    } catch (const ApiError& e) {
        code = e.code;
    } catch (const std::exception&) { // the server closed the connection: ended too
        code = kUnauthorized;
    }
    EXPECT_EQ(code, kUnauthorized) << "a disabled user's connection subscribed";
    // A change of the schedule: published (to every subscriber that may see it) before the
    // control socket answers, so before the listener's next answer on its connection.
    w.control("programs.create",
              {{"unit", "70-001"}, {"title", "after"}, {"url", "http://127.0.0.1:9/after"}});
    EXPECT_ANY_THROW(listener->call("auth.whoami")); // refused, or the connection is closed
    witness->call("auth.whoami");
    auto told = witness->next(std::chrono::milliseconds(0));
    ASSERT_TRUE(told && told->at("method") == "schedule.changed") << "the change was not told";
    std::optional<json::object> heard;
    try {
        heard = listener->next(std::chrono::milliseconds(0));
    } catch (const std::exception&) { // closed by the server: nothing heard
    }
    EXPECT_FALSE(heard) << "a disabled user's connection heard " << json::serialize(*heard);
}
