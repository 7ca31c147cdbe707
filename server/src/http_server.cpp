#include "loa/server/http_server.hpp"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <stdexcept>

#include "loa/common/logging.hpp"

namespace loa::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

auto log() {
    static auto logger = common::logger("http");
    return logger;
}

/// One connection: read a request, answer it, again while the client keeps it alive.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, const HttpServer::Handler& handler)
        : stream_(std::move(socket)), handler_(handler) {
        beast::error_code ec;
        auto remote = stream_.socket().remote_endpoint(ec);
        peer_ = ec ? "unknown" : remote.address().to_string() + ":" + std::to_string(remote.port());
    }

    void read() {
        parser_.emplace();
        parser_->body_limit(HttpServer::kMaxBody);
        stream_.expires_after(HttpServer::kTimeout);
        http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

private:
    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == asio::error::operation_aborted || ec == asio::error::connection_reset)
            return close();
        if (ec == http::error::body_limit)
            return answer(
                {413, "text/plain; charset=utf-8",
                 "request body over " + std::to_string(HttpServer::kMaxBody) + " bytes\n"},
                false);
        if (ec)
            return answer(
                {400, "text/plain; charset=utf-8", "malformed request: " + ec.message() + "\n"},
                false);
        auto& request = parser_->get();
        HttpRequest r{std::string(request.method_string()), std::string(request.target()),
                      request.body(), peer_};
        HttpResponse response;
        try {
            response = handler_(r);
        } catch (const std::exception& e) {
            log()->error("{} {}: {}", r.method, r.target, e.what());
            response = {500, "text/plain; charset=utf-8", "internal error; see the server log\n"};
        }
        answer(response, request.keep_alive());
    }

    void answer(const HttpResponse& r, bool keep_alive) {
        auto response = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(r.status), 11);
        response->set(http::field::server, "loa");
        response->set(http::field::content_type, r.content_type);
        response->set(http::field::cache_control, "no-store");
        response->keep_alive(keep_alive);
        response->body() = r.body;
        response->prepare_payload();
        stream_.expires_after(HttpServer::kTimeout);
        http::async_write(
            stream_, *response,
            [self = shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
                if (ec || !keep_alive)
                    return self->close();
                self->read();
            });
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    const HttpServer::Handler& handler_;
    std::string peer_;
};

} // namespace

struct HttpServer::State {
    asio::io_context io{1};
    tcp::acceptor acceptor{io};

    void accept(const Handler& handler) {
        acceptor.async_accept([this, &handler](beast::error_code ec, tcp::socket socket) {
            if (ec)
                return; // closed by stop()
            std::make_shared<Session>(std::move(socket), handler)->read();
            accept(handler);
        });
    }
};

HttpServer::HttpServer(std::string bind, std::uint16_t port, Handler handler)
    : bind_(std::move(bind)), port_(port), handler_(std::move(handler)) {}

HttpServer::~HttpServer() {
    try {
        stop();
    } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw; nothing to save
    }
}

void HttpServer::start() {
    state_ = std::make_unique<State>();
    beast::error_code ec;
    auto address = asio::ip::make_address(bind_, ec);
    if (ec)
        throw std::runtime_error("http.bind: \"" + bind_ + "\" is not an IP address");
    tcp::endpoint endpoint(address, port_);
    state_->acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        state_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        state_->acceptor.bind(endpoint, ec);
    if (!ec)
        state_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot serve HTTP on " + bind_ + ":" + std::to_string(port_) +
                                 ": " + ec.message());
    port_ = state_->acceptor.local_endpoint().port();
    state_->accept(handler_);
    thread_ = std::thread([this] { state_->io.run(); });
    log()->info("HTTP on {}:{}", bind_, port_);
}

void HttpServer::stop() {
    if (!state_)
        return;
    // Stopping the context abandons every pending read and write; the sessions go with it.
    asio::post(state_->io, [this] {
        beast::error_code ec;
        state_->acceptor.close(ec);
    });
    state_->io.stop();
    if (thread_.joinable())
        thread_.join();
    state_.reset();
}

} // namespace loa::server
