// One-shot HTTP requests to Loa's REST routes, over the same plain/TLS choice as the WebSocket.
#include <boost/beast/http.hpp>

#include "api_transport.hpp"

namespace loa::clients {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using detail::await;

constexpr std::uint64_t kMaxResponseBody = 64ULL * 1024 * 1024;

common::Error transfer_error(const std::string& what) {
    return common::make_error(common::Errc::io_error, what);
}

/// Reads one response, each read within the timeout (so that a long download is not cut).
template <class Stream, class Abort>
common::Result<HttpReply> read_response(net::io_context& ioc, Stream& stream,
                                        std::chrono::milliseconds timeout, Abort& abort) {
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    while (!parser.is_done()) {
        auto ec = await(
            ioc, timeout,
            [&](auto finish) {
                http::async_read_some(stream, buffer, parser,
                                      [finish](beast::error_code ec, std::size_t) { finish(ec); });
            },
            abort);
        if (ec == http::error::body_limit)
            return transfer_error("the server's answer is larger than 64 MiB");
        if (ec)
            return transfer_error("reading the server's answer failed: " +
                                  detail::describe(ec, timeout));
    }
    auto& response = parser.get();
    return HttpReply{response.result_int(), std::string(response[http::field::content_type]),
                     std::move(response.body())};
}

/// Writes the request piece by piece (each within the timeout), then reads the answer. A server
/// that refuses early may answer before taking the whole body: that answer is what counts.
template <class Stream, class Body>
common::Result<HttpReply> exchange(net::io_context& ioc, Stream& stream,
                                   http::request<Body>& request,
                                   std::chrono::milliseconds timeout) {
    auto abort = [&stream] {
        beast::error_code ignored;
        beast::get_lowest_layer(stream).socket().close(ignored);
    };
    http::request_serializer<Body> serializer(request);
    while (!serializer.is_done()) {
        auto ec = await(
            ioc, timeout,
            [&](auto finish) {
                http::async_write_some(stream, serializer,
                                       [finish](beast::error_code ec, std::size_t) { finish(ec); });
            },
            abort);
        if (ec) {
            if (auto early = read_response(ioc, stream, timeout, abort))
                return early;
            return transfer_error("sending the request failed: " + detail::describe(ec, timeout));
        }
    }
    return read_response(ioc, stream, timeout, abort);
}

template <class Body>
common::Result<HttpReply> perform(const ApiEndpoint& e, const ConnectOptions& options,
                                  http::request<Body>& request) {
    if (auto allowed = detail::check_plain_allowed(e, options); !allowed)
        return allowed.error();
    request.set(http::field::host, detail::host_header(e));
    request.set(http::field::user_agent, "loa-client");
    if (!options.bearer_token.empty())
        request.set(http::field::authorization, "Bearer " + options.bearer_token);
    request.prepare_payload();
    net::io_context ioc{1};
    if (!e.tls) {
        beast::tcp_stream stream(ioc);
        if (auto r = detail::open_tcp(ioc, stream, e, options.timeout); !r)
            return r.error();
        return exchange(ioc, stream, request, options.timeout);
    }
    detail::ssl::context context(detail::ssl::context::tls_client);
    if (auto r = detail::configure_tls(context, options); !r)
        return r.error();
    detail::TlsStream stream(ioc, context);
    if (auto r = detail::open_tls(ioc, stream, e, options); !r)
        return r.error();
    auto reply = exchange(ioc, stream, request, options.timeout);
    // A polite TLS close; the answer is complete whatever the server does about it.
    await(
        ioc, std::chrono::milliseconds(500), [&](auto finish) { stream.async_shutdown(finish); },
        [&] {
            beast::error_code ignored;
            beast::get_lowest_layer(stream).socket().close(ignored);
        });
    return reply;
}

common::Result<http::verb> parse_verb(std::string_view method) {
    auto verb = http::string_to_verb(method);
    if (verb == http::verb::unknown)
        return common::make_error(common::Errc::invalid_argument,
                                  "unknown HTTP method \"" + std::string(method) + "\"");
    return verb;
}

} // namespace

common::Result<HttpReply> http_request(const ApiEndpoint& endpoint, const ConnectOptions& options,
                                       std::string_view method, std::string_view target,
                                       std::string body, std::string_view content_type) {
    auto verb = parse_verb(method);
    if (!verb)
        return verb.error();
    http::request<http::string_body> request(*verb, target, 11);
    if (!content_type.empty())
        request.set(http::field::content_type, content_type);
    request.body() = std::move(body);
    return perform(endpoint, options, request);
}

common::Result<HttpReply> http_upload(const ApiEndpoint& endpoint, const ConnectOptions& options,
                                      std::string_view method, std::string_view target,
                                      const std::string& path, std::string_view content_type) {
    auto verb = parse_verb(method);
    if (!verb)
        return verb.error();
    http::request<http::file_body> request(*verb, target, 11);
    beast::error_code ec;
    request.body().open(path.c_str(), beast::file_mode::scan, ec);
    if (ec)
        return common::make_error(common::Errc::io_error,
                                  "cannot read " + path + ": " + ec.message());
    request.set(http::field::content_type, content_type);
    return perform(endpoint, options, request);
}

} // namespace loa::clients
