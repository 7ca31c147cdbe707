#pragma once
/// @file
/// loa-server's settings: one struct with the defaults of the design brief, read from the
/// configuration file and `--set` overrides. Every error names the key and the fix.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loa/common/config.hpp"
#include "loa/pipeline/endpoint.hpp"
#include "loa/pipeline/source.hpp"
#include "loa/pipeline/srtp.hpp"
#include "loa/server/backups/backup_scheduler.hpp"
#include "loa/server/reports/push_settings.hpp"
#include "loa/server/supervision/thresholds.hpp"

namespace loa::server {

/// How keys are assigned.
enum class KeyMode {
    per_receiver, ///< each receiver its own key: a stolen box is revoked alone (default)
    group,        ///< one key per channel: protect once, send to all (the scale option)
};

/// A channel as configured.
struct ChannelSettings {
    std::string id;
    std::optional<std::string> source;   ///< id of the source it plays, if any
    std::vector<std::uint8_t> group_key; ///< group mode only
};

/// A receiver as configured.
struct ReceiverSettings {
    std::string id;
    std::string channel;
    std::vector<std::uint8_t> key;
    std::optional<pipeline::Endpoint> address; ///< fixed; otherwise latched from its reports
};

/// A unit of the province as configured: seeded into the schedule store at start-up.
struct UnitSettings {
    std::string code;
    std::string name;
    std::string quiet_start = "22:00";
    std::string quiet_end = "05:00";
    bool approval_required = true;
    /// The volume its clusters play emergencies at, even when muted or turned down (0.1-2;
    /// a commune's default is its province's).
    double emergency_volume = 1.0;
};

/// The province and its communes; each gets a channel named by its code.
struct ProvinceSettings {
    UnitSettings province;
    std::vector<UnitSettings> communes;
};

/// A capture device the admin has set up for live programs; the API names it by `id` only, so
/// that no caller's string ever reaches ALSA.
struct LiveInput {
    std::string id;     ///< what programs.create and emergency.start name: params.input
    std::string device; ///< the ALSA device (pipeline::valid_alsa_device)
    std::string name;   ///< shown to operators, e.g. "Phòng thu tầng 2"
};

/// Everything loa-server reads at start-up.
/// Live broadcasts from a browser or `loactl live` (WebRTC; docs/live.md).
struct LiveSettings {
    /// The local IP addresses offered to speakers as ICE candidates; empty: every interface
    /// but loopback (libnice's choice).
    std::vector<std::string> addresses;
    /// The UDP ports speakers' media arrives on, inclusive (0, 0: any ephemeral port).
    std::uint16_t port_min = 0, port_max = 0;
    int jitter_ms = 60; ///< the jitter buffer of the incoming voice
    /// No audio from the speaker for this long ends the broadcast (a dropped connection).
    std::chrono::seconds lost_after{5};
    std::chrono::minutes max_duration{120}; ///< a broadcast left on ends by itself
};

struct Settings {
    std::string log_level = "info";
    std::string state_dir = "/var/lib/loa";
    std::string media_bind = "0.0.0.0";
    std::uint16_t media_port = 5004;
    pipeline::SrtpProfile profile = pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80;
    KeyMode key_mode = KeyMode::per_receiver;
    unsigned workers = 0; ///< fan-out threads; 0 = one per core
    pipeline::EncoderSettings encoder;
    std::vector<pipeline::SourceSpec> sources;
    std::vector<ChannelSettings> channels;
    std::vector<ReceiverSettings> receivers;
    std::optional<ProvinceSettings> province;
    std::string time_zone = "Asia/Ho_Chi_Minh"; ///< of schedule entries made without one
    std::chrono::milliseconds lead{1500};       ///< how early scheduled sources are prepared
    std::string media_advertise_host;    ///< media host given to receivers; "" = as they reach us
    std::string http_bind = "127.0.0.1"; ///< the HTTP port: API, receivers, console, metrics
    std::uint16_t http_port = 8080;      ///< 0: any free port
    std::string tls_certificate;         ///< PEM; with tls_key, the port speaks only TLS
    std::string tls_key;
    std::string public_url;      ///< the server as receivers reach it, for provisioning bundles
    int max_upload_mb = 200;     ///< media uploads
    int max_connections = 20000; ///< HTTP/WebSocket connections at once
    int max_connections_per_address = 4096; ///< from one address (clusters share carrier NAT)
    std::chrono::seconds login_timeout{60}; ///< a WebSocket must log in or say hello by then
    /// A file holding the token /metrics requires as "Authorization: Bearer"; "" = open.
    std::string metrics_token_file;
    std::chrono::seconds offline_grace{20}; ///< a dropped receiver stays online this long
    int status_interval_s = 10;             ///< receivers report this often
    std::chrono::hours session_ttl{12};     ///< operators' session tokens
    /// Local "HH:MM" at which each reporting day's indicators are frozen (docs/indicators.md).
    std::string indicators_cutoff = "17:00";
    /// Where each frozen day's indicators are POSTed (indicators.push).
    std::vector<IndicatorPushSettings> indicator_pushes;
    std::string admin_password_file; ///< first start: the admin's password (else random)
    std::string speech_voice = "vi"; ///< espeak-ng voice of text bulletins
    int speech_rate_wpm = 150;
    std::vector<LiveInput> live_inputs; ///< capture devices for live programs, by id
    LiveSettings live;                  ///< live broadcasts from a browser or loactl
    /// The one folder whose files programs.create {path} may take (resolved, symlinks too);
    /// "" = none: files come by upload only.
    std::string import_dir;
    /// Relays may reach loopback, private, link-local and CGNAT addresses (a relay inside the
    /// province's own network); off by default, so that a caller cannot make the server fetch
    /// from its own neighbourhood.
    bool allow_private_relays = false;
    /// The key that seals SRTP keys in loa.db (32 bytes, mode 0600; made at first start);
    /// "" = state_dir/seal.key. LOA_SEAL_KEY (base64) takes its place when set.
    std::string seal_key_file;
    SupervisionSettings supervision; ///< alarms' thresholds
    BackupSettings backups;          ///< off unless backups.dir is set
};

/// The schedule database: state_dir/loa.db.
std::string database_file(const Settings& settings);
/// Where uploaded programs and rendered bulletins are kept: state_dir/media.
std::string media_dir(const Settings& settings);
/// The operator's local control socket (JSON-RPC, owner only): state_dir/control.sock.
std::string control_socket_file(const Settings& settings);
/// The sealing key's file: secrets.seal_key_file, or state_dir/seal.key.
std::string seal_key_file(const Settings& settings);
/// Makes `settings.state_dir` the server's alone: the process's umask becomes 077, the folder
/// is made if needed, and it and everything in it are set to 0700 (folders) and 0600 (files),
/// so that no other local user reads the database, the media or the keys. Throws on failure.
void secure_state_dir(const Settings& settings);
/// Every channel: configured ones, then each unit's channel not configured.
std::vector<std::string> all_channels(const Settings& settings);

/// Reads and validates settings; throws common::ConfigError naming the key on any problem.
Settings load_settings(const common::Config& config);

/// The file under state_dir that holds the next media epoch.
std::string epoch_file(const Settings& settings);

} // namespace loa::server
