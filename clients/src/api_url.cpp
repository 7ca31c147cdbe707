#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>

#include "loa/clients/api_client.hpp"

namespace loa::clients {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

common::Error url_error(std::string_view url, const std::string& what) {
    return common::make_error(common::Errc::invalid_argument,
                              "invalid server URL \"" + std::string(url) + "\": " + what +
                                  " (expected ws://HOST[:PORT][/PATH] or wss://...; http:// and "
                                  "https:// are accepted too)");
}

bool valid_port(const std::string& port) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
        return false;
    int n = std::stoi(port);
    return n >= 1 && n <= 65535;
}

/// Splits "host", "host:port", "[v6]" or "[v6]:port" into `e.host` and `e.port`.
std::string split_authority(std::string_view authority, ApiEndpoint& e) {
    std::string_view port;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return "a '[' without ']' around the IPv6 address";
        e.host = authority.substr(1, close - 1);
        auto rest = authority.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':'))
            return "unexpected \"" + std::string(rest) + "\" after the IPv6 address";
        if (!rest.empty())
            port = rest.substr(1);
        if (port.empty() && !rest.empty())
            return "an empty port";
    } else {
        auto colon = authority.find(':');
        if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string::npos)
            return "an IPv6 address must be written in brackets, e.g. ws://[::1]:8080";
        e.host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty())
                return "an empty port";
        }
    }
    if (e.host.empty())
        return "no host";
    if (!port.empty()) {
        e.port = port;
        if (!valid_port(e.port))
            return "the port must be a number from 1 to 65535, got \"" + e.port + "\"";
    }
    return {};
}

} // namespace

common::Result<ApiEndpoint> parse_api_url(std::string_view url, std::string_view default_path) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return url_error(url, "no scheme");
    std::string scheme = lower(url.substr(0, scheme_end));
    ApiEndpoint e;
    if (scheme == "ws" || scheme == "http") {
        e.tls = false;
        e.port = "80";
    } else if (scheme == "wss" || scheme == "https") {
        e.tls = true;
        e.port = "443";
    } else {
        return url_error(url, "unknown scheme \"" + scheme + "\"");
    }
    auto rest = url.substr(scheme_end + 3);
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    if (authority.find('@') != std::string_view::npos)
        return url_error(url, "a user name or password in the URL is not supported (log in "
                              "instead, or use a bearer token)");
    if (authority.find_first_of("?# ") != std::string_view::npos)
        return url_error(url, "unexpected characters in the host part");
    if (auto what = split_authority(authority, e); !what.empty())
        return url_error(url, what);
    e.path = slash == std::string_view::npos ? std::string(default_path)
                                             : std::string(rest.substr(slash));
    if (e.path.empty() || e.path == "/")
        e.path = default_path;
    if (e.path.find_first_of("# ") != std::string::npos)
        return url_error(url, "a fragment or a space in the path");
    return e;
}

std::string to_url(const ApiEndpoint& e) {
    bool v6 = e.host.find(':') != std::string::npos;
    return std::string(e.tls ? "wss://" : "ws://") + (v6 ? "[" + e.host + "]" : e.host) + ":" +
           e.port + e.path;
}

bool is_loopback_host(std::string_view host) {
    if (lower(host) == "localhost")
        return true;
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(std::string(host), ec);
    if (ec)
        return false;
    if (address.is_v4())
        return address.to_v4().is_loopback();
    auto v6 = address.to_v6();
    if (v6.is_v4_mapped())
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).is_loopback();
    return v6.is_loopback();
}

std::string url_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

} // namespace loa::clients
