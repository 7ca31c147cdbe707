#include "loa/server/api/control_socket.hpp"

#include <cerrno>
#include <cstring>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loa/common/jsonrpc.hpp"
#include "loa/common/logging.hpp"
#include "loa/server/api/rpc.hpp"

namespace loa::server {
namespace {

/// A message as one line of the socket.
std::string line(const boost::json::object& message) {
    return boost::json::serialize(message) + "\n";
}

auto log() {
    static auto logger = common::logger("control");
    return logger;
}

constexpr int kPollMs = 200;

/// Sends all of `data`, waiting while the client is slow to read, but never past a stop.
bool write_all(int fd, std::string_view data, const std::atomic<bool>& stopping) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (stopping)
                return false;
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, kPollMs);
            continue;
        }
        if (n <= 0)
            return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

/// "local uid 0 pid 1234": who is on the other end, from the kernel; nullopt unless it is
/// root or the server's own user. The socket's mode (0600) says the same; this holds even if
/// the mode is changed by hand or the socket is passed on.
std::optional<std::string> trusted_peer(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return std::nullopt;
    if (cred.uid != 0 && cred.uid != ::geteuid()) {
        log()->warn("control socket: refused a connection of uid {} (pid {}): only root and the "
                    "server's own user may use it",
                    cred.uid, cred.pid);
        return std::nullopt;
    }
    return "local uid " + std::to_string(cred.uid) + " pid " + std::to_string(cred.pid);
}

} // namespace

ControlSocket::ControlSocket(std::string path, Handler handle)
    : path_(std::move(path)), handle_(std::move(handle)) {}

ControlSocket::~ControlSocket() {
    stop();
}

void ControlSocket::start() {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.size() >= sizeof address.sun_path)
        throw std::runtime_error("control socket path too long: " + path_);
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0)
        throw std::runtime_error(std::string("control socket: ") + std::strerror(errno));
    ::unlink(path_.c_str());         // a stale socket of an earlier run
    mode_t old_mask = ::umask(0177); // created 0600: the server's own user only
    int bound = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::umask(old_mask);
    if (bound != 0 || ::listen(listen_fd_, 16) != 0) {
        std::string reason = std::strerror(errno);
        ::close(listen_fd_);
        listen_fd_ = -1;
        throw std::runtime_error("cannot listen on " + path_ + ": " + reason);
    }
    stopping_ = false;
    acceptor_ = std::thread([this] { accept_loop(); });
    log()->info("control socket on {}", path_);
}

void ControlSocket::stop() {
    stopping_ = true;
    if (acceptor_.joinable())
        acceptor_.join();
    std::list<Connection> connections;
    {
        std::lock_guard lock(connections_mutex_);
        connections.swap(connections_);
    }
    for (auto& c : connections)
        c.thread.join();
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        ::unlink(path_.c_str());
        listen_fd_ = -1;
    }
}

void ControlSocket::accept_loop() {
    while (!stopping_) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, kPollMs) <= 0)
            continue;
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        std::lock_guard lock(connections_mutex_);
        for (auto it = connections_.begin(); it != connections_.end();) { // reap finished ones
            if (it->done->load()) {
                it->thread.join();
                it = connections_.erase(it);
            } else {
                ++it;
            }
        }
        auto done = std::make_shared<std::atomic<bool>>(false);
        connections_.push_back({std::thread([this, fd, done] {
                                    serve(fd);
                                    done->store(true);
                                }),
                                done});
    }
}

void ControlSocket::serve(int fd) {
    auto peer = trusted_peer(fd);
    if (!peer) {
        write_all(fd,
                  line(jsonrpc::error(nullptr, rpc_code::kUnauthorized,
                                      "only root and the server's own user may use the control "
                                      "socket")),
                  stopping_);
        // A socket closed with what its peer sent still unread resets the connection, and the
        // peer may then read the reset rather than the refusal: read what it sent (a little,
        // briefly) before closing.
        ::shutdown(fd, SHUT_WR);
        char discard[4096];
        for (int i = 0; i < 5 && !stopping_; ++i) { // at most half a second
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0 || ::recv(fd, discard, sizeof discard, 0) <= 0)
                break;
        }
        ::close(fd);
        return;
    }
    const std::string& caller = *peer;
    std::string buffer;
    char chunk[65536];
    while (!stopping_) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, kPollMs) <= 0)
            continue;
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        buffer.append(chunk, static_cast<std::size_t>(n));
        std::size_t newline;
        bool ok = true;
        while (ok && (newline = buffer.find('\n')) != std::string::npos) {
            std::string line = buffer.substr(0, newline);
            buffer.erase(0, newline + 1);
            if (line.find_first_not_of(" \t\r") == std::string::npos)
                continue;
            std::string response = handle_(line, caller);
            if (!response.empty())
                ok = write_all(fd, response + "\n", stopping_);
        }
        if (!ok)
            break;
        if (buffer.size() > kMaxLine) {
            write_all(fd,
                      line(jsonrpc::error(nullptr, rpc_code::kInvalidRequest,
                                          "request longer than 8 MiB")),
                      stopping_);
            break;
        }
    }
    ::close(fd);
}

} // namespace loa::server
