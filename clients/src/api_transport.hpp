#pragma once
/// @file
/// Internals shared by the WebSocket and HTTP clients: asynchronous Beast operations on a private
/// io_context, each run to completion within a deadline by the calling thread, and opening TCP or
/// TLS streams with clear errors.

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "loa/clients/api_client.hpp"

namespace loa::clients::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

/// How long an aborted operation may take to report operation_aborted (it should be at once).
constexpr std::chrono::seconds kAbortGrace{2};

/// Runs `ioc` on this thread until `done()` holds, the deadline passes or nothing is left to run.
/// Returns done().
template <class Done>
bool run_until(net::io_context& ioc, Done&& done, SteadyClock::time_point deadline) {
    for (;;) {
        if (done())
            return true;
        if (ioc.stopped())
            ioc.restart();
        if (ioc.poll_one() > 0)
            continue;
        // poll_one stops the context when no operation is pending: waiting would be in vain.
        if (ioc.stopped() || SteadyClock::now() >= deadline)
            return done();
        ioc.run_one_until(deadline);
    }
}

/// Starts one operation with `start(finish)`, where the operation calls finish(error_code), and
/// waits up to `timeout` for it. When late, `abort()` (which closes the socket) ends it and the
/// result is beast::error::timeout.
template <class Start, class Abort>
beast::error_code await(net::io_context& ioc, std::chrono::milliseconds timeout, Start&& start,
                        Abort&& abort) {
    struct State {
        bool done = false;
        beast::error_code ec;
    };
    // Shared with the handler, so that a handler running after a failed abort touches no stack.
    auto state = std::make_shared<State>();
    start([state](beast::error_code ec) {
        state->ec = ec;
        state->done = true;
    });
    auto done = [&state] { return state->done; };
    if (run_until(ioc, done, SteadyClock::now() + timeout))
        return state->ec;
    abort();
    run_until(ioc, done, SteadyClock::now() + kAbortGrace);
    return beast::error::timeout;
}

/// The error's text, with a timeout said in words the user can act on.
std::string describe(const beast::error_code& ec, std::chrono::milliseconds timeout);

/// "host:port" for the Host header (IPv6 in brackets).
std::string host_header(const ApiEndpoint& endpoint);

/// Fails for ws:// or http:// to a remote host unless the options allow it.
common::Result<void> check_plain_allowed(const ApiEndpoint& endpoint,
                                         const ConnectOptions& options);

/// Sets up certificate verification: against options.ca_file, or the system's CAs.
common::Result<void> configure_tls(ssl::context& context, const ConnectOptions& options);

/// Lets any certificate given as trusted end the chain, not only a self-signed root: a bundle's
/// `ca` may be the server's own certificate, or a chain whose root is not in the file.
void trust_given_certificates(ssl::context& context);

/// Resolves the endpoint's host and connects the stream.
common::Result<void> open_tcp(net::io_context& ioc, beast::tcp_stream& stream,
                              const ApiEndpoint& endpoint, std::chrono::milliseconds timeout);

/// open_tcp, then the TLS handshake with SNI and verification of the certificate's host name.
common::Result<void> open_tls(net::io_context& ioc, TlsStream& stream, const ApiEndpoint& endpoint,
                              const ConnectOptions& options);

} // namespace loa::clients::detail
