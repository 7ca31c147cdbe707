#include "loa/pipeline/udp_socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace loa::pipeline {
namespace {

constexpr int kBufferBytes = 8 * 1024 * 1024;

common::Result<UdpSocket> fail(const std::string& what) {
    return common::make_error(common::Errc::io_error, what + ": " + std::strerror(errno));
}

} // namespace

common::Result<UdpSocket> UdpSocket::bind(const Endpoint& address) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail("cannot create a UDP socket");
    UdpSocket sock(fd);
    int size = kBufferBytes;
    // Best effort: the kernel caps these at net.core.[rw]mem_max.
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    sockaddr_in addr = address.to_sockaddr();
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return fail("cannot bind UDP " + address.to_string());
    return sock;
}

common::Result<UdpSocket> UdpSocket::bind_any(std::uint16_t port) {
    return bind(Endpoint(INADDR_ANY, port));
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

UdpSocket::~UdpSocket() {
    if (fd_ >= 0)
        ::close(fd_);
}

std::uint16_t UdpSocket::local_port() const {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
}

} // namespace loa::pipeline
