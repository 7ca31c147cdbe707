#pragma once
/// @file
/// The HTTP port of loa-server (Boost.Beast): HTTP and WebSocket on one port, plain or TLS.
/// One thread does the network; requests and WebSocket messages are handled on a small pool
/// of workers, so a slow method (a bulletin being rendered) never stalls another client. Every
/// read and write has a deadline, request bodies a limit, and a client that does not read what
/// it is sent is dropped: a slow or stalled client only ever holds its own connection.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace loa::server {

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

/// The server side of one WebSocket connection, for the application. Thread-safe.
class WebSocketLink {
public:
    virtual ~WebSocketLink() = default;
    /// Queues a text message. A client that lets more than HttpServer::kMaxQueuedBytes pile up
    /// unread is disconnected.
    virtual void send(std::string text) = 0;
    /// Closes the connection (after what is queued).
    virtual void close() = 0;
};

/// What the application does with one WebSocket connection's messages. Called on a worker
/// thread, one message at a time per connection, in order.
class WebSocketHandler {
public:
    virtual ~WebSocketHandler() = default;
    virtual void on_message(const std::string& text) = 0;
    /// Whether the peer has proven who it is (logged in, said hello): a connection that has
    /// not within HttpOptions::login_timeout is closed. Any thread.
    virtual bool authenticated() const { return true; }
    /// The connection has ended (either side); called once.
    virtual void on_close() {}
};

/// Decides on a WebSocket upgrade: a handler to accept it, or a response that refuses it.
using WebSocketAccept = std::function<std::variant<HttpResponse, std::shared_ptr<WebSocketHandler>>(
    const HttpRequest& upgrade, std::shared_ptr<WebSocketLink> link)>;

/// TLS files (PEM).
struct TlsFiles {
    std::string certificate; ///< the certificate chain
    std::string private_key;
};

/// How to serve.
struct HttpOptions {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 8080; ///< 0: any free port
    std::optional<TlsFiles> tls;
    /// Paths (exact) whose POST bodies are streamed to a file in `upload_dir`, up to
    /// `max_upload` bytes, instead of being held in memory.
    std::vector<std::string> upload_paths;
    std::string upload_dir; ///< emptied of what a crash left at start()
    std::uint64_t max_upload = std::uint64_t{200} * 1024 * 1024;
    /// Largest WebSocket message accepted.
    std::size_t max_message = std::size_t{1024} * 1024;
    unsigned workers = 4; ///< threads that run routes and WebSocket handlers
    /// Connections open at once, in all and from one address; one over is closed at once.
    std::size_t max_connections = 20000;
    std::size_t max_connections_per_address = 4096;
    /// A WebSocket whose handler is not authenticated() this long after the upgrade is closed.
    std::chrono::seconds login_timeout{60};
    /// Decides on an upload from its header alone, before anything is written to disk or
    /// "100-continue" is answered: nullopt admits it, a response refuses it (and the
    /// connection closes unread). Runs on a worker (it may read the database); none: admit.
    std::function<std::optional<HttpResponse>(const HttpRequest&)> admit_upload;
};

/// Serves HTTP and WebSocket on one address and port.
class HttpServer {
public:
    using Handler = std::function<HttpResponse(const HttpRequest&)>;

    /// Request bodies held in memory above this are refused with 413.
    static constexpr std::size_t kMaxBody = std::size_t{1024} * 1024;
    /// Each read or write of an HTTP connection must finish within this.
    static constexpr std::chrono::seconds kTimeout{30};
    /// A WebSocket peer silent this long (it answers the server's pings) is dropped.
    static constexpr std::chrono::seconds kIdleTimeout{60};
    /// Unread bytes queued for one WebSocket client before it is dropped.
    static constexpr std::size_t kMaxQueuedBytes = std::size_t{8} * 1024 * 1024;
    /// Unwritten bytes of a streaming response before its client is dropped.
    static constexpr std::size_t kMaxStreamBacklog = std::size_t{256} * 1024;

    HttpServer(HttpOptions options, Handler handler, WebSocketAccept websocket = nullptr);
    HttpServer(std::string bind, std::uint16_t port, Handler handler);
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    ~HttpServer();

    /// Binds (throws with the reason if it cannot, or if the TLS files do not load) and starts
    /// serving on its own threads.
    void start();
    /// Stops accepting and closes every connection (streaming sinks refuse writes from the
    /// start of the call); returns once the threads have ended.
    void stop();
    /// The bound port (useful when 0 was asked for).
    std::uint16_t port() const { return options_.port; }
    bool tls() const { return options_.tls.has_value(); }

private:
    struct State;
    HttpOptions options_;
    Handler handler_;
    WebSocketAccept websocket_;
    std::unique_ptr<State> state_;
    std::thread thread_;
};

/// Percent-decodes a URL component ('+' is a space); nullopt if malformed.
std::optional<std::string> url_decode(std::string_view text);

} // namespace loa::server
