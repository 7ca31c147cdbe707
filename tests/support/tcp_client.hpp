#pragma once
/// @file
/// A plain TCP client on 127.0.0.1 for tests that speak HTTP by hand (malformed, partial or
/// stalled requests); every wait is bounded.

#include <string>

namespace loa::test {

class TcpClient {
public:
    /// Connects to 127.0.0.1:`port`; see connected(). A send the server does not take within
    /// 10 s fails instead of blocking.
    explicit TcpClient(int port);
    ~TcpClient();
    TcpClient(const TcpClient&) = delete;
    TcpClient& operator=(const TcpClient&) = delete;

    bool connected() const { return connected_; }
    /// Sends all of `data`; false if it could not.
    bool send(const std::string& data);
    /// Reads until the peer closes, fails, or `timeout_ms` of silence.
    std::string receive(int timeout_ms = 5000);
    /// What has arrived, waiting up to `timeout_ms` for something; "" on silence or at the
    /// end (see closed()). For streams that never fall silent.
    std::string receive_some(int timeout_ms);
    /// True once the peer has closed (or the connection failed) during receive_some.
    bool closed() const { return closed_; }
    /// Whether anything (data or the end) has arrived, without waiting.
    bool heard_anything() const;

private:
    int fd_ = -1;
    bool connected_ = false;
    bool closed_ = false;
};

/// One exchange on a fresh connection to 127.0.0.1:`port`: sends `request` (as much as the
/// server takes), then reads until it closes (or 3 s of silence); "" if it could not connect.
std::string exchange(int port, const std::string& request);

} // namespace loa::test
