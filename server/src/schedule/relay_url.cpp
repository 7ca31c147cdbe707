#include "loa/server/schedule/relay_url.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>
#include <charconv>
#include <netdb.h>

namespace loa::server {
namespace {

using common::Errc;
using common::make_error;

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

/// Whether an IPv4 address (host order) is in a range a relay may reach freely.
bool public_v4(std::uint32_t a) {
    struct Range {
        std::uint32_t base;
        int bits;
    };
    static constexpr std::array<Range, 15> kNotPublic = {{
        {0x00000000, 8},  // "this network"
        {0x0A000000, 8},  // private
        {0x64400000, 10}, // carrier-grade NAT
        {0x7F000000, 8},  // loopback
        {0xA9FE0000, 16}, // link-local (cloud metadata lives here)
        {0xAC100000, 12}, // private
        {0xC0000000, 24}, // IETF protocol assignments
        {0xC0000200, 24}, // documentation
        {0xC0586300, 24}, // 6to4 relay anycast
        {0xC0A80000, 16}, // private
        {0xC6120000, 15}, // benchmarking
        {0xC6336400, 24}, // documentation
        {0xCB007100, 24}, // documentation
        {0xE0000000, 4},  // multicast
        {0xF0000000, 4},  // reserved, broadcast
    }};
    return std::none_of(kNotPublic.begin(), kNotPublic.end(), [a](const Range& r) {
        std::uint32_t mask = ~std::uint32_t{0} << (32 - r.bits);
        return (a & mask) == r.base;
    });
}

bool public_v6(const std::array<std::uint8_t, 16>& b) {
    auto v4_at = [&](int at) {
        return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
               (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
    };
    bool zero_first_10 = std::all_of(b.begin(), b.begin() + 10, [](auto x) { return x == 0; });
    if (zero_first_10 && b[10] == 0xff && b[11] == 0xff)
        return public_v4(v4_at(12)); // IPv4-mapped
    if (zero_first_10 && b[10] == 0 && b[11] == 0)
        return false; // ::, ::1 and the deprecated IPv4-compatible forms
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        return public_v4(v4_at(12)); // NAT64 64:ff9b::/96
    if (b[0] == 0x20 && b[1] == 0x02)
        return public_v4(v4_at(2)); // 6to4 carries an IPv4 address
    if ((b[0] & 0xfe) == 0xfc)
        return false; // unique local
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return false; // link-local
    if (b[0] == 0xff)
        return false; // multicast
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return false; // documentation
    return true;
}

bool valid_host_name(std::string_view host) {
    return !host.empty() && host.size() <= 253 &&
           host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                  ".-") == std::string_view::npos;
}

} // namespace

common::Result<RelayUrl> parse_relay_url(std::string_view url) {
    if (url.size() > 2048)
        return make_error(Errc::invalid_argument, "a relay URL has at most 2048 characters");
    if (std::any_of(url.begin(), url.end(), [](unsigned char c) {
            return c <= 0x20 || c == 0x7f || c == '\\' || c >= 0x80;
        }))
        return make_error(Errc::invalid_argument,
                          "a relay URL has no spaces, control characters, backslashes or "
                          "non-ASCII characters (percent-encode them)");
    auto scheme_end = url.find("://");
    RelayUrl out;
    if (scheme_end != std::string_view::npos)
        out.scheme = lower(url.substr(0, scheme_end));
    if (out.scheme != "http" && out.scheme != "https" && out.scheme != "rtsp")
        return make_error(Errc::invalid_argument,
                          "a relay needs an http://, https:// or rtsp:// URL");
    auto rest = url.substr(scheme_end + 3);
    auto authority_end = std::min(rest.find_first_of("/?#"), rest.size());
    auto authority = rest.substr(0, authority_end);
    out.rest = std::string(rest.substr(authority_end));
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        out.userinfo = std::string(authority.substr(0, at));
        authority = authority.substr(at + 1);
    }
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return make_error(Errc::invalid_argument, "a relay URL's [IPv6] host has no ']'");
        out.host = std::string(authority.substr(1, close - 1));
        in6_addr probe{};
        if (inet_pton(AF_INET6, out.host.c_str(), &probe) != 1)
            return make_error(Errc::invalid_argument,
                              "a relay URL's [IPv6] host is not an IPv6 address");
        auto after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':')
            return make_error(Errc::invalid_argument, "a relay URL has text after its host");
        port = after.empty() ? after : after.substr(1);
    } else {
        auto colon = authority.find(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos)
            port = authority.substr(colon + 1);
        if (!valid_host_name(out.host))
            return make_error(Errc::invalid_argument,
                              "a relay URL needs a host name or address (letters, digits, '.' "
                              "and '-')");
    }
    out.port = out.scheme == "http" ? 80 : out.scheme == "https" ? 443 : 554;
    if (!port.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
            return make_error(Errc::invalid_argument,
                              "a relay URL's port is a number from 1 to 65535");
        out.port = static_cast<std::uint16_t>(value);
    }
    return out;
}

bool is_public_address(std::string_view address) {
    std::string text(address);
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1)
        return public_v4(ntohl(v4.s_addr));
    std::array<std::uint8_t, 16> v6{};
    if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1)
        return public_v6(v6);
    return false;
}

common::Result<void> check_relay_url(std::string_view url, bool allow_private) {
    auto parsed = parse_relay_url(url);
    if (!parsed)
        return parsed.error();
    if (allow_private)
        return {};
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(parsed->host.c_str(), nullptr, &hints, &found); rc != 0)
        return make_error(Errc::invalid_argument, "the relay's host \"" + parsed->host +
                                                      "\" does not resolve: " + gai_strerror(rc));
    std::string refused;
    for (auto* a = found; a != nullptr && refused.empty(); a = a->ai_next) {
        char text[INET6_ADDRSTRLEN] = {};
        const void* raw = a->ai_family == AF_INET
                              ? static_cast<const void*>(
                                    &reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr)
                              : static_cast<const void*>(
                                    &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
        if (inet_ntop(a->ai_family, raw, text, sizeof text) == nullptr || !is_public_address(text))
            refused = text;
    }
    freeaddrinfo(found);
    if (!refused.empty())
        return make_error(Errc::invalid_argument,
                          "the relay's host \"" + parsed->host + "\" is " + refused +
                              ", a loopback, private, link-local or reserved address; relays "
                              "reach public addresses unless the server's configuration sets "
                              "programs.allow_private_relays");
    return {};
}

std::string redact_url(std::string_view url) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return std::string(url);
    auto start = scheme_end + 3;
    auto authority_end = std::min(url.find_first_of("/?#", start), url.size());
    auto at = url.substr(start, authority_end - start).rfind('@');
    if (at == std::string_view::npos)
        return std::string(url);
    return std::string(url.substr(0, start)) + "***@" + std::string(url.substr(start + at + 1));
}

} // namespace loa::server
