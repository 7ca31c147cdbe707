#pragma once
// What the sessions share: Beast's names, the server's parts a session needs, and the small
// helpers both kinds of session use.

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <memory>
#include <spdlog/spdlog.h>
#include <string>
#include <string_view>

#include "loa/http/server.hpp"
#include "stream_sink.hpp"

namespace loa::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace wire = beast::http; ///< HTTP messages as Beast reads and writes them
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

/// What every session needs of the server.
struct Shared {
    const HttpOptions& options;
    const HttpServer::Handler& handler;
    const WebSocketAccept& websocket;
    asio::thread_pool& pool;
    SinkRegistry& sinks;
    spdlog::logger& log; ///< options.logger, or one that drops everything
};

/// At most `max` bytes of a caller's text, for a log line that quotes it with {:?} (escaped,
/// so that it cannot forge a line).
inline std::string_view cut(std::string_view text, std::size_t max = 200) {
    return text.substr(0, max);
}

/// "address:port" of the peer ("[v6]:port"), or "unknown".
std::string peer_of(const tcp::socket& socket);

/// Copies a Beast request's headers into `out`, names in lower case.
template <class Fields> void copy_headers(const Fields& fields, HttpRequest& out) {
    for (const auto& field : fields) {
        std::string name(field.name_string());
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(field.value());
    }
}

/// Ends the sending side of a connection. `owner` is the session the stream belongs to: a TLS
/// shutdown completes later, and must find its stream still there.
void shutdown_stream(PlainStream& stream, const std::shared_ptr<void>& owner);
void shutdown_stream(TlsStream& stream, std::shared_ptr<void> owner);

/// Headers every answer carries: no framing by other sites (clickjacking), no MIME sniffing,
/// and over TLS, HSTS so that a browser never falls back to plain HTTP.
template <class Response> void set_security_headers(Response& response, bool tls) {
    response.set("x-frame-options", "DENY");
    response.set("x-content-type-options", "nosniff");
    if (tls)
        response.set("strict-transport-security", "max-age=31536000");
}

/// Whether a WebSocket upgrade comes from this server's own pages or from a client that is no
/// browser page (no Origin): an Origin's host and port must be the Host the client reached.
bool same_origin(const HttpRequest& request);

/// A fresh name for an upload's file: "upload-" and 24 random hex digits.
std::string upload_name();

} // namespace loa::http::detail
