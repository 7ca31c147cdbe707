#pragma once
/// @file
/// The URLs of relay programs, which callers give and the server then fetches: checked before
/// they are stored, so that no caller can make the server reach into its own neighbourhood
/// (loopback, the province's private network, link-local cloud metadata), and shown back
/// without their credentials.

#include <cstdint>
#include <string>
#include <string_view>

#include "loa/common/result.hpp"

namespace loa::server {

/// A relay URL taken apart: scheme://[userinfo@]host[:port][path?query].
struct RelayUrl {
    std::string scheme;   ///< "http", "https" or "rtsp"
    std::string userinfo; ///< "user:password", or "" (never shown back)
    std::string host;     ///< a DNS name or an address literal (IPv6 without brackets)
    std::uint16_t port = 0;
    std::string rest; ///< from the first '/', '?' or '#' on; may be ""
};

/// Takes a relay URL apart; an error says what is wrong (scheme, host, port, characters).
common::Result<RelayUrl> parse_relay_url(std::string_view url);

/// Whether a relay may fetch from `address` (an IPv4 or IPv6 literal) without
/// programs.allow_private_relays: false for loopback, unspecified, private (RFC 1918, ULA),
/// CGNAT, link-local, multicast, broadcast and reserved ranges, and for IPv4 in IPv6 forms of
/// those.
bool is_public_address(std::string_view address);

/// Checks a relay URL given by a caller: well formed, http/https/rtsp, and unless
/// `allow_private`, its host resolves and every address it resolves to is public. The error
/// names the host and the address, never the credentials.
common::Result<void> check_relay_url(std::string_view url, bool allow_private);

/// `url` with any credentials replaced by "***", for showing it back or logging it.
std::string redact_url(std::string_view url);

} // namespace loa::server
