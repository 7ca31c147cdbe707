#pragma once
/// @file
/// loa-receiver's settings: a JSON file and/or flags, validated, with defaults for the field.

#include <cstdint>
#include <string>
#include <vector>

#include "loa/common/config.hpp"
#include "loa/pipeline/endpoint.hpp"
#include "loa/pipeline/srtp.hpp"

namespace loa::clients {

/// Everything a receiver needs until the control plane delivers it over the network.
struct ReceiverSettings {
    std::string id;            ///< provisioned id; sent as RTCP CNAME
    pipeline::Endpoint server; ///< the server's media address
    pipeline::SrtpProfile profile = pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80;
    std::vector<std::uint8_t> key; ///< its own key: reports, and media in per-receiver mode
    std::string group;             ///< channel id in group-key mode ("" otherwise)
    std::vector<std::uint8_t> group_key;
    std::string state_dir = "/var/lib/loa-receiver";
    std::string output;  ///< "" = sound card, "FILE.wav", or "alsa:DEVICE"
    int jitter_ms = 80;  ///< jitter-buffer latency
    int channels = 1;    ///< as the server encodes (opus.channels)
    double volume = 1.0; ///< 0..2
    bool muted = false;
    /// A drill of a local fault: everything is played as silence (PlayerSettings::silent_fault)
    bool drill_silent_output = false;
    int report_interval_s = 5;
    double duration_s = 0; ///< stop by itself after this long (0 = run until told)
    std::string log_level = "info";
    /// A provisioning bundle (from receivers.provision): the control channel then gives the
    /// id, server, profile, keys and volume, and id/server/key are not needed.
    std::string provision;
};

/// Reads and validates; throws common::ConfigError naming the key.
ReceiverSettings load_receiver_settings(const common::Config& config);

} // namespace loa::clients
