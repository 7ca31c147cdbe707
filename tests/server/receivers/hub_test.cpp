// The receivers' control channel, in process: the hub wired to a real media server, schedule and
// SQLite database, with each receiver's WebSocket replaced by a link that records what the hub
// sends. Hello and its refusals, online and offline with the grace (on a manual clock), status,
// volume, rekey and unprovision.
#include <boost/json.hpp>
#include <condition_variable>
#include <future>
#include <gtest/gtest.h>
#include <mutex>
#include <thread>

#include "loa/common/clock.hpp"
#include "loa/common/secret.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/gateway.hpp"
#include "loa/server/events/notifier.hpp"
#include "loa/server/media/media_server.hpp"
#include "loa/server/receivers/hub.hpp"
#include "loa/server/receivers/registry.hpp"
#include "loa/server/schedule/program_store.hpp"
#include "loa/server/schedule/runner.hpp"
#include "loa/server/schedule/schedule_api.hpp"
#include "process.hpp"

using namespace loa;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr auto kGrace = seconds(2);
/// How often the hub looks for receivers whose grace is over (receiver_hub.cpp).
constexpr auto kSweep = milliseconds(500);

/// The server's end of one receiver's WebSocket: what the hub sent, and whether it closed it.
class RecordingLink : public http::WebSocketLink {
public:
    void send(std::string text) override {
        std::lock_guard lock(mutex_);
        sent_.push_back(json::parse(text).as_object());
    }
    void close() override {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    std::vector<json::object> sent() const {
        std::lock_guard lock(mutex_);
        return sent_;
    }
    bool closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }
    /// The first request of `method` the hub sent, if any.
    std::optional<json::object> request(const std::string& method) const {
        for (const auto& m : sent())
            if (const auto* name = m.if_contains("method");
                name && name->is_string() && name->as_string() == method)
                return m;
        return std::nullopt;
    }
    /// The last request of `method` the hub sent, if any.
    std::optional<json::object> last_request(const std::string& method) const {
        std::optional<json::object> found;
        for (const auto& m : sent())
            if (const auto* name = m.if_contains("method");
                name && name->is_string() && name->as_string() == method)
                found = m;
        return found;
    }

private:
    mutable std::mutex mutex_;
    std::vector<json::object> sent_;
    bool closed_ = false;
};

/// One connection of a receiver to the hub.
struct Peer {
    std::shared_ptr<RecordingLink> link;
    std::shared_ptr<http::WebSocketHandler> handler;

    /// Sends a request; returns the hub's answer to it.
    json::object call(const std::string& method, json::object params, std::int64_t id = 1) {
        auto before = link->sent().size();
        handler->on_message(json::serialize(json::object{
            {"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}));
        // The answer, by its id: a request of the hub's own may follow it at once.
        auto after = link->sent();
        for (auto i = before; i < after.size(); ++i)
            if (!after[i].contains("method") && after[i].at("id") == id)
                return after[i];
        throw std::runtime_error(method + ": no answer");
    }
};

int code_of(const json::object& answer) {
    return static_cast<int>(answer.at("error").at("code").as_int64());
}

class ReceiverHubTest : public ::testing::Test {
protected:
    void SetUp() override {
        settings.state_dir = dir.path();
        settings.media_bind = "127.0.0.1";
        settings.media_port = static_cast<std::uint16_t>(test::free_udp_port());
        settings.workers = 1;
        server::ProvinceSettings province;
        province.province.code = "70";
        province.province.name = "Tỉnh";
        server::UnitSettings commune;
        commune.code = "70-001";
        commune.name = "Xã A";
        province.communes = {commune};
        settings.province = province;
        {
            schedules::ScheduleStore store(server::database_file(settings));
            server::seed_units(store, settings);
        }
        media = std::make_unique<server::MediaServer>(settings, common::SystemClock::instance());
        media->start();
        programs = std::make_unique<server::ProgramStore>(server::media_dir(settings));
        schedule = std::make_unique<server::ScheduleApi>(
            settings, *programs, common::SystemClock::instance(),
            server::ServerView{[] { return std::map<std::string, std::string>{}; },
                               [] { return std::vector<server::ReceiverStatus>{}; }, nullptr,
                               nullptr},
            [] {});
        registry = std::make_unique<server::ReceiverRegistry>(server::database_file(settings),
                                                              clock, settings.profile);
        notifier.subscribe([this](const server::Notification& n) {
            std::lock_guard lock(mutex);
            notices.emplace_back(n.method, n.params);
        });
        hub = std::make_unique<server::ReceiverHub>(
            *registry, *media, *schedule, notifier, clock,
            server::HubSettings{kGrace, 1, "", seconds(1), {{"70-001", 0.5}}});
        hub->start();
        secret = value(hub->provision("box-1", "70-001", "Thôn 3", "admin")).secret;
    }

    void TearDown() override {
        hub->stop();
        media->stop();
    }

    template <class T> static T value(common::Result<T> r) {
        if (!r)
            throw std::runtime_error(r.error().message);
        return std::move(r).value();
    }

    Peer connect(const std::string& peer = "127.0.0.1:40000", bool tls = false) {
        http::HttpRequest upgrade;
        upgrade.method = "GET";
        upgrade.target = "/api/v1/receiver";
        upgrade.peer = peer;
        upgrade.tls = tls;
        upgrade.headers["host"] = "loa.example.vn:8443";
        auto link = std::make_shared<RecordingLink>();
        return {link, hub->connect(upgrade, link)};
    }

    json::object hello(Peer& p) { return p.call("hello", {{"id", "box-1"}, {"secret", secret}}); }

    /// How many notifications of `method` were published.
    int notices_of(const std::string& method) {
        std::lock_guard lock(mutex);
        return static_cast<int>(std::count_if(notices.begin(), notices.end(),
                                              [&](const auto& n) { return n.first == method; }));
    }

    json::object listed() {
        auto all = hub->list(server::Scope{});
        if (all.size() != 1)
            throw std::runtime_error("expected one receiver listed");
        return server::receiver_json(all[0]);
    }

    bool online() { return listed().at("online").as_bool(); }

    std::vector<std::uint8_t> stored_key() { return value(registry->find("box-1")).key; }

    test::TempDir dir{"receiver-hub"};
    server::Settings settings;
    common::ManualClock clock;
    std::unique_ptr<server::MediaServer> media;
    std::unique_ptr<server::ProgramStore> programs;
    std::unique_ptr<server::ScheduleApi> schedule;
    std::unique_ptr<server::ReceiverRegistry> registry;
    server::Notifier notifier;
    std::unique_ptr<server::ReceiverHub> hub;
    std::string secret;
    std::mutex mutex;
    std::vector<std::pair<std::string, json::object>> notices;
};

} // namespace

TEST_F(ReceiverHubTest, AHelloWithTheRightSecretGetsItsKeyAndMediaAndComesOnline) {
    auto p = connect();
    auto answer = hello(p);
    ASSERT_TRUE(answer.contains("result")) << json::serialize(answer);
    const auto& r = answer.at("result").as_object();
    EXPECT_EQ(r.at("id"), "box-1");
    EXPECT_EQ(r.at("unit"), "70-001");
    EXPECT_EQ(r.at("media").at("host"), "loa.example.vn") << "the host the receiver reached";
    EXPECT_EQ(r.at("media").at("port").to_number<std::uint16_t>(), media->media_port());
    EXPECT_EQ(r.at("ssrc").to_number<std::uint32_t>(), media->receiver_ssrc("box-1"));
    EXPECT_EQ(common::from_base64(std::string(r.at("key").as_string())), stored_key());
    EXPECT_EQ(r.at("volume").as_double(), 1.0);
    EXPECT_FALSE(r.at("muted").as_bool());
    EXPECT_EQ(r.at("status_interval_s").as_int64(), 1);
    EXPECT_FALSE(p.link->closed());

    EXPECT_TRUE(online());
    EXPECT_EQ(listed().at("address"), "127.0.0.1");
    EXPECT_EQ(hub->online_count(), 1U);
    EXPECT_EQ(notices_of("receiver.online"), 1);
}

TEST_F(ReceiverHubTest, AWrongSecretIsRefusedAndTheConnectionClosed) {
    for (auto [id, secret_given] :
         {std::pair<std::string, std::string>{"box-1", "not-it"}, {"box-2", secret}}) {
        auto p = connect();
        auto answer = p.call("hello", {{"id", id}, {"secret", secret_given}});
        EXPECT_FALSE(answer.contains("result"));
        EXPECT_EQ(code_of(answer), -32004);
        EXPECT_EQ(answer.at("error").at("message"), "unknown receiver or wrong secret");
        EXPECT_TRUE(p.link->closed());
    }
    EXPECT_FALSE(online());
    EXPECT_EQ(notices_of("receiver.online"), 0);
}

TEST_F(ReceiverHubTest, KeysAreGivenOnlyOverTlsOrOnLoopback) {
    auto plain = connect("10.1.2.3:40000", false);
    auto refused = hello(plain);
    EXPECT_FALSE(refused.contains("result")) << json::serialize(refused);
    EXPECT_EQ(code_of(refused), -32004);
    EXPECT_NE(std::string(refused.at("error").at("message").as_string())
                  .find("keys are only sent over TLS (wss://) or on 127.0.0.1"),
              std::string::npos);
    EXPECT_TRUE(plain.link->closed());
    EXPECT_FALSE(online());

    auto tls = connect("10.1.2.3:40001", true);
    EXPECT_TRUE(hello(tls).contains("result"));
    auto v6 = connect("[::1]:40002", false);
    EXPECT_TRUE(hello(v6).contains("result"));
    auto other_loopback = connect("127.8.9.10:40003", false);
    EXPECT_TRUE(hello(other_loopback).contains("result"));
}

TEST_F(ReceiverHubTest, NothingButHelloIsTakenBeforeHello) {
    auto p = connect();
    auto early = p.call("status", {{"received", 5}});
    EXPECT_EQ(code_of(early), -32004);
    EXPECT_NE(std::string(early.at("error").at("message").as_string()).find("say hello first"),
              std::string::npos);
    EXPECT_FALSE(listed().contains("status"));

    ASSERT_TRUE(hello(p).contains("result"));
    auto unknown = p.call("reboot", {});
    EXPECT_EQ(code_of(unknown), -32601);
    EXPECT_NE(std::string(unknown.at("error").at("message").as_string()).find("\"reboot\""),
              std::string::npos);
}

TEST_F(ReceiverHubTest, StatusReportsAreKeptAndPublished) {
    auto p = connect();
    ASSERT_TRUE(hello(p).contains("result"));
    clock.advance(seconds(3));
    // A notification: no answer.
    p.handler->on_message(R"({"jsonrpc": "2.0", "method": "status",
        "params": {"received": 1200, "lost": 3, "version": "loa-receiver 0.1"}})");
    EXPECT_EQ(p.link->sent().size(), 1U) << "only the hello was answered";
    auto r = listed();
    EXPECT_EQ(r.at("status").at("received").as_int64(), 1200);
    EXPECT_EQ(r.at("status").at("lost").as_int64(), 3);
    EXPECT_EQ(r.at("version"), "loa-receiver 0.1");
    auto now_ms = std::chrono::duration_cast<milliseconds>(clock.system_now().time_since_epoch());
    EXPECT_EQ(r.at("last_seen").as_int64(), now_ms.count());
    EXPECT_EQ(notices_of("receiver.status"), 1);
}

TEST_F(ReceiverHubTest, StatusKeepsOnlyKnownFieldsAndReachesOperatorsAtMostOnceASecond) {
    auto p = connect();
    ASSERT_TRUE(hello(p).contains("result"));
    auto report = [&](int received) {
        p.handler->on_message(R"({"jsonrpc": "2.0", "method": "status", "params": {"received": )" +
                              std::to_string(received) + R"(, "junk": ")" + std::string(5000, 'x') +
                              R"(", "version": ")" + std::string(500, 'v') + R"("}})");
    };
    report(1);
    report(2); // the same second: stored, not pushed again
    auto r = listed();
    EXPECT_EQ(r.at("status").at("received").as_int64(), 2);
    EXPECT_FALSE(r.at("status").as_object().contains("junk"));
    EXPECT_EQ(r.at("status").at("version").as_string().size(), 64U);
    EXPECT_EQ(notices_of("receiver.status"), 1);
    clock.advance(seconds(1));
    report(3);
    EXPECT_EQ(notices_of("receiver.status"), 2);
}

TEST_F(ReceiverHubTest, ADroppedReceiverStaysOnlineForTheGraceThenGoesOffline) {
    auto p = connect();
    ASSERT_TRUE(hello(p).contains("result"));
    p.handler->on_close();
    clock.advance(kGrace - milliseconds(1));
    // The sweeper looks every 500 ms: proving that it let the receiver be takes one look.
    std::this_thread::sleep_for(kSweep + milliseconds(200));
    EXPECT_TRUE(online());
    EXPECT_EQ(notices_of("receiver.offline"), 0);

    clock.advance(milliseconds(1));
    EXPECT_TRUE(test::wait_until([&] { return !online(); }, seconds(3)));
    EXPECT_TRUE(test::wait_until([&] { return notices_of("receiver.offline") == 1; }, seconds(3)));
    EXPECT_EQ(hub->online_count(), 0U);
}

TEST_F(ReceiverHubTest, AReceiverBackWithinTheGraceNeverWentOffline) {
    auto first = connect();
    ASSERT_TRUE(hello(first).contains("result"));
    first.handler->on_close();
    clock.advance(kGrace / 2);
    auto second = connect("127.0.0.1:40001");
    ASSERT_TRUE(hello(second).contains("result"));
    clock.advance(kGrace * 2);
    std::this_thread::sleep_for(kSweep + milliseconds(200)); // one look of the sweeper
    EXPECT_TRUE(online());
    EXPECT_EQ(notices_of("receiver.online"), 1);
    EXPECT_EQ(notices_of("receiver.offline"), 0);
}

TEST_F(ReceiverHubTest, ASecondHelloReplacesTheFirstConnection) {
    auto first = connect();
    ASSERT_TRUE(hello(first).contains("result"));
    auto second = connect("127.0.0.1:40001");
    ASSERT_TRUE(hello(second).contains("result"));
    EXPECT_TRUE(first.link->closed()) << "the older connection is closed";
    EXPECT_FALSE(second.link->closed());
    // The old connection's end does not count against the new one.
    first.handler->on_close();
    clock.advance(kGrace * 2);
    std::this_thread::sleep_for(kSweep + milliseconds(200)); // one look of the sweeper
    EXPECT_TRUE(online());
    // And the hub speaks to the new one.
    ASSERT_TRUE(hub->set_output("box-1", 0.5, std::nullopt));
    EXPECT_TRUE(second.link->request("set_volume"));
    EXPECT_FALSE(first.link->request("set_volume"));
}

TEST_F(ReceiverHubTest, VolumeIsPushedToAConnectedReceiverAndGivenAtTheNextHello) {
    auto p = connect();
    ASSERT_TRUE(hello(p).contains("result"));
    auto set = hub->set_output("box-1", 0.25, true);
    ASSERT_TRUE(set) << set.error().message;
    auto pushed = p.link->request("set_volume");
    ASSERT_TRUE(pushed);
    EXPECT_EQ(pushed->at("params").at("volume").as_double(), 0.25);
    EXPECT_TRUE(pushed->at("params").at("muted").as_bool());

    p.handler->on_close();
    ASSERT_TRUE(hub->set_output("box-1", 0.75, std::nullopt)); // while it is away
    auto again = connect("127.0.0.1:40001");
    auto r = hello(again).at("result").as_object();
    EXPECT_EQ(r.at("volume").as_double(), 0.75);
    EXPECT_TRUE(r.at("muted").as_bool());
    EXPECT_FALSE(hub->set_output("box-1", 3.0, std::nullopt)) << "volume is 0 to 2";
}

TEST_F(ReceiverHubTest, AnEmergencyPlaysAtTheUnitsVolumeUnmutedAndTheOwnSettingReturnsAfter) {
    auto p = connect();
    ASSERT_TRUE(hello(p).contains("result"));
    ASSERT_TRUE(hub->set_output("box-1", 0.2, true));
    auto output = [&] {
        auto r = p.link->last_request("set_volume");
        return r ? std::pair(r->at("params").at("volume").as_double(),
                             r->at("params").at("muted").as_bool())
                 : std::pair(-1.0, false);
    };
    EXPECT_EQ(output(), std::pair(0.2, true));

    hub->set_emergency("70-001", "o1");
    EXPECT_EQ(output(), std::pair(0.5, false)) << "the unit's emergency volume, unmuted";
    auto r = listed();
    EXPECT_TRUE(r.at("emergency").as_bool());
    EXPECT_TRUE(r.at("muted").as_bool()) << "its own setting is kept";
    auto again = connect("127.0.0.1:40001"); // restarted during the emergency
    auto answer = hello(again).at("result").as_object();
    EXPECT_EQ(answer.at("volume").as_double(), 0.5);
    EXPECT_FALSE(answer.at("muted").as_bool());

    hub->set_emergency("70-001", "");
    auto back = again.link->last_request("set_volume");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->at("params").at("volume").as_double(), 0.2);
    EXPECT_TRUE(back->at("params").at("muted").as_bool());
    EXPECT_FALSE(listed().at("emergency").as_bool());

    // An operator who sets the cluster during an emergency is obeyed at once, in what was
    // asked only: a volume alone keeps the emergency's unmute.
    hub->set_emergency("70-001", "o2");
    ASSERT_TRUE(hub->set_output("box-1", 0.8, std::nullopt));
    back = again.link->last_request("set_volume");
    EXPECT_EQ(back->at("params").at("volume").as_double(), 0.8);
    EXPECT_FALSE(back->at("params").at("muted").as_bool()) << "its own mute waits";
    EXPECT_FALSE(listed().at("emergency").as_bool());
    // The next emergency straight after it overrides again.
    hub->set_emergency("70-001", "o3");
    back = again.link->last_request("set_volume");
    EXPECT_EQ(back->at("params").at("volume").as_double(), 0.5);
    EXPECT_FALSE(back->at("params").at("muted").as_bool());
    hub->set_emergency("70-001", "");
    back = again.link->last_request("set_volume");
    EXPECT_EQ(back->at("params").at("volume").as_double(), 0.8);
    EXPECT_TRUE(back->at("params").at("muted").as_bool()) << "its own setting, as set";

    // A cluster's own channel, and another unit's emergency, which is not its own.
    auto before = again.link->sent().size();
    hub->set_emergency("70", "o4");
    EXPECT_EQ(again.link->sent().size(), before);
    hub->set_emergency("@box-1", "o5");
    EXPECT_EQ(again.link->last_request("set_volume")->at("params").at("volume").as_double(), 0.5)
        << "aimed at the cluster alone: still its unit's emergency volume, set aside or not before";
}

TEST_F(ReceiverHubTest, PlayedSecondsReportedAreFoundByTheClustersChannelAndTime) {
    auto p = connect();
    ASSERT_TRUE(hello(p).contains("result"));
    auto now_s = std::chrono::duration_cast<seconds>(clock.system_now().time_since_epoch()).count();
    // Sound in the second of the report and the one 3 s before it (bits 0 and 3).
    p.handler->on_message(R"({"jsonrpc": "2.0", "method": "status",
        "params": {"played_ms": 4000, "sound_ms": 200, "sound_seconds": 9}})");
    auto found = hub->played({{"70-001", now_s - 3, now_s - 3},
                              {"70-001", now_s - 2, now_s - 1},
                              {"@box-1", now_s, now_s + 10},
                              {"70", now_s - 10, now_s}});
    ASSERT_EQ(found.size(), 4U);
    EXPECT_EQ(found[0], (server::PlayedClusters{{"box-1", now_s - 3}}));
    EXPECT_TRUE(found[1].empty());
    EXPECT_EQ(found[2], (server::PlayedClusters{{"box-1", now_s}})) << "its first second of sound";
    EXPECT_TRUE(found[3].empty()) << "another unit's channel";
}

TEST_F(ReceiverHubTest, ARekeyRotatesKeyAndSecretOnlyOnceTheReceiverTakesThem) {
    auto p = connect();
    ASSERT_TRUE(hello(p).contains("result"));
    auto old_key = stored_key();

    auto rekeyed = std::async(std::launch::async, [&] { return hub->rekey("box-1"); });
    ASSERT_TRUE(test::wait_until([&] { return p.link->request("rekey").has_value(); }, seconds(3)));
    auto asked = *p.link->request("rekey");
    auto new_key = common::from_base64(std::string(asked.at("params").at("key").as_string()));
    ASSERT_TRUE(new_key);
    EXPECT_NE(*new_key, old_key);
    std::string new_secret(asked.at("params").at("secret").as_string());
    EXPECT_GE(new_secret.size(), 32U);
    EXPECT_NE(new_secret, secret);
    EXPECT_EQ(stored_key(), old_key) << "not switched before the receiver answers";
    p.handler->on_message(json::serialize(
        json::object{{"jsonrpc", "2.0"}, {"id", asked.at("id")}, {"result", json::object{}}}));
    auto done = rekeyed.get();
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_TRUE(*done) << "it was online";
    EXPECT_EQ(stored_key(), *new_key);

    // Whoever copied the old bundle is locked out; the receiver gets in with its new secret.
    auto clone = connect("127.0.0.1:40009");
    EXPECT_EQ(code_of(clone.call("hello", {{"id", "box-1"}, {"secret", secret}})),
              server::rpc_code::kUnauthorized);
    auto genuine = connect("127.0.0.1:40001");
    EXPECT_TRUE(
        genuine.call("hello", {{"id", "box-1"}, {"secret", new_secret}}).contains("result"));
}

TEST_F(ReceiverHubTest, ARefusedOrUnansweredRekeyKeepsTheKeyAndTheCallSaysSo) {
    auto p = connect();
    ASSERT_TRUE(hello(p).contains("result"));
    auto old_key = stored_key();
    auto refused = std::async(std::launch::async, [&] { return hub->rekey("box-1"); });
    ASSERT_TRUE(test::wait_until([&] { return p.link->request("rekey").has_value(); }, seconds(3)));
    auto asked = *p.link->request("rekey");
    std::string offered(asked.at("params").at("secret").as_string());
    p.handler->on_message(json::serialize(
        json::object{{"jsonrpc", "2.0"},
                     {"id", asked.at("id")},
                     {"error", json::object{{"code", -32000}, {"message", "disk full"}}}}));
    auto no = refused.get();
    ASSERT_FALSE(no);
    EXPECT_NE(no.error().message.find("refused the new key; its key and secret stay"),
              std::string::npos);
    EXPECT_EQ(stored_key(), old_key);
    auto other = connect("127.0.0.1:40002");
    EXPECT_EQ(code_of(other.call("hello", {{"id", "box-1"}, {"secret", offered}})),
              server::rpc_code::kUnauthorized);

    // A receiver that does not answer keeps its key; the call says so.
    auto again = connect("127.0.0.1:40003");
    ASSERT_TRUE(hello(again).contains("result"));
    auto unanswered = hub->rekey("box-1");
    ASSERT_FALSE(unanswered);
    EXPECT_NE(unanswered.error().message.find("did not answer the rekey in time; its key stays"),
              std::string::npos);
    EXPECT_EQ(stored_key(), old_key);
}

TEST_F(ReceiverHubTest, AnOfflineReceiverGetsItsNewKeyAtItsHelloAndItsNewSecretRightAfter) {
    auto p = connect();
    ASSERT_TRUE(hello(p).contains("result"));
    p.handler->on_close();
    auto old_key = stored_key();
    auto offline = hub->rekey("box-1");
    ASSERT_TRUE(offline);
    EXPECT_FALSE(*offline) << "it was offline";
    EXPECT_NE(stored_key(), old_key);
    EXPECT_TRUE(value(registry->find("box-1")).rotation_owed);

    auto again = connect("127.0.0.1:40001");
    auto r = hello(again).at("result").as_object();
    EXPECT_EQ(common::from_base64(std::string(r.at("key").as_string())), stored_key());
    // Right after its hello, the hub completes the rekey it owes: key and secret.
    ASSERT_TRUE(
        test::wait_until([&] { return again.link->request("rekey").has_value(); }, seconds(3)));
    auto asked = *again.link->request("rekey");
    std::string new_secret(asked.at("params").at("secret").as_string());
    again.handler->on_message(json::serialize(
        json::object{{"jsonrpc", "2.0"}, {"id", asked.at("id")}, {"result", json::object{}}}));
    ASSERT_TRUE(test::wait_until([&] { return !value(registry->find("box-1")).rotation_owed; },
                                 seconds(3)));
    auto clone = connect("127.0.0.1:40009");
    EXPECT_EQ(code_of(clone.call("hello", {{"id", "box-1"}, {"secret", secret}})),
              server::rpc_code::kUnauthorized);
    auto genuine = connect("127.0.0.1:40002");
    EXPECT_TRUE(
        genuine.call("hello", {{"id", "box-1"}, {"secret", new_secret}}).contains("result"));
}

TEST_F(ReceiverHubTest, UnprovisionTellsTheReceiverAndItsSecretStopsWorking) {
    auto p = connect();
    ASSERT_TRUE(hello(p).contains("result"));
    ASSERT_TRUE(hub->unprovision("box-1"));
    EXPECT_TRUE(p.link->request("unprovision"));
    EXPECT_TRUE(p.link->closed());
    EXPECT_EQ(notices_of("receiver.unprovisioned"), 1);
    EXPECT_TRUE(hub->list(server::Scope{}).empty());
    EXPECT_EQ(hub->online_count(), 0U);

    auto again = connect("127.0.0.1:40001");
    EXPECT_EQ(code_of(hello(again)), -32004);
    EXPECT_FALSE(hub->unprovision("box-1"));
}
