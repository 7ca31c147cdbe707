#pragma once
/// @file
/// Requests and responses as the application's routes see them: plain structs, with no trace
/// of Beast.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace loa::http {

/// A request as the routes see it.
struct HttpRequest {
    std::string method;                         ///< "GET", "POST", ...
    std::string target;                         ///< path and query, e.g. "/metrics?x=1"
    std::string body;                           ///< the body, unless it was streamed to `body_file`
    std::string peer;                           ///< the client's address, e.g. "127.0.0.1:51234"
    std::map<std::string, std::string> headers; ///< lower-case names
    /// An upload streamed to disk (see HttpOptions::upload_paths): the file holding the body.
    /// The route may move it away; whatever is left there is deleted after the route returns.
    std::string body_file;
    bool tls = false; ///< came over TLS

    /// The path without the query.
    std::string path() const;
    /// A query parameter, percent-decoded; nullopt if absent.
    std::optional<std::string> query(const std::string& name) const;
    /// A header's value ("" if absent); `name` in lower case.
    std::string header(const std::string& name) const;
    /// The peer's address without the port (IPv6 without brackets).
    std::string peer_address() const;
    /// True if the peer is a loopback address (127.0.0.0/8 or ::1).
    bool from_loopback() const;
    /// True if no one on the network can read it: it came over TLS or from this machine.
    bool confidential() const { return tls || from_loopback(); }
};

/// Where the body of a streaming response goes (see HttpResponse::stream). Thread-safe.
class HttpStreamSink {
public:
    virtual ~HttpStreamSink() = default;
    /// Queues `bytes` as one chunk. False once the client has gone, the stream has ended, the
    /// server is stopping, or the client has left more than HttpServer::kMaxStreamBacklog
    /// bytes unread (it is then dropped): the producer should stop writing.
    virtual bool write(std::string bytes) = 0;
    /// Ends the body after what is queued, and the connection with it.
    virtual void end() = 0;
    /// False once write() would be refused.
    virtual bool open() const = 0;
};

/// Produces a streaming body: called once, on a worker thread, when the status and headers
/// have been sent; it keeps the sink and returns promptly. Never called if the client has
/// gone before (it is then just destroyed).
using HttpStreamProducer = std::function<void(std::shared_ptr<HttpStreamSink>)>;

/// What a route answers.
struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::map<std::string, std::string> headers; ///< extra headers, e.g. content-disposition
    /// If set, a streaming response: `body` is ignored, the body is sent chunked as the
    /// producer writes it, with no deadline but on each write's progress, and the connection
    /// ends with it (a client that sends anything more ends it too).
    HttpStreamProducer stream = nullptr;
};

/// A plain-text response.
HttpResponse text_response(int status, std::string body);
/// A JSON response (`body` is JSON text).
HttpResponse json_response(int status, std::string body);

/// Percent-decodes a URL component ('+' is a space); nullopt if malformed.
std::optional<std::string> url_decode(std::string_view text);

} // namespace loa::http
