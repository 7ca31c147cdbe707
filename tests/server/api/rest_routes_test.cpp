// The REST routes in process, on the gateway of a server in a temporary folder: each route is
// documented, needs a session, answers its verb only, and follows its rule.
#include <fstream>
#include <sstream>

#include "../server_world.hpp"
#include "loa/server/api/rest_route_table.hpp"
#include "loa/server/api/rest_routes.hpp"

using namespace loa;
namespace json = boost::json;

namespace {

class RestRoutesTest : public test::ServerWorld {
protected:
    void SetUp() override {
        ServerWorld::SetUp();
        routes = server::api_routes(*gateway, *media, [](const http::HttpRequest&) {
            return http::text_response(200, "monitoring\n");
        });
        auto admin = control_socket();
        gateway->call(
            "users.create",
            params({{"name", "viewer"}, {"password", test::kPassword}, {"role", "viewer"}}), admin);
        gateway->call("users.create",
                      params({{"name", "boss"}, {"password", test::kPassword}, {"role", "admin"}}),
                      admin);
    }

    /// The session token of `user`, logged in from 127.0.0.1.
    std::string token_of(const std::string& user) {
        auto c = caller("");
        auto answer =
            gateway->call("auth.login", params({{"name", user}, {"password", test::kPassword}}), c);
        return std::string(answer.at("token").as_string());
    }

    http::HttpResponse get(const std::string& target, const std::string& token,
                           const std::string& verb = "GET",
                           const std::string& peer = "127.0.0.1:1") {
        http::HttpRequest r;
        r.method = verb;
        r.target = target;
        r.peer = peer;
        if (!token.empty())
            r.headers["authorization"] = "Bearer " + token;
        return routes(r);
    }

    http::HttpServer::Handler routes;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

TEST_F(RestRoutesTest, EveryRouteIsInTheRestTableOfDocsApi) {
    auto docs = read_file(std::string(LOA_SOURCE_DIR) + "/docs/api.md");
    ASSERT_FALSE(docs.empty());
    for (const auto& route : server::rest::rest_routes()) {
        std::string shown = "`" + std::string(route.verb) + " " + std::string(route.prefix);
        EXPECT_NE(docs.find(shown), std::string::npos) << shown << " is not in docs/api.md";
        if (!route.method.empty()) {
            EXPECT_NE(server::find_method(route.method), nullptr) << route.method;
        }
        EXPECT_NE(route.handle, nullptr);
    }
}

TEST_F(RestRoutesTest, ASessionAndTheRightVerbAreNeededAndOtherPathsAreNotFound) {
    EXPECT_EQ(get("/api/v1/as-run.json", "").status, 401);
    EXPECT_EQ(get("/api/v1/as-run.json", "not-a-token").status, 401);
    auto viewer = token_of("viewer");
    EXPECT_EQ(get("/api/v1/as-run.json", viewer).status, 200);
    EXPECT_EQ(get("/api/v1/as-run.json", viewer, "POST").status, 405);
    EXPECT_EQ(get("/api/v1/programs", viewer).status, 405);
    EXPECT_EQ(get("/api/v1/nothing", viewer).status, 404);
    EXPECT_EQ(get("/metrics", "").body, "monitoring\n");
}

TEST_F(RestRoutesTest, EachRouteFollowsItsRuleOrItsMethods) {
    auto viewer = token_of("viewer");
    auto manager = token_of("manager");
    auto boss = token_of("boss");
    // schedule.export: any role, within its units.
    EXPECT_EQ(get("/api/v1/units/70-001/schedule.ics", manager).status, 200);
    EXPECT_EQ(get("/api/v1/units/70-002/schedule.ics", manager).status, 403);
    // programs.create: not for viewers, who are refused from the upload's header.
    auto admit = server::upload_admission(*gateway);
    http::HttpRequest upload;
    upload.method = "POST";
    upload.target = "/api/v1/programs?unit=70-001&title=x";
    upload.peer = "127.0.0.1:1";
    upload.headers["authorization"] = "Bearer " + viewer;
    auto viewer_upload = admit(upload);
    ASSERT_TRUE(viewer_upload);
    EXPECT_EQ(viewer_upload->status, 403);
    upload.headers["authorization"] = "Bearer " + manager;
    EXPECT_FALSE(admit(upload));
    EXPECT_EQ(get("/api/v1/programs?unit=70-001&title=x", manager, "POST").status, 400)
        << "no file in the body";
    // A receiver's SDP: admins, over TLS or on 127.0.0.1.
    auto refused = get("/api/v1/receivers/box-1/sdp", manager);
    EXPECT_EQ(refused.status, 403);
    EXPECT_NE(refused.body.find("admins only"), std::string::npos) << refused.body;
    auto remote = get("/api/v1/receivers/box-1/sdp", boss, "GET", "203.0.113.5:1");
    EXPECT_EQ(remote.status, 403);
    EXPECT_NE(remote.body.find("only sent over TLS"), std::string::npos) << remote.body;
    EXPECT_EQ(get("/api/v1/receivers/box-1/sdp", boss).status, 404);
    // Listening in: a channel of one's units.
    EXPECT_EQ(get("/api/v1/channels/nothing/listen.ogg", viewer).status, 404);
}
