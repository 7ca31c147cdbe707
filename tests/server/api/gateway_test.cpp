// The gateway in process, on a real schedule, user store, receivers' hub and media plane in a
// temporary folder: the method table's rules as a caller meets them (connection, role, a
// receiver's unit), and what is audited and published.
#include <boost/json.hpp>
#include <deque>
#include <gtest/gtest.h>
#include <mutex>

#include "loa/common/clock.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/gateway.hpp"
#include "loa/server/media/media_server.hpp"
#include "loa/server/receivers/registry.hpp"
#include "loa/server/schedule/runner.hpp"
#include "process.hpp"
#include "wav.hpp"

using namespace loa;
namespace json = boost::json;

namespace {

constexpr const char* kPassword = "mật khẩu đủ dài";

server::UnitSettings unit(std::string code, std::string name) {
    server::UnitSettings u;
    u.code = std::move(code);
    u.name = std::move(name);
    return u;
}

class GatewayTest : public ::testing::Test {
protected:
    void SetUp() override {
        settings.state_dir = dir.path();
        settings.import_dir = dir.path();
        settings.media_bind = "127.0.0.1";
        settings.media_port = static_cast<std::uint16_t>(test::free_udp_port());
        settings.workers = 1;
        server::ProvinceSettings province;
        province.province = unit("70", "Tỉnh");
        province.communes = {unit("70-001", "Xã A"), unit("70-002", "Xã B")};
        settings.province = province;
        {
            schedules::ScheduleStore store(server::database_file(settings));
            server::seed_units(store, settings);
        }
        media = std::make_unique<server::MediaServer>(settings, clock);
        media->start();
        programs = std::make_unique<server::ProgramStore>(server::media_dir(settings));
        schedule = std::make_unique<server::ScheduleApi>(
            settings, *programs, clock,
            server::ServerView{[] { return std::map<std::string, std::string>{}; },
                               [] { return std::vector<server::ReceiverStatus>{}; }, nullptr},
            [] {});
        auth = std::make_unique<server::AuthStore>(server::database_file(settings), clock);
        registry = std::make_unique<server::ReceiverRegistry>(server::database_file(settings),
                                                              clock, settings.profile);
        hub = std::make_unique<server::ReceiverHub>(*registry, *media, *schedule, notifier, clock,
                                                    server::HubSettings{});
        gateway = std::make_unique<server::ApiGateway>(*auth, *schedule, *hub, notifier,
                                                       server::GatewaySettings{});
        notifier.subscribe([this](const server::Notification& n) {
            std::lock_guard lock(mutex);
            published.push_back(n.method);
        });
        ASSERT_TRUE(auth->create_user("manager", kPassword, server::Role::manager,
                                      schedule->unit_ids({"70-001"})));
    }

    void TearDown() override { media->stop(); }

    /// A caller on a connection from `peer` (plain HTTP), logged in as `user` unless empty.
    server::Caller caller(const std::string& user, const std::string& peer = "127.0.0.1:40000") {
        http::HttpRequest upgrade;
        upgrade.peer = peer;
        auto c = server::ApiGateway::anonymous(upgrade);
        if (!user.empty())
            gateway->call("auth.login", params({{"name", user}, {"password", kPassword}}), c);
        return c;
    }

    static server::Caller control_socket() {
        server::Caller c;
        c.local = true;
        c.local_name = "local uid 0";
        c.from = "local";
        return c;
    }

    /// The code of the RpcError a call throws, 0 if it succeeds; its message in `message`.
    int code_of(const std::string& method, const json::object& p, server::Caller& c,
                std::string* message = nullptr) {
        try {
            gateway->call(method, params(p), c);
            return 0;
        } catch (const server::RpcError& e) {
            if (message)
                *message = e.what();
            return e.code;
        }
    }

    server::Params params(const json::object& p) {
        kept.push_back(p);
        return server::Params(kept.back());
    }

    std::size_t audited() {
        auto c = control_socket();
        return gateway->call("audit.list", params({}), c).as_array().size();
    }

    test::TempDir dir{"gateway"};
    common::ManualClock clock;
    server::Settings settings;
    std::unique_ptr<server::MediaServer> media;
    std::unique_ptr<server::ProgramStore> programs;
    std::unique_ptr<server::ScheduleApi> schedule;
    std::unique_ptr<server::AuthStore> auth;
    std::unique_ptr<server::ReceiverRegistry> registry;
    server::Notifier notifier;
    std::unique_ptr<server::ReceiverHub> hub;
    std::unique_ptr<server::ApiGateway> gateway;
    std::deque<json::object> kept; ///< params outlive the calls that read them
    std::mutex mutex;
    std::vector<std::string> published;
};

} // namespace

TEST_F(GatewayTest, ALoginFromAPlainRemoteConnectionIsRefusedBeforeThePasswordIsLookedAt) {
    auto remote = caller("", "203.0.113.9:5000");
    std::string message;
    EXPECT_EQ(code_of("auth.login", {{"name", "nobody"}, {"password", "x"}}, remote, &message),
              server::rpc_code::kUnauthorized);
    EXPECT_NE(message.find("log in over TLS (wss://) or on 127.0.0.1"), std::string::npos)
        << message; // not "wrong name or password": the name was never looked up
    EXPECT_FALSE(remote.user);
    auto local = caller("manager");
    EXPECT_TRUE(local.user);
}

TEST_F(GatewayTest, ReadsAreNotAuditedChangesAreAndADryRunIsNeither) {
    auto manager = caller("manager");
    auto admin = control_socket();
    // Each audited() is itself audited (audit.list is an admin's): one more per look.
    auto before = audited();
    EXPECT_EQ(code_of("entries.list", {}, manager), 0);
    EXPECT_EQ(code_of("status", {}, manager), 0);
    EXPECT_EQ(audited(), before + 1);
    auto tone = dir.file("tone.wav");
    test::write_tone_wav(tone, 440, 0.5);
    auto program =
        gateway->call("programs.create",
                      params({{"unit", "70-001"}, {"title", "Tin xã"}, {"path", tone}}), manager);
    gateway->call("programs.decide", params({{"id", program.at("id")}, {"approval", "approved"}}),
                  admin);
    EXPECT_EQ(audited(), before + 4);
    auto checked = gateway->call("entries.create",
                                 params({{"program", program.at("id")},
                                         {"units", json::array{"70-001"}},
                                         {"start", "2030-01-01T06:00:00"},
                                         {"duration_s", 600},
                                         {"dry_run", true}}),
                                 manager);
    EXPECT_EQ(checked.at("ok"), json::value(true));
    EXPECT_EQ(audited(), before + 5);
    std::lock_guard lock(mutex);
    EXPECT_EQ(std::count(published.begin(), published.end(), "schedule.changed"), 2);
}

TEST_F(GatewayTest, ARoleTooLowOrAReceiverOutsideOnesUnitsIsRefusedBeforeTheHandler) {
    auto manager = caller("manager");
    std::string message;
    EXPECT_EQ(code_of("users.list", {}, manager, &message), server::rpc_code::kUnauthorized);
    EXPECT_NE(message.find("users.list is for an admin; you are a manager"), std::string::npos)
        << message;
    auto admin = control_socket();
    ASSERT_EQ(code_of("receivers.provision", {{"id", "box-1"}, {"unit", "70-002"}}, admin), 0);
    EXPECT_EQ(
        code_of("receivers.set_volume", {{"id", "box-1"}, {"volume", 0.5}}, manager, &message),
        server::rpc_code::kUnauthorized);
    EXPECT_NE(message.find("outside the units you act for"), std::string::npos) << message;
    EXPECT_EQ(code_of("receivers.set_volume", {{"id", "box-9"}, {"volume", 0.5}}, manager),
              server::rpc_code::kNotFound);
    auto anonymous = caller("");
    EXPECT_EQ(code_of("status", {}, anonymous), server::rpc_code::kUnauthorized);
    EXPECT_EQ(code_of("server.info", {}, anonymous), 0);
}

TEST_F(GatewayTest, SubscriptionsAndTicketsBelongToAnOperatorsSession) {
    auto admin = control_socket();
    std::string message;
    EXPECT_EQ(code_of("subscribe", {}, admin, &message), server::rpc_code::kMethodNotFound);
    EXPECT_NE(message.find("WebSocket"), std::string::npos) << message;
    EXPECT_EQ(code_of("auth.ticket", {{"path", "/api/v1/as-run.csv"}}, admin),
              server::rpc_code::kInvalidParams);
    auto manager = caller("manager");
    EXPECT_EQ(code_of("auth.ticket", {{"path", "/api/v1/as-run.csv"}}, manager), 0);
}
