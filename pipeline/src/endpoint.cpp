#include "loa/pipeline/endpoint.hpp"

#include <arpa/inet.h>
#include <netdb.h>

namespace loa::pipeline {

Endpoint::Endpoint(const sockaddr_in& addr)
    : Endpoint(ntohl(addr.sin_addr.s_addr), ntohs(addr.sin_port)) {}

Endpoint::Endpoint(std::uint32_t host_address, std::uint16_t port)
    : packed_(kKnown | (std::uint64_t{host_address} << 16) | port) {}

std::optional<Endpoint> Endpoint::parse(const std::string& text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
        return std::nullopt;
    in_addr addr{};
    if (inet_pton(AF_INET, text.substr(0, colon).c_str(), &addr) != 1)
        return std::nullopt;
    std::string port_text = text.substr(colon + 1);
    if (port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    unsigned long port = std::stoul(port_text);
    if (port > 65535)
        return std::nullopt;
    return Endpoint(ntohl(addr.s_addr), static_cast<std::uint16_t>(port));
}

std::optional<Endpoint> Endpoint::resolve(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr)
        return std::nullopt;
    auto address = ntohl(reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr.s_addr);
    ::freeaddrinfo(found);
    return Endpoint(address, port);
}

sockaddr_in Endpoint::to_sockaddr() const {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(static_cast<std::uint32_t>(packed_ >> 16));
    addr.sin_port = htons(static_cast<std::uint16_t>(packed_ & 0xffff));
    return addr;
}

std::string Endpoint::address() const {
    sockaddr_in addr = to_sockaddr();
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &addr.sin_addr, text, sizeof text);
    return text;
}

std::string Endpoint::to_string() const {
    if (!known())
        return "unknown";
    return address() + ":" + std::to_string(port());
}

} // namespace loa::pipeline
