#pragma once
/// @file
/// A synchronous client of Loa's JSON-RPC 2.0 API over WebSocket (ws:// or wss://), plus one-shot
/// HTTP requests to the same server for the REST routes (uploads, CSV exports). Used by loactl
/// and by loa-receiver's control channel. One ApiConnection belongs to one thread.

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "loa/common/jsonrpc.hpp"
#include "loa/common/result.hpp"

namespace loa::clients {

/// Where the API listens: parsed from "ws://host:port/path" and its variants.
struct ApiEndpoint {
    bool tls = false; ///< wss:// or https://
    std::string host; ///< a name or an IP address (IPv6 without brackets)
    std::string port; ///< "80"/"443" unless the URL gave one
    std::string path; ///< starts with '/'
};

/// Parses ws://, wss://, http:// (= ws://) and https:// (= wss://) URLs. The path defaults to
/// `default_path` (e.g. "/api/v1/ws"). Errors name the URL and what is wrong with it.
common::Result<ApiEndpoint> parse_api_url(std::string_view url,
                                          std::string_view default_path = "/api/v1/ws");

/// The URL an endpoint was parsed from, normalised ("wss://host:443/api/v1/ws").
std::string to_url(const ApiEndpoint& endpoint);

/// True for "localhost", 127.0.0.0/8 and ::1 (also as ::ffff:127.x.x.x).
bool is_loopback_host(std::string_view host);

/// Percent-encodes everything but RFC 3986's unreserved characters (for query strings).
std::string url_encode(std::string_view text);

/// How to reach the server.
struct ConnectOptions {
    /// PEM file of the CA that signed the server's certificate; empty = the system's CAs.
    std::string ca_file;
    /// Sent as "Authorization: Bearer ..." on the upgrade (or HTTP) request when not empty.
    std::string bearer_token;
    /// Bound on each step: connect, TLS and WebSocket handshakes, each call, each HTTP transfer
    /// step without progress.
    std::chrono::milliseconds timeout{10000};
    /// Permits ws:// and http:// to a host that is not a loopback address. Off by default:
    /// passwords and tokens must not cross the network in clear.
    bool allow_plain_remote = false;
};

/// A JSON-RPC error answered by the server (the code is one of jsonrpc::code).
struct ApiError : std::runtime_error {
    ApiError(int code, std::string message);
    int code;            ///< e.g. -32004 unauthorized/forbidden
    std::string message; ///< the server's message, without the code
};

/// One WebSocket connection to the API. Calls block the calling thread; messages the server
/// pushes (notifications and requests to the client) are kept until next() takes them (the
/// latest 4096). Not thread-safe: use it from one thread. Destroying it drops the connection
/// without the WebSocket close handshake: call close() first to end politely.
class ApiConnection {
public:
    /// Connects, performs the TLS handshake (verifying the certificate and the host name) and the
    /// WebSocket upgrade. Refuses a plain connection to a remote host unless allowed.
    static common::Result<std::unique_ptr<ApiConnection>> connect(const ApiEndpoint& endpoint,
                                                                  const ConnectOptions& options);
    ~ApiConnection();
    ApiConnection(const ApiConnection&) = delete;
    ApiConnection& operator=(const ApiConnection&) = delete;

    /// Sends a request and waits (up to the timeout) for its response. Returns its result; throws
    /// ApiError for a JSON-RPC error and std::runtime_error when the connection fails or the
    /// answer is late. Pushed messages arriving meanwhile are queued for next().
    boost::json::value call(const std::string& method, boost::json::object params = {});

    /// Sends a notification (a request without id, which the server does not answer).
    void notify(const std::string& method, boost::json::object params = {});

    /// The next notification or server-to-client request (an object with "method", and "id" if
    /// it is a request), waiting up to `wait`; nullopt when none came. Throws std::runtime_error
    /// once the connection is closed or failed.
    std::optional<boost::json::object> next(std::chrono::milliseconds wait);

    /// Answers a server-to-client request.
    void reply(const boost::json::value& id, boost::json::value result);

    /// Answers a server-to-client request with an error.
    void reply_error(const boost::json::value& id, int code, const std::string& message);

    /// Closes the WebSocket politely (bounded by the timeout); later calls throw.
    void close();

    /// Whether the connection still works (no failure seen, not closed).
    bool is_open() const;

private:
    class Impl;
    explicit ApiConnection(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

/// What an HTTP request returned.
struct HttpReply {
    unsigned status = 0;      ///< e.g. 201
    std::string content_type; ///< the Content-Type header ("" if none)
    std::string body;
};

/// Sends one HTTP request on a fresh connection to the endpoint's host (same TLS and loopback
/// rules as connect()); `target` is the path and query. Any status is a reply: only transport
/// failures are errors. Response bodies are limited to 64 MiB.
common::Result<HttpReply> http_request(const ApiEndpoint& endpoint, const ConnectOptions& options,
                                       std::string_view method, std::string_view target,
                                       std::string body = {}, std::string_view content_type = {});

/// As http_request, with the file at `path` as the body, streamed from disk.
common::Result<HttpReply> http_upload(const ApiEndpoint& endpoint, const ConnectOptions& options,
                                      std::string_view method, std::string_view target,
                                      const std::string& path,
                                      std::string_view content_type = "application/octet-stream");

} // namespace loa::clients
