#pragma once
/// @file
/// The UDP socket of the media port (RAII), sized for fan-out bursts.

#include <string>

#include "loa/common/result.hpp"
#include "loa/pipeline/endpoint.hpp"

namespace loa::pipeline {

/// An IPv4 UDP socket bound to one address, non-blocking, closed on destruction.
class UdpSocket {
public:
    /// Binds to `address` (port 0 picks a free port).
    static common::Result<UdpSocket> bind(const Endpoint& address);
    /// Binds to the wildcard address on `port`.
    static common::Result<UdpSocket> bind_any(std::uint16_t port);

    UdpSocket(UdpSocket&& other) noexcept;
    UdpSocket& operator=(UdpSocket&& other) noexcept;
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;
    ~UdpSocket();

    int fd() const { return fd_; }
    /// The port actually bound.
    std::uint16_t local_port() const;

private:
    explicit UdpSocket(int fd) : fd_(fd) {}
    int fd_ = -1;
};

} // namespace loa::pipeline
