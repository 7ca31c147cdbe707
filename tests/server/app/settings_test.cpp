#include <gtest/gtest.h>

#include "loa/server/app/options.hpp"
#include "loa/server/app/settings.hpp"

using loa::common::Config;
using loa::common::ConfigError;
using loa::server::load_settings;

namespace {

const char* kKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"; // 30 bytes

std::string error_of(const std::string& json) {
    try {
        load_settings(Config::parse(json, "t"));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST(Settings, DefaultsFollowTheDesignBrief) {
    auto s = load_settings(Config::parse("{}", "t"));
    EXPECT_EQ(s.media_port, 5004);
    EXPECT_EQ(s.profile, loa::pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80);
    EXPECT_EQ(s.key_mode, loa::server::KeyMode::per_receiver);
    EXPECT_EQ(s.encoder.bitrate_kbps, 32);
    EXPECT_EQ(s.encoder.channels, 1);
    EXPECT_TRUE(s.encoder.inband_fec);
}

TEST(Settings, AFullConfigurationLoads) {
    auto s = load_settings(Config::parse(std::string(R"({
        "media": {"port": 6000, "profile": "aead_aes_128_gcm"},
        "sources": [{"id": "radio", "type": "relay", "location": "https://radio.example/live"},
                    {"id": "t", "type": "tone", "frequency": 440}],
        "channels": [{"id": "province", "source": "radio"}],
        "receivers": [{"id": "r1", "channel": "province", "key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="}]
    })"),
                                         "t"));
    EXPECT_EQ(s.profile, loa::pipeline::SrtpProfile::aead_aes_128_gcm);
    ASSERT_EQ(s.sources.size(), 2U);
    EXPECT_EQ(s.sources[1].frequency_hz, 440);
    ASSERT_EQ(s.receivers.size(), 1U);
    EXPECT_EQ(s.receivers[0].key.size(), 28U);
}

TEST(Settings, ErrorsSayWhatToFix) {
    EXPECT_EQ(error_of(R"({"opus": {"bitrate_kbps": 256}})"),
              "config key \"opus.bitrate_kbps\": must be between 16 and 128, got 256");
    EXPECT_EQ(error_of(R"({"media": {"profile": "aes_cm_128_hmac_sha1_32"}})"),
              "config key \"media.profile\": unknown value \"aes_cm_128_hmac_sha1_32\"; expected "
              "one of: aes_cm_128_hmac_sha1_80, aead_aes_128_gcm");
    EXPECT_EQ(error_of(R"({"channels": [{"id": "c", "source": "nope"}]})"),
              "config key \"channels[0].source\": no source has id \"nope\"");
    EXPECT_EQ(
        error_of(std::string(
            R"({"channels": [{"id": "c"}], "receivers": [{"id": "r", "channel": "c", "key": "abc"}]})")),
        "config key \"receivers[0].key\": not valid base64");
    EXPECT_NE(
        error_of(
            R"({"channels": [{"id": "c"}], "receivers": [{"id": "r", "channel": "c", "key": "AAAA"}]})")
            .find("key is 30 bytes of base64 (master key + salt), got 3 bytes"),
        std::string::npos);
    EXPECT_EQ(
        error_of(R"({"sources": [{"id": "s", "type": "relay", "location": "ftp://x"}]})"),
        "config key \"sources[0].location\": a relay needs an http://, https:// or rtsp:// URL");
    EXPECT_EQ(error_of(R"({"sources": [{"id": "s", "type": "speaker"}]})"),
              "config key \"sources[0].type\": unknown value \"speaker\"; expected one of: file, "
              "relay, alsa, tone, pipeline");
    EXPECT_EQ(error_of(R"({"medai": {}})"),
              "config key \"medai\": unknown key; did you mean \"media\"?");
    EXPECT_EQ(
        error_of(
            std::string(
                R"({"channels": [{"id": "c"}], "receivers": [{"id": "r", "channel": "c", "key": ")") +
            kKey + R"(", "address": "nowhere"}]})"),
        "config key \"receivers[0].address\": expected IPv4:port, e.g. 127.0.0.1:6000");
    EXPECT_EQ(error_of(R"({"channels": [{"id": "c"}, {"id": "c"}]})"),
              "config key \"channels\": the id \"c\" is used twice");
}

TEST(Settings, TheProvinceScheduleSpeechAndHttpSectionsLoadAndExplainTheirErrors) {
    auto s = load_settings(Config::parse(
        R"({"province": {"code": "70", "name": "Bình Phước", "quiet_hours": "none",
                         "communes": [{"code": "70-001", "name": "Tân Lập"}]},
            "schedule": {"time_zone": "Asia/Ho_Chi_Minh", "lead_ms": 2000},
            "speech": {"voice": "vi", "rate_wpm": 170}, "http": {"port": 0}})",
        "t"));
    ASSERT_TRUE(s.province);
    EXPECT_EQ(s.province->province.quiet_start, s.province->province.quiet_end); // none
    EXPECT_EQ(s.province->communes[0].quiet_start, "22:00");
    EXPECT_EQ(s.lead, std::chrono::milliseconds(2000));
    EXPECT_EQ(s.http_port, 0);
    EXPECT_EQ(s.http_bind, "127.0.0.1");
    EXPECT_EQ(loa::server::all_channels(s), (std::vector<std::string>{"70", "70-001"}));
    EXPECT_EQ(error_of(R"({"http": {"port": 70000}})").substr(0, 24), "config key \"http.port\": ");
    EXPECT_EQ(error_of(R"({"province": {"code": "70", "name": "P", "quiet_hours": "late"}})"),
              "config key \"province.quiet_hours\": expected HH:MM-HH:MM in local time, e.g. "
              "22:00-05:00, or \"none\"");
    EXPECT_EQ(
        error_of(R"({"province": {"code": "70", "name": "P"},
                    "sources": [{"id": "t", "type": "tone"}],
                    "channels": [{"id": "70", "source": "t"}]})"),
        "config key \"channels\": channel \"70\" is a unit's channel: the schedule decides what "
        "it plays; remove its \"source\"");
}

TEST(Settings, LiveInputsAreTheAdminsListOfSafeDeviceNames) {
    auto s = load_settings(Config::parse(
        R"({"live_inputs": [{"id": "studio", "device": "plughw:CARD=USB,DEV=0", "name": "Phòng thu"},
                            {"id": "mic-2", "device": "hw:1,0"}],
            "programs": {"import_dir": "/srv/loa/import"}})",
        "t"));
    ASSERT_EQ(s.live_inputs.size(), 2U);
    EXPECT_EQ(s.live_inputs[0].device, "plughw:CARD=USB,DEV=0");
    EXPECT_EQ(s.live_inputs[1].name, "mic-2");
    EXPECT_EQ(s.import_dir, "/srv/loa/import");
    EXPECT_FALSE(s.allow_private_relays);
    for (const char* device : {"file:'|touch /tmp/x'", "file:/tmp/x", "tee:hw:0,/tmp/x", "hw:0 ",
                               "{type file}", "pipe:x", "ladspa", "shm:x", ""})
        EXPECT_NE(
            error_of(std::string(R"({"live_inputs": [{"id": "a", "device": ")") + device +
                     R"("}]})")
                .find("config key \"live_inputs[0].device\": expected an ALSA capture device"),
            std::string::npos)
            << device;
    EXPECT_NE(error_of(R"({"sources": [{"id": "s", "type": "alsa", "location": "file:'|id'"}]})")
                  .find("expected an ALSA capture device"),
              std::string::npos);
    EXPECT_NE(
        error_of(R"({"live_inputs": [{"id": "a b", "device": "hw:0"}]})").find("live_inputs[0].id"),
        std::string::npos);
    EXPECT_NE(
        error_of(
            R"({"live_inputs": [{"id": "a", "device": "hw:0"}, {"id": "a", "device": "hw:1"}]})")
            .find("used twice"),
        std::string::npos);
    EXPECT_NE(error_of(R"({"programs": {"import_dir": "relative/path"}})").find("absolute path"),
              std::string::npos);
}

TEST(Settings, LiveBroadcastsHaveDefaultsAndCheckTheirAddresses) {
    auto defaults = load_settings(Config::parse("{}", "t")).live;
    EXPECT_TRUE(defaults.addresses.empty());
    EXPECT_EQ(defaults.jitter_ms, 60);
    EXPECT_EQ(defaults.lost_after, std::chrono::seconds(5));
    EXPECT_EQ(defaults.max_duration, std::chrono::minutes(120));
    auto s = load_settings(Config::parse(
        R"({"live": {"addresses": ["203.0.113.10", "2001:db8::1"], "jitter_ms": 120,
                     "port_min": 40000, "port_max": 40999, "lost_after_s": 3, "max_minutes": 30}})",
        "t"));
    EXPECT_EQ(s.live.addresses, (std::vector<std::string>{"203.0.113.10", "2001:db8::1"}));
    EXPECT_EQ(s.live.jitter_ms, 120);
    EXPECT_EQ(s.live.port_min, 40000);
    EXPECT_EQ(s.live.port_max, 40999);
    EXPECT_EQ(s.live.lost_after, std::chrono::seconds(3));
    EXPECT_EQ(s.live.max_duration, std::chrono::minutes(30));
    EXPECT_NE(error_of(R"({"live": {"addresses": ["server.example"]}})")
                  .find("config key \"live.addresses\""),
              std::string::npos);
    EXPECT_NE(error_of(R"({"live": {"jitter_ms": 5}})").find("live.jitter_ms"), std::string::npos);
    EXPECT_NE(error_of(R"({"live": {"port_min": 40000}})").find("go together"), std::string::npos);
    EXPECT_NE(error_of(R"({"live": {"port_min": 80, "port_max": 90}})").find("from 1024"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"live": {"trickle": true}})").find("live"), std::string::npos);
}

TEST(Settings, TheHttpPortsLimitsLoad) {
    auto s = load_settings(Config::parse(
        R"({"http": {"max_connections": 500, "max_connections_per_address": 20,
                     "login_timeout_s": 5, "metrics_token_file": "/etc/loa/metrics.token"},
            "secrets": {"seal_key_file": "/etc/loa/seal.key"}})",
        "t"));
    EXPECT_EQ(s.max_connections, 500);
    EXPECT_EQ(s.max_connections_per_address, 20);
    EXPECT_EQ(s.login_timeout, std::chrono::seconds(5));
    EXPECT_EQ(s.metrics_token_file, "/etc/loa/metrics.token");
    EXPECT_EQ(loa::server::seal_key_file(s), "/etc/loa/seal.key");
    auto defaults = load_settings(Config::parse("{}", "t"));
    EXPECT_EQ(defaults.max_connections, 20000);
    EXPECT_EQ(defaults.login_timeout, std::chrono::seconds(60));
    EXPECT_EQ(loa::server::seal_key_file(defaults), "/var/lib/loa/seal.key");
    EXPECT_NE(error_of(R"({"http": {"max_connections_per_address": 0}})")
                  .find("http.max_connections_per_address"),
              std::string::npos);
}

TEST(Settings, SupervisionThresholdsHaveDefaultsAndBounds) {
    auto defaults = load_settings(Config::parse("{}", "t")).supervision;
    EXPECT_EQ(defaults.check_every, std::chrono::milliseconds(1000));
    EXPECT_EQ(defaults.disk_free_min_mb, 1024);
    EXPECT_EQ(defaults.disk_free_min_percent, 5);
    EXPECT_EQ(defaults.certificate_warn_days, 14);
    EXPECT_TRUE(defaults.clock_check);
    EXPECT_EQ(defaults.proof_window, std::chrono::seconds(30));
    EXPECT_EQ(defaults.loss_max_percent, 20);
    EXPECT_EQ(defaults.dead_air_after, std::chrono::seconds(20));
    EXPECT_EQ(defaults.airing_late, std::chrono::seconds(5));
    EXPECT_EQ(defaults.event_hold, std::chrono::seconds(300));
    EXPECT_EQ(load_settings(Config::parse("{}", "t")).encoder.silence_below_dbfs, -40);
    auto s = load_settings(Config::parse(
        R"({"supervision": {"check_interval_ms": 250, "disk_free_min_mb": 4096,
                            "disk_free_min_percent": 10, "certificate_warn_days": 30,
                            "clock_check": false, "proof_window_s": 60, "loss_max_percent": 5,
                            "dead_air_s": 10, "dead_air_dbfs": -50, "airing_late_s": 3,
                            "event_hold_s": 60}})",
        "t"));
    EXPECT_EQ(s.supervision.proof_window, std::chrono::seconds(60));
    EXPECT_EQ(s.supervision.loss_max_percent, 5);
    EXPECT_EQ(s.supervision.dead_air_after, std::chrono::seconds(10));
    EXPECT_EQ(s.encoder.silence_below_dbfs, -50);
    EXPECT_EQ(s.supervision.airing_late, std::chrono::seconds(3));
    EXPECT_EQ(s.supervision.event_hold, std::chrono::seconds(60));
    EXPECT_NE(error_of(R"({"control": {"status_interval_s": 20}})").find("twice"),
              std::string::npos)
        << "the default window of 30 s is shorter than two reports";
    EXPECT_EQ(load_settings(Config::parse(R"({"control": {"status_interval_s": 20},
                                              "supervision": {"proof_of_play": false}})",
                                          "t"))
                  .status_interval_s,
              20);
    // Proof of play must judge within 100 s: a window longer than 80 s is refused.
    EXPECT_EQ(error_of(R"({"supervision": {"proof_window_s": 81}})").substr(0, 39),
              "config key \"supervision.proof_window_s\"");
    EXPECT_EQ(s.supervision.check_every, std::chrono::milliseconds(250));
    EXPECT_EQ(s.supervision.disk_free_min_mb, 4096);
    EXPECT_EQ(s.supervision.disk_free_min_percent, 10);
    EXPECT_EQ(s.supervision.certificate_warn_days, 30);
    EXPECT_FALSE(s.supervision.clock_check);
    EXPECT_EQ(error_of(R"({"supervision": {"disk_free_min_percent": 100}})").substr(0, 46),
              "config key \"supervision.disk_free_min_percent\"");
    EXPECT_NE(error_of(R"({"supervision": {"webhook": "x"}})").find("webhook"), std::string::npos);
    auto hooked = load_settings(Config::parse(
        R"({"supervision": {"webhooks": [{"url": "https://ioc.example/loa", "min_severity":
            "critical", "token_file": "/etc/loa/t"}]}})",
        "t"));
    ASSERT_EQ(hooked.supervision.webhooks.size(), 1U);
    EXPECT_EQ(hooked.supervision.webhooks[0].min_severity, "critical");
    EXPECT_EQ(hooked.supervision.webhooks[0].token_file, "/etc/loa/t");
    EXPECT_NE(error_of(R"({"supervision": {"webhooks": [{"url": "ftp://x/"}]}})")
                  .find("expected http://HOST[:PORT]/PATH"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"supervision": {"webhooks": [{"url": "https://u:p@x/"}]}})")
                  .find("no credentials in the URL"),
              std::string::npos);
    EXPECT_NE(
        error_of(R"({"supervision": {"webhooks": [{"url": "http://x/", "min_severity": "hot"}]}})")
            .find("min_severity"),
        std::string::npos);
}

TEST(Settings, BackupsAreOffUntilAFolderIsSetAndTheirErrorsNameTheKey) {
    auto defaults = load_settings(Config::parse("{}", "t")).backups;
    EXPECT_EQ(defaults.dir, "");
    EXPECT_EQ(defaults.at, std::vector<std::string>{"02:30"});
    EXPECT_EQ(defaults.keep.daily, 7);
    EXPECT_EQ(defaults.keep.weekly, 4);
    EXPECT_EQ(defaults.keep.monthly, 12);
    EXPECT_EQ(defaults.late_after, std::chrono::hours(26));
    auto s = load_settings(Config::parse(
        R"({"schedule": {"time_zone": "Asia/Bangkok"},
            "backups": {"dir": "/mnt/nas/loa", "at": ["01:00", "13:00"], "keep_daily": 14,
                        "keep_weekly": 0, "after_command": ["/usr/local/bin/offsite", "-q"],
                        "after_command_timeout_s": 600, "late_after_h": 13}})",
        "t"));
    EXPECT_EQ(s.backups.at, (std::vector<std::string>{"01:00", "13:00"}));
    EXPECT_EQ(s.backups.keep.daily, 14);
    EXPECT_EQ(s.backups.keep.weekly, 0);
    EXPECT_EQ(s.backups.keep.time_zone, "Asia/Bangkok") << "the schedule's";
    EXPECT_EQ(s.backups.after_command, (std::vector<std::string>{"/usr/local/bin/offsite", "-q"}));
    EXPECT_EQ(s.backups.after_command_timeout, std::chrono::seconds(600));
    EXPECT_EQ(s.backups.late_after, std::chrono::hours(13));
    EXPECT_EQ(error_of(R"({"backups": {"dir": "nas"}})"),
              "config key \"backups.dir\": must be an absolute path");
    EXPECT_EQ(error_of(R"({"state_dir": "/var/lib/loa", "backups": {"dir": "/var/lib/loa/b"}})"),
              "config key \"backups.dir\": must be outside state_dir (/var/lib/loa)");
    EXPECT_EQ(error_of(R"({"backups": {"dir": "/mnt/nas", "at": ["2:30"]}})"),
              "config key \"backups.at\": \"2:30\" is not a time of day \"HH:MM\"");
    EXPECT_EQ(error_of(R"({"backups": {"dir": "/mnt/nas", "at": "02:30"}})"),
              "config key \"backups.at\": expected a list of strings, got \"02:30\"");
    EXPECT_EQ(error_of(R"({"backups": {"dir": "/mnt/nas", "after_command": ["rsync"]}})"),
              "config key \"backups.after_command\": its program must be an absolute path (it "
              "runs without a shell)");
    EXPECT_NE(error_of(R"({"backups": {"folder": "/mnt/nas"}})").find("backups.folder"),
              std::string::npos);
}

TEST(Settings, TheStateDirFlagNamesTheStateFolderWhateverItsName) {
    for (const std::string dir : {"/srv/loa mới", "2026", "/srv/\"quoted\""}) {
        std::vector<std::string> words{"loa-server", "--state-dir", dir, "--restore", "/mnt/b"};
        std::vector<char*> argv;
        for (auto& w : words)
            argv.push_back(w.data());
        auto options = loa::server::parse_options(static_cast<int>(argv.size()), argv.data());
        EXPECT_EQ(options.restore, "/mnt/b");
        EXPECT_EQ(loa::server::read_settings(options).state_dir, dir);
    }
}
