/// @file
/// libFuzzer target: loa-server's configuration. The input is JSON text, optionally followed
/// by a NUL byte and `--set` assignments ("a.b=value") separated by NUL bytes; it goes through
/// common::Config::parse, Config::apply_override and server::load_settings as loa-server's
/// start-up does. Traps when:
/// - anything but a common::ConfigError is thrown, or a ConfigError does not name the file,
///   the key or the --set flag at fault;
/// - loaded settings break what settings.cpp promises: numbers within their documented
///   ranges; keys as long as their profile needs; ids unique; every receiver on a known
///   channel; in group key mode a key for every channel; unit codes usable as channel ids;
///   quiet hours as HH:MM; TLS files in pairs; URLs of the accepted schemes;
/// - the configuration, dumped and parsed again, loads to other settings.

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "loa/common/config.hpp"
#include "loa/server/app/settings.hpp"

namespace {

using loa::common::Config;
using loa::common::ConfigError;
using namespace loa::server;
using loa::fuzz::require;

constexpr const char* kTarget = "config_fuzz";
constexpr const char* kOrigin = "fuzz.json";

/// Every field of the settings, as text, to compare two loads.
std::string describe(const Settings& s) {
    std::string out = s.log_level + "|" + s.state_dir + "|" + s.media_bind + ":" +
                      std::to_string(s.media_port) + "|" + loa::pipeline::to_string(s.profile) +
                      "|" + std::to_string(static_cast<int>(s.key_mode)) + "|" +
                      std::to_string(s.workers) + "|" + std::to_string(s.encoder.bitrate_kbps) +
                      "," + std::to_string(s.encoder.channels) + "," +
                      std::to_string(s.encoder.inband_fec) + "," +
                      std::to_string(s.encoder.expected_loss_percent) + "|";
    for (const auto& src : s.sources)
        out += src.id + "," + std::to_string(static_cast<int>(src.kind)) + "," + src.location +
               "," + std::to_string(src.frequency_hz) + "," + std::to_string(src.loop) + ";";
    for (const auto& c : s.channels)
        out += c.id + "," + c.source.value_or("-") + "," + std::to_string(c.group_key.size()) + ";";
    for (const auto& r : s.receivers)
        out += r.id + "," + r.channel + "," + std::string(r.key.begin(), r.key.end()) + "," +
               (r.address ? r.address->to_string() : "-") + ";";
    if (s.province) {
        for (const auto* u : {&s.province->province})
            out += u->code + "," + u->name + "," + u->quiet_start + "-" + u->quiet_end + ";";
        for (const auto& u : s.province->communes)
            out += u.code + "," + u.name + "," + u.quiet_start + "-" + u.quiet_end + "," +
                   std::to_string(u.approval_required) + ";";
    }
    return out + "|" + s.time_zone + "|" + std::to_string(s.lead.count()) + "|" +
           s.media_advertise_host + "|" + s.http_bind + ":" + std::to_string(s.http_port) + "|" +
           s.tls_certificate + "|" + s.tls_key + "|" + s.public_url + "|" +
           std::to_string(s.max_upload_mb) + "|" + std::to_string(s.offline_grace.count()) + "|" +
           std::to_string(s.status_interval_s) + "|" + std::to_string(s.session_ttl.count()) + "|" +
           s.admin_password_file + "|" + s.speech_voice + "|" + std::to_string(s.speech_rate_wpm);
}

bool clock_time(const std::string& t) {
    return t.size() == 5 && t[2] == ':' && std::isdigit(static_cast<unsigned char>(t[0])) &&
           std::isdigit(static_cast<unsigned char>(t[1])) &&
           std::isdigit(static_cast<unsigned char>(t[3])) &&
           std::isdigit(static_cast<unsigned char>(t[4])) && t.substr(0, 2) < "24" &&
           t.substr(3, 2) < "60";
}

template <class T> bool unique_ids(const std::vector<T>& items) {
    std::set<std::string> ids;
    return std::all_of(items.begin(), items.end(),
                       [&](const T& item) { return ids.insert(item.id).second; });
}

void check_units(const ProvinceSettings& p) {
    std::set<std::string> codes;
    std::vector<const UnitSettings*> units{&p.province};
    for (const auto& c : p.communes)
        units.push_back(&c);
    for (const auto* u : units) {
        require(!u->code.empty() && u->code.find_first_of(" ,@") == std::string::npos, kTarget,
                "a unit code is non-empty, without spaces, commas or @");
        require(codes.insert(u->code).second, kTarget, "unit codes are unique");
        require(clock_time(u->quiet_start) && clock_time(u->quiet_end), kTarget,
                "quiet hours are HH:MM");
    }
}

void check_settings(const Settings& s) {
    require(s.media_port >= 1 && s.workers <= 256, kTarget, "media.port and workers in range");
    require(s.encoder.bitrate_kbps >= 16 && s.encoder.bitrate_kbps <= 128 &&
                s.encoder.channels >= 1 && s.encoder.channels <= 2 &&
                s.encoder.expected_loss_percent >= 0 && s.encoder.expected_loss_percent <= 100,
            kTarget, "opus settings in range");
    require(s.lead.count() >= 200 && s.lead.count() <= 10000 && s.max_upload_mb >= 1 &&
                s.max_upload_mb <= 4096 && s.offline_grace.count() >= 1 &&
                s.offline_grace.count() <= 3600 && s.status_interval_s >= 1 &&
                s.status_interval_s <= 600 && s.session_ttl.count() >= 1 &&
                s.session_ttl.count() <= 24 * 90 && s.speech_rate_wpm >= 80 &&
                s.speech_rate_wpm <= 450,
            kTarget, "schedule, http, control and speech numbers in range");
    require(s.tls_certificate.empty() == s.tls_key.empty(), kTarget, "TLS files come in pairs");
    require(s.public_url.empty() || s.public_url.rfind("ws://", 0) == 0 ||
                s.public_url.rfind("wss://", 0) == 0,
            kTarget, "public_url is ws:// or wss://");
    for (const auto& src : s.sources) {
        if (src.kind == loa::pipeline::SourceKind::tone)
            require(src.frequency_hz >= 20 && src.frequency_hz <= 20000, kTarget,
                    "a tone is audible");
        if (src.kind == loa::pipeline::SourceKind::relay)
            require(src.location.rfind("http://", 0) == 0 ||
                        src.location.rfind("https://", 0) == 0 ||
                        src.location.rfind("rtsp://", 0) == 0,
                    kTarget, "a relay has an http, https or rtsp URL");
    }
    require(unique_ids(s.sources) && unique_ids(s.channels) && unique_ids(s.receivers), kTarget,
            "source, channel and receiver ids are unique");
    if (s.province)
        check_units(*s.province);
    auto channels = all_channels(s);
    auto key_length = loa::pipeline::srtp_master_length(s.profile);
    for (const auto& c : s.channels) {
        require(!c.source || std::any_of(s.sources.begin(), s.sources.end(),
                                         [&](const auto& src) { return src.id == *c.source; }),
                kTarget, "a channel plays a configured source");
        require(s.key_mode == KeyMode::per_receiver || c.group_key.size() == key_length, kTarget,
                "in group key mode every configured channel has a key of its profile");
    }
    if (s.key_mode == KeyMode::group)
        for (const auto& id : channels)
            require(std::any_of(s.channels.begin(), s.channels.end(),
                                [&](const ChannelSettings& c) { return c.id == id; }),
                    kTarget, "in group key mode every unit's channel is configured");
    for (const auto& r : s.receivers) {
        require(!r.id.empty() && r.id.size() <= 64 && r.key.size() == key_length, kTarget,
                "a receiver has a 1 to 64 character id and a key of its profile");
        require(std::find(channels.begin(), channels.end(), r.channel) != channels.end(), kTarget,
                "a receiver listens to a known channel");
        require(!r.address || r.address->port() != 0, kTarget, "a fixed address has a port");
    }
}

/// A ConfigError names what is at fault: the file, a key, or a --set flag.
void check_error(const ConfigError& e) {
    std::string_view what = e.what();
    require(what.rfind(std::string(kOrigin) + ": ", 0) == 0 ||
                what.rfind("config key \"", 0) == 0 || what.rfind("--set \"", 0) == 0,
            kTarget, "a configuration error names the file, the key or the flag");
}

void load(std::string_view input) {
    auto nul = input.find('\0');
    Config config = Config::parse(std::string(input.substr(0, nul)), kOrigin);
    while (nul != std::string_view::npos) {
        input.remove_prefix(nul + 1);
        nul = input.find('\0');
        config.apply_override(std::string(input.substr(0, nul)));
    }
    Settings settings = load_settings(config);
    check_settings(settings);
    Settings again = load_settings(Config::parse(config.dump(), kOrigin));
    require(describe(again) == describe(settings), kTarget,
            "dumped and parsed again, a configuration loads the same");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        load(std::string_view(reinterpret_cast<const char*>(data), size));
    } catch (const ConfigError& e) {
        check_error(e);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "config_fuzz: %s\n", e.what());
        require(false, kTarget, "only ConfigError is thrown");
    }
    return 0;
}
