#pragma once
/// @file
/// A WebSocket client for tests that speak to the server out of turn: it sends any text as it
/// is (malformed JSON, oversized messages), reads what comes back, and can stop reading
/// altogether. Plain ws:// to an IP address; every wait is bounded.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace loa::test {

class RawWebSocket {
public:
    /// Connects to ws://`address`:`port``path` (address: IPv4 or IPv6 literal); throws
    /// std::runtime_error with the reason if it cannot within 5 s. A `receive_buffer` above 0
    /// sets the socket's receive buffer (bytes) first, so that a client that stops reading
    /// stalls the server's writes soon.
    RawWebSocket(const std::string& address, int port, const std::string& path,
                 int receive_buffer = 0)
        : RawWebSocket(address, port, path, Options{receive_buffer, "", ""}) {}

    /// How to connect besides where.
    struct Options {
        int receive_buffer = 0; ///< see above
        std::string source;     ///< local address to connect from, e.g. 127.0.0.2 ("": any)
        std::string origin;     ///< an Origin header, as a browser page sends ("": none)
    };
    RawWebSocket(const std::string& address, int port, const std::string& path,
                 const Options& options);
    ~RawWebSocket();
    RawWebSocket(const RawWebSocket&) = delete;
    RawWebSocket& operator=(const RawWebSocket&) = delete;

    /// Sends one text message as it is, waiting up to 10 s; false if it was not sent.
    bool send(const std::string& text);
    /// The next message, waiting up to `wait`; nullopt when none came or the connection ended.
    std::optional<std::string> receive(std::chrono::milliseconds wait = std::chrono::seconds(5));
    /// Reads (and drops) messages until the server ends the connection or `wait` passes;
    /// whether it ended.
    bool wait_ended(std::chrono::milliseconds wait);
    /// Whether the connection has ended (a read or a write failed, or the server closed it).
    bool ended() const;
    /// The WebSocket close code the server sent (1009: message too big); 0 if none.
    int close_code() const;
    /// Bytes of messages received so far.
    std::size_t received_bytes() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace loa::test
