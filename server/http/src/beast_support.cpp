#include "beast_support.hpp"

#include <array>
#include <stdexcept>
#include <sys/random.h>

namespace loa::http::detail {

std::string peer_of(const tcp::socket& socket) {
    beast::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec)
        return "unknown";
    auto address = remote.address().to_string();
    if (remote.address().is_v6())
        address = "[" + address + "]";
    return address + ":" + std::to_string(remote.port());
}

void shutdown_stream(PlainStream& stream, const std::shared_ptr<void>& /*owner*/) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

void shutdown_stream(TlsStream& stream, std::shared_ptr<void> owner) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    stream.async_shutdown([&stream, owner = std::move(owner)](beast::error_code) {
        beast::error_code ec;
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
    });
}

bool same_origin(const HttpRequest& request) {
    auto origin = request.header("origin");
    if (origin.empty())
        return true;
    auto scheme_end = origin.find("://");
    if (scheme_end == std::string::npos)
        return false;
    std::string scheme = origin.substr(0, scheme_end);
    std::string authority = origin.substr(scheme_end + 3);
    std::string host = request.header("host");
    if (authority == host)
        return true;
    // An Origin names its default port only implicitly, a Host header may name it.
    std::string port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
    return !port.empty() && (authority + port == host || authority == host + port);
}

std::string upload_name() {
    std::array<unsigned char, 12> bytes{};
    // The kernel's generator: no library state to set up per thread (nor to leak at exit).
    if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
        throw std::runtime_error("no random bytes for an upload's name");
    constexpr const char* kHex = "0123456789abcdef";
    std::string name = "upload-";
    for (auto b : bytes) {
        name += kHex[b >> 4];
        name += kHex[b & 0xf];
    }
    return name;
}

} // namespace loa::http::detail
