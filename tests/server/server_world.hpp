#pragma once
// A server in process for the gateway's and the status watch's tests.
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

namespace loa::test {

namespace json = boost::json;

inline constexpr const char* kPassword = "mật khẩu đủ dài";

inline server::UnitSettings unit(std::string code, std::string name) {
    server::UnitSettings u;
    u.code = std::move(code);
    u.name = std::move(name);
    return u;
}

/// A server in process on a temporary folder: media plane, schedule, users, receivers' hub and
/// gateway, with what the notifier publishes recorded. One manager of commune 70-001.
class ServerWorld : public ::testing::Test {
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
                               [] { return std::vector<server::ReceiverStatus>{}; }, nullptr,
                               [this] { return registry->new_stored_key(); }},
            [] {});
        auth = std::make_unique<server::AuthStore>(server::database_file(settings), clock);
        registry = std::make_unique<server::ReceiverRegistry>(server::database_file(settings),
                                                              clock, settings.profile);
        hub = std::make_unique<server::ReceiverHub>(*registry, *media, *schedule, notifier, clock,
                                                    server::HubSettings{});
        alarms =
            std::make_unique<server::AlarmBook>(server::database_file(settings), clock, nullptr);
        gateway = std::make_unique<server::ApiGateway>(*auth, *schedule, *hub, notifier, *alarms,
                                                       server::GatewaySettings{});
        notifier.subscribe([this](const server::Notification& n) {
            std::lock_guard lock(mutex);
            published.push_back(n);
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

    test::TempDir dir{"server-world"};
    common::ManualClock clock;
    server::Settings settings;
    std::unique_ptr<server::MediaServer> media;
    std::unique_ptr<server::ProgramStore> programs;
    std::unique_ptr<server::ScheduleApi> schedule;
    std::unique_ptr<server::AuthStore> auth;
    std::unique_ptr<server::ReceiverRegistry> registry;
    server::Notifier notifier;
    std::unique_ptr<server::ReceiverHub> hub;
    std::unique_ptr<server::AlarmBook> alarms;
    std::unique_ptr<server::ApiGateway> gateway;
    std::deque<json::object> kept; ///< params outlive the calls that read them
    std::mutex mutex;
    std::vector<server::Notification> published;
};

} // namespace loa::test
