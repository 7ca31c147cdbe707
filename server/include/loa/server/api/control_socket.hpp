#pragma once
/// @file
/// The operator's local control socket: a Unix stream socket (mode 0600, so only the server's
/// own user, e.g. root on the server, can use it) carrying JSON-RPC 2.0, one request or batch
/// per line, one response per line. The WebSocket API serves the same methods to the network.

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace loa::server {

/// Serves newline-delimited JSON-RPC on a Unix socket, one thread per connection.
class ControlSocket {
public:
    /// `handle(text, caller)` answers one line ("" for nothing to answer).
    using Handler = std::function<std::string(std::string_view text, const std::string& caller)>;

    /// Lines longer than this are refused (an .ics import fits easily).
    static constexpr std::size_t kMaxLine = std::size_t{8} * 1024 * 1024;

    ControlSocket(std::string path, Handler handle);
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;
    ~ControlSocket();

    /// Binds (replacing a stale socket file) and starts accepting; throws if it cannot.
    void start();
    void stop();

private:
    void accept_loop();
    void serve(int fd);

    std::string path_;
    Handler handle_;
    int listen_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;
    std::mutex connections_mutex_;
    struct Connection {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::list<Connection> connections_;
};

} // namespace loa::server
