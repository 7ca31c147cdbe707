#include "api_transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace loa::clients::detail {
namespace {

common::Error io_error(std::string message) {
    return common::make_error(common::Errc::io_error, std::move(message));
}

bool is_ip_address(const std::string& host) {
    boost::system::error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
}

bool is_verify_failure(const beast::error_code& ec) {
    return ec.category() == net::error::get_ssl_category() &&
           ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
               SSL_R_CERTIFICATE_VERIFY_FAILED;
}

} // namespace

std::string describe(const beast::error_code& ec, std::chrono::milliseconds timeout) {
    if (ec == beast::error::timeout)
        return "no answer within " + std::to_string(timeout.count()) + " ms";
    return ec.message();
}

std::string host_header(const ApiEndpoint& e) {
    bool v6 = e.host.find(':') != std::string::npos;
    return (v6 ? "[" + e.host + "]" : e.host) + ":" + e.port;
}

common::Result<void> check_plain_allowed(const ApiEndpoint& e, const ConnectOptions& options) {
    if (e.tls || options.allow_plain_remote || is_loopback_host(e.host))
        return {};
    // The same address without a port of plain HTTP, which TLS is not served on.
    std::string suggestion = e.port == "80"
                                 ? host_header(e).substr(0, host_header(e).rfind(':')) + e.path
                                 : host_header(e) + e.path;
    return common::make_error(
        common::Errc::invalid_argument,
        "refusing an unencrypted connection to " + e.host +
            ": passwords and tokens must not cross the network in clear; use wss://" + suggestion +
            " (the server's TLS listener) instead of ws://");
}

common::Result<void> configure_tls(ssl::context& context, const ConnectOptions& options) {
    boost::system::error_code ec;
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1,
                        ec);
    context.set_verify_mode(ssl::verify_peer, ec);
    if (options.ca_file.empty()) {
        context.set_default_verify_paths(ec);
        if (ec)
            return io_error("cannot load the system's CA certificates (" + ec.message() +
                            "); give the CA file that signed the server's certificate");
    } else {
        context.load_verify_file(options.ca_file, ec);
        if (ec)
            return io_error("cannot load CA certificates from " + options.ca_file + " (" +
                            ec.message() + "); it must be a readable PEM file");
        trust_given_certificates(context);
    }
    return {};
}

void trust_given_certificates(ssl::context& context) {
    X509_STORE_set_flags(SSL_CTX_get_cert_store(context.native_handle()),
                         X509_V_FLAG_PARTIAL_CHAIN);
}

common::Result<void> open_tcp(net::io_context& ioc, beast::tcp_stream& stream, const ApiEndpoint& e,
                              std::chrono::milliseconds timeout) {
    tcp::resolver resolver(ioc);
    auto results = std::make_shared<tcp::resolver::results_type>();
    auto ec = await(
        ioc, timeout,
        [&](auto finish) {
            resolver.async_resolve(
                e.host, e.port,
                [results, finish](beast::error_code ec, tcp::resolver::results_type found) {
                    *results = std::move(found);
                    finish(ec);
                });
        },
        [&] { resolver.cancel(); });
    if (ec)
        return io_error("cannot resolve " + e.host + ": " + describe(ec, timeout));
    ec = await(
        ioc, timeout,
        [&](auto finish) {
            stream.async_connect(
                *results, [finish](beast::error_code ec, const tcp::endpoint&) { finish(ec); });
        },
        // Closing (not cancelling) the socket stops the connect loop over the addresses too.
        [&] {
            beast::error_code ignored;
            stream.socket().close(ignored);
        });
    if (ec)
        return io_error("cannot connect to " + host_header(e) + ": " + describe(ec, timeout) +
                        "; is the server running there?");
    beast::error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);
    return {};
}

common::Result<void> open_tls(net::io_context& ioc, TlsStream& stream, const ApiEndpoint& e,
                              const ConnectOptions& options) {
    if (auto r = open_tcp(ioc, beast::get_lowest_layer(stream), e, options.timeout); !r)
        return r;
    // SNI carries names only; an address is checked against the certificate's IP entries.
    if (!is_ip_address(e.host) && !SSL_set_tlsext_host_name(stream.native_handle(), e.host.c_str()))
        return io_error("cannot set the TLS server name " + e.host);
    stream.set_verify_callback(ssl::host_name_verification(e.host));
    auto ec = await(
        ioc, options.timeout,
        [&](auto finish) { stream.async_handshake(ssl::stream_base::client, finish); },
        [&] {
            beast::error_code ignored;
            beast::get_lowest_layer(stream).socket().close(ignored);
        });
    if (!ec)
        return {};
    std::string message =
        "TLS handshake with " + host_header(e) + " failed: " + describe(ec, options.timeout);
    if (is_verify_failure(ec))
        message +=
            "; the server's certificate is not for " + e.host + " or not signed by " +
            (options.ca_file.empty() ? std::string("a CA this system trusts (give the CA file)")
                                     : options.ca_file);
    return io_error(message);
}

} // namespace loa::clients::detail
