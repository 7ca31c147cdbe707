#include "loa/http/client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <optional>

namespace loa::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxReplyBody = std::size_t{64} * 1024;

bhttp::request<bhttp::string_body> message_of(const OutboundRequest& r) {
    bhttp::request<bhttp::string_body> m{bhttp::string_to_verb(r.method), r.target, 11};
    bool literal_v6 = r.host.find(':') != std::string::npos;
    std::string host = literal_v6 ? "[" + r.host + "]" : r.host;
    bool default_port = r.port == (r.tls ? 443 : 80);
    m.set(bhttp::field::host, default_port ? host : host + ":" + std::to_string(r.port));
    m.set(bhttp::field::user_agent, "loa-server");
    m.set(bhttp::field::connection, "close");
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT")
        m.set(bhttp::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers)
        m.set(name, value);
    m.body() = r.body;
    m.prepare_payload();
    return m;
}

/// One request's exchange, run by callbacks on a private io_context (the caller's thread).
class Exchange {
public:
    Exchange(asio::io_context& io, const OutboundRequest& r, asio::ssl::context* tls)
        : request_(r), resolver_(io), message_(message_of(r)) {
        if (tls != nullptr)
            secure_.emplace(io, *tls);
        else
            plain_.emplace(io);
        parser_.body_limit(kMaxReplyBody);
    }

    void start() {
        if (secure_) {
            if (SSL_set_tlsext_host_name(secure_->native_handle(), request_.host.c_str()) != 1)
                return fail({}, "cannot set the TLS server name");
            secure_->set_verify_callback(asio::ssl::host_name_verification(request_.host));
        }
        resolver_.async_resolve(
            request_.host, std::to_string(request_.port),
            [this](beast::error_code ec, const tcp::resolver::results_type& found) {
                if (ec)
                    return fail(ec, "resolving");
                connect(found);
            });
    }

    /// Whether it ended, answered or failed.
    bool done() const { return done_ || !error_.empty(); }

    /// Fills `reply` with what happened.
    void finish(OutboundReply& reply) const {
        if (!error_.empty()) {
            reply.error = error_;
            return;
        }
        reply.status = static_cast<int>(parser_.get().result_int());
        reply.body = parser_.get().body();
    }

private:
    beast::tcp_stream& lowest() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }

    void connect(const tcp::resolver::results_type& found) {
        lowest().expires_after(request_.timeout);
        lowest().async_connect(found, [this](beast::error_code ec, const tcp::endpoint&) {
            if (ec)
                return fail(ec, "connecting");
            if (!secure_)
                return write(*plain_);
            secure_->async_handshake(asio::ssl::stream_base::client, [this](beast::error_code e) {
                if (e)
                    return fail(e, "TLS handshake");
                write(*secure_);
            });
        });
    }

    template <class Stream> void write(Stream& stream) {
        bhttp::async_write(stream, message_, [this, &stream](beast::error_code ec, std::size_t) {
            if (ec)
                return fail(ec, "sending");
            bhttp::async_read(stream, buffer_, parser_, [this](beast::error_code e, std::size_t) {
                if (e && e != bhttp::error::body_limit)
                    return fail(e, "reading the answer");
                done_ = true;
                beast::error_code ignored;
                lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
            });
        });
    }

    void fail(beast::error_code ec, const std::string& what) {
        error_ = what + (ec ? ": " + ec.message() : std::string());
    }

    const OutboundRequest& request_;
    tcp::resolver resolver_;
    std::optional<beast::tcp_stream> plain_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
    bhttp::request<bhttp::string_body> message_;
    beast::flat_buffer buffer_;
    bhttp::response_parser<bhttp::string_body> parser_;
    std::string error_;
    bool done_ = false;
};

} // namespace

OutboundReply send(const OutboundRequest& request) {
    OutboundReply reply;
    try {
        std::unique_ptr<asio::ssl::context> tls;
        if (request.tls) {
            tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
            tls->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                             asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
            tls->set_verify_mode(asio::ssl::verify_peer);
            if (request.ca_file.empty())
                tls->set_default_verify_paths();
            else
                tls->load_verify_file(request.ca_file);
        }
        asio::io_context io;
        Exchange exchange(io, request, tls.get());
        exchange.start();
        // The stream's deadline bounds connect, handshake and exchange; this bounds the
        // resolver too.
        io.run_for(request.timeout + std::chrono::seconds(1));
        if (!exchange.done())
            return {0, "no answer within " + std::to_string(request.timeout.count()) + " ms", {}};
        exchange.finish(reply);
    } catch (const std::exception& e) {
        return {0, e.what(), {}};
    }
    return reply;
}

} // namespace loa::http
