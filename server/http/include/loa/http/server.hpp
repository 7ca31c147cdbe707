#pragma once
/// @file
/// An HTTP server (Boost.Beast): HTTP and WebSocket on one port, plain or TLS. One thread does
/// the network; requests and WebSocket messages are handled on a small pool of workers, so a
/// slow route never stalls another client. Every read and write has a deadline, request bodies
/// a limit, and a client that does not read what it is sent is dropped: a slow or stalled
/// client only ever holds its own connection. This library knows nothing of what it serves.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "loa/http/message.hpp"
#include "loa/http/websocket.hpp"

namespace spdlog {
class logger;
}

namespace loa::http {

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
    /// Where the server says what it does and what went wrong; none: it says nothing.
    std::shared_ptr<spdlog::logger> logger;
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
    /// Whether it serves TLS.
    bool tls() const { return options_.tls.has_value(); }

private:
    struct State;
    HttpOptions options_;
    Handler handler_;
    WebSocketAccept websocket_;
    std::unique_ptr<State> state_;
    std::thread thread_;
};

} // namespace loa::http
