#include "loa/server/app/settings.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <sys/stat.h>

#include "loa/common/secret.hpp"
#include "loa/server/schedule/relay_url.hpp"

namespace loa::server {
namespace {

using common::ConfigNode;

constexpr const char* kAlsaDeviceHint =
    "expected an ALSA capture device such as hw:1,0, plughw:CARD=USB or default (letters, "
    "digits and _:,.=- only; file, tee, pipe, shm, ladspa, hooks, extplug and ioplug PCMs are "
    "refused)";

std::vector<LiveInput> read_live_inputs(const ConfigNode& root) {
    std::vector<LiveInput> out;
    std::set<std::string> ids;
    for (const auto& node : root.objects("live_inputs")) {
        node.reject_unknown_keys({"id", "device", "name"});
        LiveInput in{node.string("id"), node.string("device"), node.string("name", "")};
        if (in.id.empty() || in.id.size() > 64 ||
            in.id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789_-") != std::string::npos)
            node.fail("id", "1 to 64 letters, digits, _ or -");
        if (!ids.insert(in.id).second)
            node.fail("id", "the id \"" + in.id + "\" is used twice");
        if (!pipeline::valid_alsa_device(in.device))
            node.fail("device", kAlsaDeviceHint);
        if (in.name.empty())
            in.name = in.id;
        out.push_back(std::move(in));
    }
    return out;
}

LiveSettings read_live(const ConfigNode& live) {
    live.reject_unknown_keys(
        {"addresses", "port_min", "port_max", "jitter_ms", "lost_after_s", "max_minutes"});
    LiveSettings out;
    out.addresses = live.strings("addresses", {});
    for (const auto& a : out.addresses) {
        in6_addr parsed{};
        if (inet_pton(AF_INET, a.c_str(), &parsed) != 1 &&
            inet_pton(AF_INET6, a.c_str(), &parsed) != 1)
            live.fail("addresses", "\"" + a + "\" is not an IP address, e.g. 192.0.2.10");
    }
    out.port_min = static_cast<std::uint16_t>(live.integer("port_min", 0, 65535, 0));
    out.port_max = static_cast<std::uint16_t>(live.integer("port_max", 0, 65535, 0));
    if ((out.port_min == 0) != (out.port_max == 0) ||
        (out.port_min != 0 && (out.port_min < 1024 || out.port_max <= out.port_min)))
        live.fail("port_min", "port_min and port_max go together: the UDP ports speakers reach, "
                              "from 1024 up, e.g. 40000 and 40999");
    out.jitter_ms = static_cast<int>(live.integer("jitter_ms", 20, 1000, out.jitter_ms));
    out.lost_after = std::chrono::seconds(live.integer("lost_after_s", 2, 60, 5));
    out.max_duration = std::chrono::minutes(live.integer("max_minutes", 1, 24LL * 60, 120));
    return out;
}

void read_programs(const ConfigNode& programs, Settings& s) {
    programs.reject_unknown_keys({"import_dir", "allow_private_relays"});
    s.import_dir = programs.string("import_dir", "");
    if (!s.import_dir.empty() && s.import_dir.front() != '/')
        programs.fail("import_dir", "expected an absolute path, e.g. /srv/loa/import");
    s.allow_private_relays = programs.boolean("allow_private_relays", false);
}

std::vector<std::uint8_t> read_key(const ConfigNode& node, const std::string& key,
                                   pipeline::SrtpProfile profile) {
    auto bytes = common::from_base64(node.string(key));
    if (!bytes)
        node.fail(key, "not valid base64");
    if (bytes->size() != pipeline::srtp_master_length(profile))
        node.fail(key, "an " + pipeline::to_string(profile) + " key is " +
                           std::to_string(pipeline::srtp_master_length(profile)) +
                           " bytes of base64 (master key + salt), got " +
                           std::to_string(bytes->size()) +
                           " bytes; make one with `loa-server --new-key`");
    return *bytes;
}

pipeline::SourceSpec read_source(const ConfigNode& node) {
    node.reject_unknown_keys({"id", "type", "location", "frequency", "loop"});
    pipeline::SourceSpec spec;
    spec.id = node.string("id");
    std::string type = node.choice("type", {"file", "relay", "alsa", "tone", "pipeline"});
    if (type == "file") {
        spec.kind = pipeline::SourceKind::file;
        spec.location = node.string("location");
        spec.loop = node.boolean("loop", false);
    } else if (type == "relay") {
        spec.kind = pipeline::SourceKind::relay;
        spec.location = node.string("location");
        if (spec.location.rfind("http://", 0) != 0 && spec.location.rfind("https://", 0) != 0 &&
            spec.location.rfind("rtsp://", 0) != 0)
            node.fail("location", "a relay needs an http://, https:// or rtsp:// URL");
    } else if (type == "pipeline") {
        spec.kind = pipeline::SourceKind::pipeline;
        spec.location = node.string("location");
    } else if (type == "alsa") {
        spec.kind = pipeline::SourceKind::alsa;
        spec.location = node.string("location", "");
        if (!spec.location.empty() && !pipeline::valid_alsa_device(spec.location))
            node.fail("location", kAlsaDeviceHint);
    } else {
        spec.kind = pipeline::SourceKind::tone;
        spec.frequency_hz = node.number("frequency", 20, 20000, 1000);
    }
    return spec;
}

void read_media(const ConfigNode& media, Settings& s) {
    media.reject_unknown_keys({"bind", "port", "profile", "key_mode", "workers", "advertise_host"});
    s.media_bind = media.string("bind", s.media_bind);
    s.media_advertise_host = media.string("advertise_host", "");
    if (!pipeline::Endpoint::parse(s.media_bind + ":1"))
        media.fail("bind", "expected an IPv4 address, got \"" + s.media_bind + "\"");
    s.media_port = static_cast<std::uint16_t>(media.integer("port", 1, 65535, s.media_port));
    std::string profile = media.choice("profile", {"aes_cm_128_hmac_sha1_80", "aead_aes_128_gcm"},
                                       "aes_cm_128_hmac_sha1_80");
    s.profile = *pipeline::parse_srtp_profile(profile);
    s.key_mode = media.choice("key_mode", {"per_receiver", "group"}, "per_receiver") == "group"
                     ? KeyMode::group
                     : KeyMode::per_receiver;
    s.workers = static_cast<unsigned>(media.integer("workers", 0, 256, 0));
}

void read_encoder(const ConfigNode& opus, Settings& s) {
    opus.reject_unknown_keys({"bitrate_kbps", "channels", "fec", "expected_loss_percent"});
    s.encoder.bitrate_kbps = static_cast<int>(opus.integer("bitrate_kbps", 16, 128, 32));
    s.encoder.channels = static_cast<int>(opus.integer("channels", 1, 2, 1));
    s.encoder.inband_fec = opus.boolean("fec", true);
    s.encoder.expected_loss_percent =
        static_cast<int>(opus.integer("expected_loss_percent", 0, 100, 10));
}

UnitSettings read_unit(const ConfigNode& node, bool with_communes = false,
                       double emergency_volume = 1.0) {
    std::vector<std::string> keys{"code", "name", "quiet_hours", "approval_required",
                                  "emergency_volume"};
    if (with_communes)
        keys.emplace_back("communes");
    node.reject_unknown_keys(keys);
    UnitSettings u;
    u.code = node.string("code");
    if (u.code.empty() || u.code.find_first_of(" ,@") != std::string::npos)
        node.fail("code", "must be non-empty, without spaces, commas or @");
    u.name = node.string("name");
    std::string quiet = node.string("quiet_hours", u.quiet_start + "-" + u.quiet_end);
    if (quiet == "none")
        quiet = "00:00-00:00"; // equal ends: no quiet hours
    auto valid_time = [](const std::string& t) {
        return t.size() == 5 && t[2] == ':' && std::isdigit(t[0]) && std::isdigit(t[1]) &&
               std::isdigit(t[3]) && std::isdigit(t[4]) && t.substr(0, 2) < "24" &&
               t.substr(3, 2) < "60";
    };
    if (quiet.size() != 11 || quiet[5] != '-' || !valid_time(quiet.substr(0, 5)) ||
        !valid_time(quiet.substr(6)))
        node.fail("quiet_hours",
                  "expected HH:MM-HH:MM in local time, e.g. 22:00-05:00, or \"none\"");
    u.quiet_start = quiet.substr(0, 5);
    u.quiet_end = quiet.substr(6);
    u.approval_required = node.boolean("approval_required", true);
    u.emergency_volume = node.number("emergency_volume", 0.1, 2, emergency_volume);
    return u;
}

ProvinceSettings read_province(const ConfigNode& node) {
    ProvinceSettings p;
    p.province = read_unit(node, true);
    std::set<std::string> codes{p.province.code};
    for (const auto& c : node.objects("communes")) {
        p.communes.push_back(read_unit(c, false, p.province.emergency_volume));
        if (!codes.insert(p.communes.back().code).second)
            c.fail("code", "the code \"" + p.communes.back().code + "\" is used twice");
    }
    return p;
}

template <class T>
void require_unique(const ConfigNode& root, const std::vector<T>& items, const std::string& what) {
    std::set<std::string> seen;
    for (const auto& item : items)
        if (!seen.insert(item.id).second)
            root.fail(what, "the id \"" + item.id + "\" is used twice");
}

void read_channels(const ConfigNode& root, Settings& s) {
    std::set<std::string> source_ids;
    for (const auto& src : s.sources)
        source_ids.insert(src.id);
    for (const auto& node : root.objects("channels")) {
        node.reject_unknown_keys({"id", "source", "key"});
        ChannelSettings c;
        c.id = node.string("id");
        if (node.has("source")) {
            c.source = node.string("source");
            if (!source_ids.contains(*c.source))
                node.fail("source", "no source has id \"" + *c.source + "\"");
        }
        if (s.key_mode == KeyMode::group)
            c.group_key = read_key(node, "key", s.profile);
        s.channels.push_back(std::move(c));
    }
    require_unique(root, s.channels, "channels");
}

void read_http(const ConfigNode& http, Settings& s) {
    http.reject_unknown_keys({"bind", "port", "tls_certificate", "tls_key", "public_url",
                              "max_upload_mb", "metrics_token_file", "max_connections",
                              "max_connections_per_address", "login_timeout_s"});
    s.http_bind = http.string("bind", s.http_bind);
    s.http_port = static_cast<std::uint16_t>(http.integer("port", 0, 65535, s.http_port));
    s.tls_certificate = http.string("tls_certificate", "");
    s.tls_key = http.string("tls_key", "");
    if (s.tls_certificate.empty() != s.tls_key.empty())
        http.fail(s.tls_key.empty() ? "tls_key" : "tls_certificate",
                  "TLS needs both http.tls_certificate and http.tls_key (PEM files)");
    s.public_url = http.string("public_url", "");
    if (!s.public_url.empty() && s.public_url.rfind("ws://", 0) != 0 &&
        s.public_url.rfind("wss://", 0) != 0)
        http.fail("public_url", "expected ws://HOST:PORT or wss://HOST:PORT, as receivers "
                                "will reach this server");
    s.max_upload_mb = static_cast<int>(http.integer("max_upload_mb", 1, 4096, 200));
    s.metrics_token_file = http.string("metrics_token_file", "");
    s.max_connections = static_cast<int>(http.integer("max_connections", 16, 1000000, 20000));
    s.max_connections_per_address =
        static_cast<int>(http.integer("max_connections_per_address", 1, 1000000, 4096));
    s.login_timeout = std::chrono::seconds(http.integer("login_timeout_s", 1, 3600, 60));
}

/// supervision.webhooks[]: where alarms are posted.
std::vector<WebhookSettings> read_webhooks(const ConfigNode& supervision) {
    std::vector<WebhookSettings> out;
    for (const auto& node : supervision.objects("webhooks")) {
        node.reject_unknown_keys({"url", "min_severity", "token_file", "ca_file"});
        WebhookSettings w;
        w.url = node.string("url");
        auto url = parse_relay_url(w.url);
        if (!url || (url->scheme != "http" && url->scheme != "https"))
            node.fail("url", "expected http://HOST[:PORT]/PATH or https://...");
        if (!url->userinfo.empty())
            node.fail("url", "no credentials in the URL: put a token in token_file");
        w.min_severity =
            node.choice("min_severity", {"critical", "major", "minor", "warning"}, w.min_severity);
        w.token_file = node.string("token_file", "");
        w.ca_file = node.string("ca_file", "");
        if (std::any_of(out.begin(), out.end(),
                        [&](const WebhookSettings& o) { return o.url == w.url; }))
            node.fail("url", "this URL is given twice");
        out.push_back(std::move(w));
    }
    return out;
}

/// indicators.push: where each frozen day's figures go, signed with a shared secret.
std::vector<IndicatorPushSettings> read_pushes(const ConfigNode& indicators) {
    std::vector<IndicatorPushSettings> out;
    for (const auto& node : indicators.objects("push")) {
        node.reject_unknown_keys({"url", "secret_file", "ca_file", "unit", "emergencies"});
        IndicatorPushSettings p;
        p.url = node.string("url");
        auto url = parse_relay_url(p.url);
        if (!url || (url->scheme != "http" && url->scheme != "https"))
            node.fail("url", "expected http://HOST[:PORT]/PATH or https://...");
        if (!url->userinfo.empty())
            node.fail("url", "no credentials in the URL: the pushes are signed with secret_file");
        p.secret_file = node.string("secret_file");
        if (!p.secret_file.starts_with('/'))
            node.fail("secret_file", "expected the absolute path of a file holding the secret");
        p.ca_file = node.string("ca_file", "");
        p.unit = node.string("unit", "");
        p.emergencies = node.boolean("emergencies", false);
        if (std::any_of(out.begin(), out.end(),
                        [&](const IndicatorPushSettings& o) { return o.url == p.url; }))
            node.fail("url", "this URL is given twice");
        out.push_back(std::move(p));
    }
    return out;
}

void read_supervision(const ConfigNode& node, SupervisionSettings& s,
                      pipeline::EncoderSettings& encoder) {
    node.reject_unknown_keys({"check_interval_ms", "disk_free_min_mb", "disk_free_min_percent",
                              "certificate_warn_days", "clock_check", "proof_of_play",
                              "proof_window_s", "loss_max_percent", "dead_air_s", "dead_air_dbfs",
                              "airing_late_s", "event_hold_s", "webhooks"});
    s.check_every = std::chrono::milliseconds(node.integer("check_interval_ms", 100, 60000, 1000));
    s.disk_free_min_mb = node.integer("disk_free_min_mb", 0, 1 << 30, s.disk_free_min_mb);
    s.disk_free_min_percent =
        static_cast<int>(node.integer("disk_free_min_percent", 0, 99, s.disk_free_min_percent));
    s.certificate_warn_days =
        static_cast<int>(node.integer("certificate_warn_days", 1, 365, s.certificate_warn_days));
    s.clock_check = node.boolean("clock_check", s.clock_check);
    s.proof_of_play = node.boolean("proof_of_play", s.proof_of_play);
    s.proof_window = std::chrono::seconds(node.integer("proof_window_s", 5, 80, 30));
    s.loss_max_percent =
        static_cast<int>(node.integer("loss_max_percent", 1, 100, s.loss_max_percent));
    s.dead_air_after = std::chrono::seconds(node.integer("dead_air_s", 2, 90, 20));
    // Not below -50: a channel's quietest sound must still play as sound (-60 dBFS) at the
    // volumes clusters are set to, or proof of play could not tell.
    s.dead_air_dbfs = node.number("dead_air_dbfs", -50, -10, s.dead_air_dbfs);
    encoder.silence_below_dbfs = s.dead_air_dbfs;
    s.airing_late = std::chrono::seconds(node.integer("airing_late_s", 2, 60, 5));
    s.event_hold = std::chrono::seconds(node.integer("event_hold_s", 30, 86400, 300));
    s.webhooks = read_webhooks(node);
}

/// backups: where, when, how many are kept, and the copy command.
void read_backups(const ConfigNode& node, Settings& s) {
    node.reject_unknown_keys({"dir", "at", "keep_daily", "keep_weekly", "keep_monthly",
                              "after_command", "after_command_timeout_s", "retry_after_s",
                              "late_after_h"});
    BackupSettings& b = s.backups;
    b.dir = node.string("dir", "");
    b.at = node.strings("at", b.at);
    b.keep.daily = static_cast<int>(node.integer("keep_daily", 1, 3660, b.keep.daily));
    b.keep.weekly = static_cast<int>(node.integer("keep_weekly", 0, 520, b.keep.weekly));
    b.keep.monthly = static_cast<int>(node.integer("keep_monthly", 0, 1200, b.keep.monthly));
    b.keep.time_zone = s.time_zone;
    b.after_command = node.strings("after_command");
    b.after_command_timeout =
        std::chrono::seconds(node.integer("after_command_timeout_s", 10, 86400, 1800));
    b.retry_after = std::chrono::seconds(node.integer("retry_after_s", 60, 86400, 900));
    b.late_after = std::chrono::hours(node.integer("late_after_h", 1, 960, 26));
    if (auto fault = check_backup_settings(b))
        node.fail(fault->first, fault->second);
    // A backup inside the state it copies would copy itself the next time.
    auto dir = std::filesystem::weakly_canonical(b.dir);
    auto state = std::filesystem::weakly_canonical(s.state_dir);
    if (!b.dir.empty() && (dir == state || dir.string().starts_with(state.string() + "/")))
        node.fail("dir", "must be outside state_dir (" + s.state_dir + ")");
}

/// schedule, control, speech, live_inputs, programs, secrets and supervision.
void read_operations(const ConfigNode& root, Settings& s) {
    auto schedule = root.object("schedule");
    schedule.reject_unknown_keys({"time_zone", "lead_ms"});
    s.time_zone = schedule.string("time_zone", s.time_zone);
    s.lead = std::chrono::milliseconds(schedule.integer("lead_ms", 200, 10000, 1500));
    auto control = root.object("control");
    control.reject_unknown_keys(
        {"offline_grace_s", "status_interval_s", "session_hours", "admin_password_file"});
    s.offline_grace = std::chrono::seconds(control.integer("offline_grace_s", 1, 3600, 20));
    s.status_interval_s = static_cast<int>(control.integer("status_interval_s", 1, 600, 10));
    s.session_ttl = std::chrono::hours(control.integer("session_hours", 1, 24LL * 90, 12));
    s.admin_password_file = control.string("admin_password_file", "");
    auto speech = root.object("speech");
    speech.reject_unknown_keys({"voice", "rate_wpm"});
    s.speech_voice = speech.string("voice", s.speech_voice);
    s.speech_rate_wpm = static_cast<int>(speech.integer("rate_wpm", 80, 450, 150));
    s.live_inputs = read_live_inputs(root);
    s.live = read_live(root.object("live"));
    read_programs(root.object("programs"), s);
    auto secrets = root.object("secrets");
    secrets.reject_unknown_keys({"seal_key_file"});
    s.seal_key_file = secrets.string("seal_key_file", "");
    read_supervision(root.object("supervision"), s.supervision, s.encoder);
    read_backups(root.object("backups"), s);
    auto indicators = root.object("indicators");
    indicators.reject_unknown_keys({"cutoff", "push"});
    s.indicators_cutoff = indicators.string("cutoff", s.indicators_cutoff);
    if (!valid_time_of_day(s.indicators_cutoff))
        indicators.fail("cutoff", "expected a local time HH:MM, e.g. 17:00");
    s.indicator_pushes = read_pushes(indicators);
    // Proof of play compares reports on both sides of its window.
    if (s.supervision.proof_of_play &&
        s.supervision.proof_window.count() < 2LL * s.status_interval_s)
        root.object("supervision")
            .fail("proof_window_s", "must be at least twice control.status_interval_s (" +
                                        std::to_string(s.status_interval_s) +
                                        " s): clusters report that often");
}

/// Units' channels play what the schedule says, and group keys cover every channel.
void check_channels(const ConfigNode& root, const Settings& s) {
    if (s.province) {
        std::set<std::string> units{s.province->province.code};
        for (const auto& c : s.province->communes)
            units.insert(c.code);
        for (const auto& c : s.channels)
            if (c.source && units.contains(c.id))
                root.fail("channels", "channel \"" + c.id +
                                          "\" is a unit's channel: the schedule decides what it "
                                          "plays; remove its \"source\"");
    }
    if (s.key_mode == KeyMode::group)
        for (const auto& c : all_channels(s))
            if (std::none_of(s.channels.begin(), s.channels.end(),
                             [&](const ChannelSettings& cs) { return cs.id == c; }))
                root.fail("channels", "in group key mode every unit's channel needs its key: add " +
                                          std::string(R"({"id": ")") + c + R"(", "key": ...})");
}

void read_receivers(const ConfigNode& root, Settings& s) {
    std::set<std::string> channel_ids;
    for (const auto& c : all_channels(s))
        channel_ids.insert(c);
    for (const auto& node : root.objects("receivers")) {
        node.reject_unknown_keys({"id", "channel", "key", "address"});
        ReceiverSettings r;
        r.id = node.string("id");
        if (r.id.empty() || r.id.size() > 64)
            node.fail("id", "must be 1 to 64 characters");
        r.channel = node.string("channel");
        if (!channel_ids.contains(r.channel))
            node.fail("channel", "no channel or unit has id \"" + r.channel + "\"");
        r.key = read_key(node, "key", s.profile);
        if (node.has("address")) {
            r.address = pipeline::Endpoint::parse(node.string("address"));
            if (!r.address || (r.address->packed() & 0xffff) == 0)
                node.fail("address", "expected IPv4:port, e.g. 127.0.0.1:6000");
        }
        s.receivers.push_back(std::move(r));
    }
    require_unique(root, s.receivers, "receivers");
}

} // namespace

Settings load_settings(const common::Config& config) {
    ConfigNode root = config.root();
    root.reject_unknown_keys({"log_level", "state_dir", "media", "opus", "sources", "channels",
                              "receivers", "province", "schedule", "speech", "http", "control",
                              "live_inputs", "programs", "secrets", "supervision", "backups",
                              "indicators", "live"});
    Settings s;
    s.log_level =
        root.choice("log_level", {"trace", "debug", "info", "warn", "error", "off"}, "info");
    s.state_dir = root.string("state_dir", s.state_dir);
    read_media(root.object("media"), s);
    read_encoder(root.object("opus"), s);
    for (const auto& node : root.objects("sources"))
        s.sources.push_back(read_source(node));
    require_unique(root, s.sources, "sources");
    read_channels(root, s);
    if (root.has("province"))
        s.province = read_province(root.object("province"));
    read_http(root.object("http"), s);
    read_operations(root, s);
    check_channels(root, s);
    read_receivers(root, s);
    return s;
}

std::string epoch_file(const Settings& settings) {
    return settings.state_dir + "/media-epoch";
}

std::string database_file(const Settings& settings) {
    return settings.state_dir + "/loa.db";
}

std::string media_dir(const Settings& settings) {
    return settings.state_dir + "/media";
}

std::string seal_key_file(const Settings& settings) {
    return settings.seal_key_file.empty() ? settings.state_dir + "/seal.key"
                                          : settings.seal_key_file;
}

void secure_state_dir(const Settings& settings) {
    namespace fs = std::filesystem;
    ::umask(077);
    std::error_code ec;
    fs::create_directories(settings.state_dir, ec);
    if (ec)
        throw std::runtime_error("cannot create state_dir " + settings.state_dir + ": " +
                                 ec.message());
    auto tighten = [](const fs::path& p, bool folder) {
        std::error_code ignored; // another owner's file stays as it is: the server reads its own
        fs::permissions(
            p, folder ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write,
            ignored);
    };
    tighten(settings.state_dir, true);
    for (auto it = fs::recursive_directory_iterator(settings.state_dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_symlink(ec))
            continue;
        if (it->is_directory(ec))
            tighten(it->path(), true);
        else if (it->is_regular_file(ec) || it->is_socket(ec))
            tighten(it->path(), false);
    }
}

std::string control_socket_file(const Settings& settings) {
    return settings.state_dir + "/control.sock";
}

std::vector<std::string> all_channels(const Settings& settings) {
    std::vector<std::string> out;
    for (const auto& c : settings.channels)
        out.push_back(c.id);
    if (settings.province) {
        std::vector<const UnitSettings*> units{&settings.province->province};
        for (const auto& c : settings.province->communes)
            units.push_back(&c);
        for (const auto* u : units)
            if (std::find(out.begin(), out.end(), u->code) == out.end())
                out.push_back(u->code);
    }
    return out;
}

} // namespace loa::server
