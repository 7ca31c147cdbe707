#pragma once
/// @file
/// An IPv4 UDP endpoint packed into 64 bits, so that the report thread can latch a receiver's
/// address while the fan-out thread reads it, without a lock.

#include <cstdint>
#include <netinet/in.h>
#include <optional>
#include <string>

namespace loa::pipeline {

/// A packed IPv4 address and port; 0 means "not known yet".
class Endpoint {
public:
    Endpoint() = default;
    /// From a socket address (port and address in network order).
    explicit Endpoint(const sockaddr_in& addr);
    /// From host-order address and port.
    Endpoint(std::uint32_t host_address, std::uint16_t port);

    /// Parses "a.b.c.d:port" (port 0 allowed: "any port" when binding); nullopt if malformed.
    static std::optional<Endpoint> parse(const std::string& text);
    /// Resolves a host name or IPv4 literal and a port; nullopt if the name does not resolve.
    static std::optional<Endpoint> resolve(const std::string& host, std::uint16_t port);
    /// Rebuilds the packed form read from an atomic.
    static Endpoint from_packed(std::uint64_t packed) {
        Endpoint e;
        e.packed_ = packed;
        return e;
    }

    bool known() const { return packed_ != 0; }
    std::uint64_t packed() const { return packed_; }
    sockaddr_in to_sockaddr() const;
    std::string to_string() const;
    /// The address alone, "a.b.c.d".
    std::string address() const;
    std::uint16_t port() const { return static_cast<std::uint16_t>(packed_ & 0xffff); }

    friend bool operator==(const Endpoint&, const Endpoint&) = default;

private:
    static constexpr std::uint64_t kKnown = std::uint64_t{1} << 48;
    std::uint64_t packed_ = 0;
};

} // namespace loa::pipeline
