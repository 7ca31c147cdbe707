// Supervision with real processes: a provisioned loa-receiver killed and started again, seen
// by an operator's WebSocket (alarm.raised, alarm.cleared), the API (alarms.list,
// alarms.history, alarms.acknowledge) and /metrics; and a webhook (a real HTTP server in the
// test) down while alarms are raised. Prints the time from the kill to the alarm
// (docs/performance.md, "Supervision"). Proof of play with a cluster whose output a drilled
// local fault silences during an emergency, dead air when a relay's web server stops, an
// airing late when a relay's server never answers, and an airing failed when its file is gone;
// in a network namespace of its own, a cluster whose packets are lost in part (lossy) or in
// whole (no media) while its control channel stays up.
#include <boost/json.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <set>
#include <unistd.h>

#include "harness.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/http/server.hpp"
#include "netns.hpp"
#include "tcp_client.hpp"
#include "wav.hpp"

using namespace loa::test;
namespace http = loa::http;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "70-001", "name": "Xã A", "quiet_hours": "none", "approval_required": true}]})";

/// The alarm notification `method` of `kind` about `subject`, waited for (bounded).
std::optional<json::object> await_alarm(loa::clients::ApiConnection& c, const std::string& method,
                                        const std::string& subject, seconds wait,
                                        const std::string& kind = "cluster_offline") {
    std::optional<json::object> found;
    wait_until(
        [&] {
            while (auto n = c.next(std::chrono::milliseconds(50))) {
                const auto& p = n->at("params");
                if (n->at("method") == method.c_str() && p.at("kind") == kind.c_str() &&
                    p.at("subject") == subject.c_str())
                    found = p.as_object();
            }
            return found.has_value();
        },
        wait);
    return found;
}

std::string metrics(int port) {
    return exchange(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

} // namespace

TEST(Supervision, AKilledClusterRaisesAnOfflineAlarmWithinTheGraceAndClearsWhenItIsBack) {
    Scenario s("supervision-offline");
    s.write_province_config(kProvince); // control.offline_grace_s: 2
    s.start_server();
    auto admin = connect_api(s.api_url() + "/api/v1/ws");
    admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
    admin->call("subscribe", {{"topics", json::array{"alarms"}}});
    auto made = admin->call("receivers.provision", {{"id", "box-1"}, {"unit", "70-001"}});
    std::string bundle = s.dir().file("box-1.bundle.json");
    std::ofstream(bundle) << json::serialize(made.as_object().at("bundle"));
    auto online = [&] {
        auto list = admin->call("receivers.list").as_array();
        return list.size() == 1 && list[0].at("online").as_bool();
    };
    // Provisioned, it is not offline while it says its first hello.
    auto& receiver = s.start_provisioned_receiver("box-1", bundle);
    ASSERT_TRUE(wait_until(online, seconds(20)));

    // A power cut: the process dies without a word.
    auto killed = std::chrono::steady_clock::now();
    auto killed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    receiver.signal(SIGKILL);
    ASSERT_TRUE(wait_until([&] { return !receiver.running(); }, seconds(10)));
    auto raised = await_alarm(*admin, "alarm.raised", "box-1", seconds(30));
    ASSERT_TRUE(raised) << "no alarm within 30 s";
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
    std::printf("supervision: cluster offline, kill to alarm.raised: %.1f s (grace 2 s)\n", took);
    EXPECT_LE(took, 2 + 10) << "control.offline_grace_s + 10 s";
    EXPECT_EQ(raised->at("severity"), "major");
    EXPECT_EQ(raised->at("unit"), "70-001");
    EXPECT_TRUE(raised->at("active").as_bool());

    auto active = admin->call("alarms.list", {{"kind", "cluster_offline"}}).as_array();
    ASSERT_EQ(active.size(), 1U);
    EXPECT_EQ(active[0].at("id"), raised->at("id"));
    EXPECT_NE(metrics(s.http_port())
                  .find("loa_alarms_active{kind=\"cluster_offline\",severity=\"major\",unit="
                        "\"70-001\"} 1"),
              std::string::npos);
    auto acknowledged = admin->call("alarms.acknowledge", {{"id", raised->at("id")}});
    EXPECT_EQ(acknowledged.at("acknowledged_by"), "admin");

    // Back: the alarm clears by itself.
    s.start_provisioned_receiver("box-1", bundle);
    auto cleared = await_alarm(*admin, "alarm.cleared", "box-1", seconds(30));
    ASSERT_TRUE(cleared);
    EXPECT_EQ(cleared->at("id"), raised->at("id"));
    EXPECT_FALSE(cleared->at("active").as_bool());
    EXPECT_TRUE(admin->call("alarms.list", {{"kind", "cluster_offline"}}).as_array().empty());
    auto history =
        admin->call("alarms.history", {{"kind", "cluster_offline"}, {"from_ms", killed_ms}})
            .as_array();
    ASSERT_EQ(history.size(), 1U) << "one episode, one alarm";
    EXPECT_EQ(history[0].at("acknowledged_by"), "admin");
    EXPECT_TRUE(history[0].at("cleared_at_ms").is_int64());
    EXPECT_EQ(metrics(s.http_port()).find("kind=\"cluster_offline\""), std::string::npos);
}

TEST(Supervision, AWebhookThatIsDownGetsEveryAlarmInOrderOnceItIsUp) {
    Scenario s("supervision-webhook");
    // A port nothing listens on yet: the province's gateway, down.
    auto port = static_cast<std::uint16_t>(free_tcp_port());
    s.write_province_config(kProvince,
                            R"("supervision": {"webhooks": [{"url": "http://127.0.0.1:)" +
                                std::to_string(port) + R"(/loa", "min_severity": "major"}]})");
    s.start_server();
    // Two clusters that never connect: two cluster_offline alarms once the grace (2 s) is over.
    for (const char* id : {"box-1", "box-2"})
        s.call("receivers.provision", R"({"id": ")" + std::string(id) + R"(", "unit": "70-001"})");
    auto attempts = [&] {
        loa::common::Database db(s.dir().file("state") + "/loa.db");
        auto q = db.prepare("SELECT COALESCE(MAX(attempts), 0) FROM webhook_delivery");
        return q.step() ? q.integer(0) : 0;
    };
    ASSERT_TRUE(wait_until([&] { return attempts() >= 2; }, seconds(30)))
        << "the server never tried the webhook";

    std::mutex mutex;
    std::vector<json::object> got;
    http::HttpServer gateway("127.0.0.1", port, [&](const http::HttpRequest& r) {
        std::lock_guard lock(mutex);
        got.push_back(json::parse(r.body).as_object());
        return http::json_response(200, "{}");
    });
    gateway.start();
    // Every alarm the server raised meanwhile comes, in order; the machine's own (a clock
    // without NTP here, say) may come with the clusters'. A delivery whose answer was lost on
    // the way comes again, with the same number (docs/supervision.md): counted once.
    auto offline = [&] {
        std::map<std::int64_t, json::object> out;
        for (const auto& g : got)
            if (g.at("alarm").at("kind") == "cluster_offline")
                out.emplace(g.at("delivery").as_int64(), g);
        return out;
    };
    ASSERT_TRUE(wait_until(
        [&] {
            std::lock_guard lock(mutex);
            return offline().size() >= 2;
        },
        seconds(30)));
    EXPECT_TRUE(wait_until(
        [&] {
            return metrics(s.http_port()).find("loa_webhook_deliveries_pending 0") !=
                   std::string::npos;
        },
        seconds(30)))
        << "every delivery made";
    gateway.stop();
    std::lock_guard lock(mutex);
    for (std::size_t i = 1; i < got.size(); ++i) {
        auto before = got[i - 1].at("delivery").as_int64();
        auto now = got[i].at("delivery").as_int64();
        EXPECT_TRUE(now > before || got[i] == got[i - 1]) << "in order, or the same again";
    }
    auto clusters = offline();
    ASSERT_EQ(clusters.size(), 2U);
    std::set<std::string> subjects;
    for (const auto& [delivery, g] : clusters) {
        EXPECT_EQ(g.at("event"), "alarm.raised");
        EXPECT_EQ(g.at("server"), "Tỉnh");
        subjects.insert(std::string(g.at("alarm").at("subject").as_string()));
    }
    EXPECT_EQ(subjects, (std::set<std::string>{"box-1", "box-2"}));
}

TEST(Supervision, AClusterWhoseOutputALocalFaultSilencesFailsProofOfPlay) {
    Scenario s("supervision-proof-of-play");
    write_tone_wav(s.dir().file("tone.wav"), 440, 120);
    s.write_province_config(kProvince, R"("supervision": {"proof_window_s": 5})");
    s.start_server();
    auto admin = connect_api(s.api_url() + "/api/v1/ws");
    admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
    admin->call("subscribe", {{"topics", json::array{"alarms"}}});
    for (const char* id : {"box-ok", "box-drill"}) {
        auto made = admin->call("receivers.provision", {{"id", id}, {"unit", "70-001"}});
        std::string bundle = s.dir().file(std::string(id) + ".bundle.json");
        std::ofstream(bundle) << json::serialize(made.as_object().at("bundle"));
        s.start_provisioned_receiver(
            id, bundle,
            std::string(id) == "box-drill"
                ? std::vector<std::string>{"--set", "drill_silent_output=true"}
                : std::vector<std::string>{});
    }
    ASSERT_TRUE(wait_until(
        [&] {
            auto list = admin->call("receivers.list").as_array();
            return list.size() == 2 && list[0].at("online").as_bool() &&
                   list[1].at("online").as_bool();
        },
        seconds(20)));
    auto started = std::chrono::steady_clock::now();
    auto airing = admin->call(
        "emergency.start", {{"units", json::array{"70-001"}}, {"path", s.dir().file("tone.wav")}});
    auto raised = await_alarm(*admin, "alarm.raised", "box-drill", seconds(40), "cluster_silent");
    ASSERT_TRUE(raised) << "no proof-of-play alarm within 40 s";
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("supervision: cluster silent, airing start to alarm.raised: %.1f s (window 5 s)\n",
                took);
    EXPECT_EQ(raised->at("severity"), "critical") << "it fails to play an emergency";
    EXPECT_EQ(raised->at("figures").at("sound_ms"), 0);
    // The healthy cluster played: its level is reported, and it has no alarm.
    auto list = admin->call("receivers.list").as_array();
    for (const auto& r : list) {
        const auto& status = r.at("status").as_object();
        ASSERT_TRUE(status.contains("sound_ms")) << json::serialize(r);
        if (r.at("id") == "box-ok")
            EXPECT_GT(status.at("level_dbfs").to_number<double>(), -40) << json::serialize(r);
        else
            EXPECT_EQ(status.at("sound_ms"), 0) << json::serialize(r);
    }
    auto silent = admin->call("alarms.list", {{"kind", "cluster_silent"}}).as_array();
    ASSERT_EQ(silent.size(), 1U);
    EXPECT_EQ(silent[0].at("subject"), "box-drill");
    EXPECT_TRUE(admin->call("alarms.list", {{"kind", "cluster_no_media"}}).as_array().empty());

    // The as-run log: both were sent the emergency, one verifiably played it.
    admin->call("emergency.stop", {{"id", airing.at("override")}});
    json::value row;
    EXPECT_TRUE(wait_until(
        [&] {
            auto rows = admin->call("as_run.list").as_array();
            if (rows.empty() || rows.back().at("outcome").is_null())
                return false;
            row = rows.back();
            return row.at("played").to_number<int>() >= 1;
        },
        seconds(20)))
        << json::serialize(row);
    EXPECT_EQ(row.at("receivers"), 2);
    EXPECT_EQ(row.at("played"), 1);
}

TEST(Supervision, ARelayWhoseServerStopsIsDeadAirWithinItsThreshold) {
    if (::access("/usr/bin/python3", X_OK) != 0)
        GTEST_SKIP() << "python3 (scripts/setup.sh installs it) serves the live stream";
    Scenario s("supervision-dead-air");
    s.write_province_config(kProvince, R"("supervision": {"dead_air_s": 5})");
    s.start_server();
    // A live radio: a WAV header, then a 440 Hz tone in real time, for as long as it runs.
    auto port = free_tcp_port();
    Process radio({"/usr/bin/python3", "-c", R"(
import http.server, math, struct, sys, time
tone = b''.join(struct.pack('<h', int(8000 * math.sin(2 * math.pi * 440 * i / 48000)))
                for i in range(4800))
class Live(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'audio/x-wav')
        self.end_headers()
        self.wfile.write(b'RIFF' + struct.pack('<I', 0x7fffffff) + b'WAVEfmt ' +
                         struct.pack('<IHHIIHH', 16, 1, 1, 48000, 96000, 2, 16) +
                         b'data' + struct.pack('<I', 0x7fffff00))
        start = time.monotonic()
        for n in range(6000):
            self.wfile.write(tone)
            time.sleep(max(0, start + (n + 1) * 0.1 - time.monotonic()))
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Live).serve_forever()
)",
                   std::to_string(port)},
                  s.dir().file("radio.log"));
    auto admin = connect_api(s.api_url() + "/api/v1/ws");
    admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
    admin->call("subscribe", {{"topics", json::array{"alarms"}}});
    auto airing = admin->call("emergency.start",
                              {{"units", json::array{"70-001"}},
                               {"url", "http://127.0.0.1:" + std::to_string(port) + "/live"}});
    // On air and sounding: no dead air. A deliberate look of the threshold and a half, as
    // nothing is to happen (DEVELOPERS.md, Tests).
    auto look_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(7500);
    while (std::chrono::steady_clock::now() < look_until) {
        if (auto n = admin->next(std::chrono::milliseconds(100))) {
            ASSERT_NE(n->at("params").at("kind"), "dead_air") << json::serialize(*n);
        }
    }

    auto stopped = std::chrono::steady_clock::now();
    radio.signal(SIGKILL);
    std::optional<json::object> raised;
    ASSERT_TRUE(wait_until(
        [&] {
            while (auto n = admin->next(std::chrono::milliseconds(50)))
                if (n->at("method") == "alarm.raised" && n->at("params").at("kind") == "dead_air")
                    raised = n->at("params").as_object();
            return raised.has_value();
        },
        seconds(30)))
        << "no dead air within 30 s of the relay's server stopping";
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
    std::printf("supervision: dead air, relay server killed to alarm.raised: %.1f s "
                "(threshold 5 s)\n",
                took);
    EXPECT_LE(took, 5 + 10);
    EXPECT_EQ(raised->at("unit"), "70-001");
    EXPECT_EQ(raised->at("severity"), "major");

    // Taken off air: nothing is silent any more, the alarm clears.
    admin->call("emergency.stop", {{"id", airing.at("override")}});
    EXPECT_TRUE(wait_until(
        [&] {
            return admin->call("alarms.list", {{"kind", "dead_air"}}).as_array().empty();
        },
        seconds(10)));
}

TEST(Supervision, ARelayThatNeverAnswersIsLateAndAProgramWhoseFileIsGoneFailed) {
    if (::access("/usr/bin/python3", X_OK) != 0)
        GTEST_SKIP() << "python3 (scripts/setup.sh installs it) is the relay that never answers";
    Scenario s("supervision-late");
    s.write_province_config(kProvince);
    s.start_server();
    // A web server that takes the request and never answers it.
    auto port = free_tcp_port();
    Process mute({"/usr/bin/python3", "-c", R"(
import http.server, sys, time
class Mute(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(600)
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Mute).serve_forever()
)",
                  std::to_string(port)},
                 s.dir().file("mute.log"));
    auto admin = connect_api(s.api_url() + "/api/v1/ws");
    admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
    admin->call("subscribe", {{"topics", json::array{"alarms"}}});

    auto started = std::chrono::steady_clock::now();
    auto airing = admin->call("emergency.start",
                              {{"units", json::array{"70-001"}},
                               {"url", "http://127.0.0.1:" + std::to_string(port) + "/live"}});
    auto key = "o" + std::to_string(airing.at("override").as_int64());
    auto raised = await_alarm(*admin, "alarm.raised", key, seconds(30), "airing_late");
    ASSERT_TRUE(raised) << "no airing_late within 30 s of an airing without audio";
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("supervision: airing late, on air to alarm.raised: %.1f s (allowance 5 s)\n", took);
    EXPECT_GE(took, 5);
    EXPECT_LE(took, 5 + 10);
    EXPECT_EQ(raised->at("unit"), "70-001");
    admin->call("emergency.stop", {{"id", airing.at("override")}});
    EXPECT_TRUE(await_alarm(*admin, "alarm.cleared", key, seconds(10), "airing_late"))
        << "off air: no longer late";

    // A file program whose stored audio is gone (a disk fault, a hand in the state folder).
    auto wav = s.dir().file("news.wav");
    write_tone_wav(wav, 440, 2);
    // Imported from a path: the control socket's call, the server's own administrator's.
    auto program = s.call("programs.create",
                          R"({"unit": "70-001", "kind": "file", "title": "Bản tin", "path": ")" +
                              wav + R"("})");
    auto program_id = program.at("id").as_int64();
    s.call("programs.decide",
           R"({"id": )" + std::to_string(program_id) + R"(, "approval": "approved"})");
    std::size_t removed = 0;
    for (const auto& f : std::filesystem::directory_iterator(s.dir().file("state") + "/media"))
        if (f.is_regular_file() && std::filesystem::remove(f.path()))
            ++removed;
    ASSERT_GE(removed, 1U);
    started = std::chrono::steady_clock::now();
    auto failed_airing =
        admin->call("emergency.start", {{"units", json::array{"70-001"}}, {"program", program_id}});
    key = "o" + std::to_string(failed_airing.at("override").as_int64());
    auto failed = await_alarm(*admin, "alarm.raised", key, seconds(30), "airing_failed");
    ASSERT_TRUE(failed) << "no airing_failed within 30 s of an airing whose file is gone";
    took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("supervision: airing failed, started to alarm.raised: %.1f s\n", took);
    EXPECT_LE(took, 10);
    EXPECT_EQ(failed->at("severity"), "critical") << "an emergency's";
    EXPECT_EQ(failed->at("unit"), "70-001");
    EXPECT_NE(failed->at("text_en").as_string().find("Bản tin"), std::string::npos)
        << json::serialize(*failed);
}

TEST(Supervision, AClusterLosingPacketsIsLossyAndOneReceivingNoneHasNoMedia) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root for ip netns and nft";
    Netns ns;
    ASSERT_TRUE(ns.ok()) << "cannot create a network namespace";
    Scenario s("supervision-network");
    s.use_netns(ns.name()); // the server and the receiver; the test speaks by the control socket
    write_tone_wav(s.dir().file("tone.wav"), 440, 300); // longer than the test
    // Provisioned by the control socket, which has no Host to name the server by in the bundle.
    s.add_http_settings(R"("public_url": "ws://127.0.0.1:)" + std::to_string(s.http_port()) +
                        R"(")");
    s.write_province_config(kProvince, R"("supervision": {"proof_window_s": 5})");
    s.start_server();
    auto made = s.call("receivers.provision", R"({"id": "box", "unit": "70-001"})");
    std::string bundle = s.dir().file("box.bundle.json");
    std::ofstream(bundle) << json::serialize(made.at("bundle"));
    s.start_provisioned_receiver("box", bundle);
    ASSERT_TRUE(wait_until(
        [&] {
            auto list = s.call("receivers.list").as_array();
            return list.size() == 1 && list[0].at("online").as_bool();
        },
        seconds(20)))
        << read_file(s.receiver_log("box"));
    s.call("emergency.start",
           R"({"units": ["70-001"], "path": ")" + s.dir().file("tone.wav") + R"("})");
    auto active = [&](const std::string& kind) {
        return !s.call("alarms.list", R"({"kind": ")" + kind + R"("})").as_array().empty();
    };
    /// Seconds from now until `kind` is active (bounded), or -1.
    auto time_to = [&](const std::string& kind) {
        auto from = std::chrono::steady_clock::now();
        if (!wait_until([&] { return active(kind); }, seconds(40)))
            return -1.0;
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
    };
    // A healthy window first: the cluster plays, nothing is wrong.
    ASSERT_TRUE(wait_until(
        [&] {
            auto list = s.call("receivers.list").as_array();
            const auto& status = list[0].as_object();
            return status.contains("status") &&
                   status.at("status").as_object().contains("sound_ms") &&
                   status.at("status").at("sound_ms").to_number<double>() > 0;
        },
        seconds(20)));

    ASSERT_TRUE(ns.loss(50)); // half of the UDP, each way: media and the receiver's reports
    auto lossy = time_to("cluster_lossy");
    ASSERT_GE(lossy, 0) << "no cluster_lossy within 40 s of 50 % loss";
    std::printf("supervision: cluster lossy, 50 %% loss to alarm: %.1f s (window 5 s)\n", lossy);

    ASSERT_TRUE(ns.loss(100)); // no media at all; the control channel (TCP) stays up
    auto no_media = time_to("cluster_no_media");
    ASSERT_GE(no_media, 0) << "no cluster_no_media within 40 s of an outage of the media";
    std::printf("supervision: cluster no media, outage to alarm: %.1f s (window 5 s)\n", no_media);
    EXPECT_TRUE(s.call("receivers.list").as_array()[0].at("online").as_bool())
        << "online all along: the control channel is up";

    ASSERT_TRUE(ns.loss(0));
    EXPECT_TRUE(wait_until([&] { return !active("cluster_no_media") && !active("cluster_lossy"); },
                           seconds(40)))
        << "the network is whole again: both clear";
    EXPECT_EQ(s.call("overrides.list").as_array().size(), 1U)
        << "cleared while the emergency still plays";
}

TEST(Supervision, AMutedClusterPlaysAnEmergencyAtItsUnitsVolumeAndIsMutedAgainAfter) {
    Scenario s("supervision-emergency-volume");
    write_tone_wav(s.dir().file("tone.wav"), 440, 120);
    s.write_province_config(R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
        "approval_required": false, "communes": [{"code": "70-001", "name": "Xã A",
        "quiet_hours": "none", "emergency_volume": 0.5}]})");
    s.start_server();
    auto admin = connect_api(s.api_url() + "/api/v1/ws");
    admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
    auto made = admin->call("receivers.provision", {{"id", "box-1"}, {"unit", "70-001"}});
    std::string bundle = s.dir().file("box-1.bundle.json");
    std::ofstream(bundle) << json::serialize(made.as_object().at("bundle"));
    s.start_provisioned_receiver("box-1", bundle);
    /// The receiver's own report of how it plays, once it says `muted` and `volume`.
    auto reports = [&](bool muted, double volume) {
        auto list = admin->call("receivers.list").as_array();
        if (list.size() != 1 || !list[0].as_object().contains("status"))
            return false;
        const auto& status = list[0].at("status").as_object();
        return status.contains("muted") && status.at("muted").as_bool() == muted &&
               status.at("volume").to_number<double>() == volume;
    };
    admin->call("receivers.set_volume", {{"id", "box-1"}, {"muted", true}});
    ASSERT_TRUE(wait_until([&] { return reports(true, 1.0); }, seconds(20)));

    auto airing = admin->call(
        "emergency.start", {{"units", json::array{"70-001"}}, {"path", s.dir().file("tone.wav")}});
    ASSERT_TRUE(wait_until([&] { return reports(false, 0.5); }, seconds(10)));
    auto during = admin->call("receivers.list").as_array()[0];
    EXPECT_TRUE(during.at("emergency").as_bool());
    EXPECT_TRUE(during.at("muted").as_bool()) << "its own setting is kept";
    // Three seconds of it played, then the emergency ends.
    ASSERT_TRUE(wait_until(
        [&] {
            auto status = admin->call("receivers.list").as_array()[0].at("status");
            return status.as_object().contains("played_ms") &&
                   status.at("played_ms").to_number<double>() >= 3000;
        },
        seconds(20)));
    admin->call("emergency.stop", {{"id", airing.at("override")}});
    ASSERT_TRUE(wait_until([&] { return reports(true, 1.0); }, seconds(10)))
        << "muted again after the emergency";
    EXPECT_FALSE(admin->call("receivers.list").as_array()[0].at("emergency").as_bool());

    // Its recording: the tone (0.5 of full scale, RMS 0.35) at half volume, not muted.
    s.stop_receivers();
    auto wav = read_wav(s.wav("box-1"));
    ASSERT_GE(wav.seconds(), 2.5);
    double level = rms(wav, 0.5, 2.5);
    std::printf("supervision: emergency at volume 0.5 over a muted cluster: RMS %.3f\n", level);
    EXPECT_NEAR(level, 0.354 * 0.5, 0.04);
}
