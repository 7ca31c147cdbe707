#pragma once
/// @file
/// One HTTP request out, plain or over TLS (the peer's certificate checked against the system's
/// trusted CAs and its name), bounded in time: what the server needs to push to other systems
/// (webhooks). Not a general client: one request per connection, a bounded answer.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace loa::http {

/// A request to send.
struct OutboundRequest {
    bool tls = false;
    std::string host; ///< a DNS name or an address literal (IPv6 without brackets)
    std::uint16_t port = 80;
    std::string target = "/"; ///< path and query
    std::string method = "POST";
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; ///< added as they are
    std::chrono::milliseconds timeout{10000};                 ///< for the whole exchange
    std::string ca_file; ///< trusted CAs (PEM) in place of the system's; "" = the system's
};

/// What came back: the status, or why there is none.
struct OutboundReply {
    int status = 0;    ///< 0 when no answer came
    std::string error; ///< "" when an answer came
    std::string body;  ///< the first 64 KiB of the answer's body
};

/// Sends `request` and waits for the answer, within its timeout.
OutboundReply send(const OutboundRequest& request);

} // namespace loa::http
