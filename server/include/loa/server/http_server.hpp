#pragma once
/// @file
/// The HTTP port of loa-server (Boost.Beast): one thread, keep-alive, a deadline on every
/// read and write so that a slow or stalled client only ever holds its own connection, and a
/// limit on request bodies. Routes are a function of the request.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace loa::server {

/// A request as the routes see it.
struct HttpRequest {
    std::string method; ///< "GET", "POST", ...
    std::string target; ///< path and query, e.g. "/metrics"
    std::string body;
    std::string peer; ///< the client's address, e.g. "127.0.0.1:51234"
};

/// What a route answers.
struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

/// Serves HTTP on one address and port.
class HttpServer {
public:
    using Handler = std::function<HttpResponse(const HttpRequest&)>;

    /// Request bodies above this are refused with 413.
    static constexpr std::size_t kMaxBody = std::size_t{1024} * 1024;
    /// Each read or write of a connection must finish within this.
    static constexpr std::chrono::seconds kTimeout{30};

    HttpServer(std::string bind, std::uint16_t port, Handler handler);
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    ~HttpServer();

    /// Binds (throws with the reason if it cannot) and starts serving on its own thread.
    void start();
    /// Stops accepting and closes every connection; returns once the thread has ended.
    void stop();
    /// The bound port (useful when 0 was asked for).
    std::uint16_t port() const { return port_; }

private:
    struct State;
    std::string bind_;
    std::uint16_t port_;
    Handler handler_;
    std::unique_ptr<State> state_;
    std::thread thread_;
};

} // namespace loa::server
