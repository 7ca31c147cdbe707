#pragma once
/// @file
/// SDP (RFC 4566) with SDES keys (RFC 4568) so that a standard SRTP player can listen to one
/// receiver's stream.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loa/pipeline/srtp.hpp"

namespace loa::pipeline {

/// What goes into a receiver's SDP.
struct SdpDescription {
    std::string receiver_id;
    std::string listen_address;    ///< where the player listens (c= line)
    std::uint16_t listen_port = 0; ///< m= line
    SrtpProfile profile = SrtpProfile::aes_cm_128_hmac_sha1_80;
    std::vector<std::uint8_t> key;     ///< master key + salt
    std::optional<std::uint32_t> ssrc; ///< the current start's SSRC, if known
    int channels = 1;
};

/// Renders the SDP text (CRLF line ends).
std::string make_sdp(const SdpDescription& description);

} // namespace loa::pipeline
