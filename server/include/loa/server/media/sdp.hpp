#pragma once
/// @file
/// `loa-server --sdp RECEIVER_ID`: the SDP a standard SRTP player needs to listen as that
/// receiver.

#include <string>

#include "loa/common/result.hpp"
#include "loa/server/app/settings.hpp"

namespace loa::server {

/// SDP for a configured receiver. The SSRC is that of the running server's current start (read
/// from the epoch file in state_dir), when there is one.
common::Result<std::string> receiver_sdp(const Settings& settings, const std::string& receiver_id);

/// A fresh random key for `profile`, in base64 (`loa-server --new-key`).
std::string new_key(pipeline::SrtpProfile profile);

} // namespace loa::server
