#pragma once
/// @file
/// The SDP a standard SRTP player needs to listen as a receiver: for a configured receiver
/// (`loa-server --sdp RECEIVER_ID`) and for a provisioned one (GET /api/v1/receivers/ID/sdp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loa/common/result.hpp"
#include "loa/server/app/settings.hpp"

namespace loa::server {

/// The SDP a standard SRTP player needs to listen as `receiver_id` at `at`, decrypting with
/// `key`; `ssrc` is the current start's, when known. The profile and channels are `settings`'.
std::string player_sdp(const Settings& settings, const std::string& receiver_id,
                       std::vector<std::uint8_t> key, std::optional<std::uint32_t> ssrc,
                       const pipeline::Endpoint& at);

/// SDP for a configured receiver. The SSRC is that of the running server's current start (read
/// from the epoch file in state_dir), when there is one.
common::Result<std::string> receiver_sdp(const Settings& settings, const std::string& receiver_id);

/// A fresh random key for `profile`, in base64 (`loa-server --new-key`).
std::string new_key(pipeline::SrtpProfile profile);

} // namespace loa::server
