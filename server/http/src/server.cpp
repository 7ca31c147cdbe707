#include "loa/http/server.hpp"

#include <filesystem>
#include <optional>
#include <stdexcept>

#include "beast_support.hpp"
#include "connection_count.hpp"
#include "sessions.hpp"
#include "tls_context.hpp"

namespace loa::http {

using namespace detail;

/// The network thread's world: the acceptor, the TLS context, the workers and the sinks.
struct HttpServer::State {
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    std::optional<ssl::context> tls;
    asio::thread_pool pool;
    SinkRegistry sinks;
    std::shared_ptr<ConnectionCount> connections;
    std::uint64_t refused = 0; ///< connections over a limit (network thread only)

    State(unsigned workers, const HttpOptions& options)
        : pool(workers == 0 ? 1 : workers),
          connections(std::make_shared<ConnectionCount>(options.max_connections,
                                                        options.max_connections_per_address)) {}

    void accept(Shared shared) {
        acceptor.async_accept([this, shared](beast::error_code ec, tcp::socket socket) {
            if (ec)
                return; // closed by stop()
            auto peer = peer_of(socket);
            auto address = socket.remote_endpoint(ec).address().to_string();
            auto slot = ec ? nullptr : connections->acquire(address);
            if (!slot) {
                // Refused before a byte is read; said in the log now and then, not per try.
                if (refused++ % 1000 == 0)
                    shared.log.warn("refused a connection from {}: at most {} connections in all "
                                    "and {} from one address ({} refused so far)",
                                    address, shared.options.max_connections,
                                    shared.options.max_connections_per_address, refused);
                socket.close(ec);
                return accept(shared);
            }
            if (tls)
                start_tls_session(std::move(socket), *tls, shared, std::move(peer),
                                  std::move(slot));
            else
                start_plain_session(std::move(socket), shared, std::move(peer), std::move(slot));
            accept(shared);
        });
    }
};

namespace {

HttpOptions options_at(std::string bind, std::uint16_t port) {
    HttpOptions options;
    options.bind = std::move(bind);
    options.port = port;
    return options;
}

/// Uploads a crash cut short are never finished: their files go.
void clear_upload_dir(const std::string& dir) {
    if (dir.empty())
        return;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        std::filesystem::remove(it->path(), ec);
}

/// Opens, binds and listens; throws with the reason if it cannot.
void bind_acceptor(tcp::acceptor& acceptor, const HttpOptions& options) {
    beast::error_code ec;
    auto address = asio::ip::make_address(options.bind, ec);
    if (ec)
        throw std::runtime_error("http.bind: \"" + options.bind + "\" is not an IP address");
    tcp::endpoint endpoint(address, options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        acceptor.bind(endpoint, ec);
    if (!ec)
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot serve HTTP on " + options.bind + ":" +
                                 std::to_string(options.port) + ": " + ec.message());
}

} // namespace

HttpServer::HttpServer(HttpOptions options, Handler handler, WebSocketAccept websocket)
    : options_(std::move(options)), handler_(std::move(handler)), websocket_(std::move(websocket)) {
    if (!options_.logger) // a logger with no sink says nothing
        options_.logger = std::make_shared<spdlog::logger>("http");
}

HttpServer::HttpServer(std::string bind, std::uint16_t port, Handler handler)
    : HttpServer(options_at(std::move(bind), port), std::move(handler)) {}

HttpServer::~HttpServer() {
    try {
        stop();
    } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw; nothing to save
    }
}

void HttpServer::start() {
    state_ = std::make_unique<State>(options_.workers, options_);
    clear_upload_dir(options_.upload_dir);
    if (options_.tls)
        state_->tls.emplace(make_tls_context(*options_.tls));
    bind_acceptor(state_->acceptor, options_);
    options_.port = state_->acceptor.local_endpoint().port();
    state_->accept(
        Shared{options_, handler_, websocket_, state_->pool, state_->sinks, *options_.logger});
    thread_ = std::thread([this] { state_->io.run(); });
    options_.logger->info("HTTP{} on {}:{}", options_.tls ? "S" : "", options_.bind, options_.port);
}

void HttpServer::stop() {
    if (!state_)
        return;
    // Producers of streams learn at once, and post nothing to a context going away.
    state_->sinks.shut_all();
    // Stopping the context abandons every pending read and write; the sessions go with it.
    asio::post(state_->io, [this] {
        beast::error_code ec;
        state_->acceptor.close(ec);
    });
    state_->io.stop();
    if (thread_.joinable())
        thread_.join();
    state_->pool.stop();
    state_->pool.join();
    state_.reset();
}

} // namespace loa::http
