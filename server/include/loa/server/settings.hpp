#pragma once
/// @file
/// loa-server's settings: one struct with the defaults of the design brief, read from the
/// configuration file and `--set` overrides. Every error names the key and the fix.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loa/common/config.hpp"
#include "loa/pipeline/endpoint.hpp"
#include "loa/pipeline/source.hpp"
#include "loa/pipeline/srtp.hpp"

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

/// Everything loa-server reads at start-up.
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
};

/// Reads and validates settings; throws common::ConfigError naming the key on any problem.
Settings load_settings(const common::Config& config);

/// The file under state_dir that holds the next media epoch.
std::string epoch_file(const Settings& settings);

} // namespace loa::server
