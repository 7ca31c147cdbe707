#include "raw_websocket.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <stdexcept>

namespace loa::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kConnectTimeout{5};
constexpr std::chrono::seconds kSendTimeout{10};

} // namespace

struct RawWebSocket::State {
    asio::io_context io{1};
    websocket::stream<beast::tcp_stream> ws{io};
    beast::flat_buffer buffer;
    std::deque<std::string> messages;
    bool reading = false;
    bool ended = false;
    int close_code = 0;
    std::size_t received = 0;

    /// Runs the context on this thread until `done()` or `wait` has passed; returns done().
    template <class Done> bool run_until(Done done, std::chrono::milliseconds wait) {
        auto deadline = Clock::now() + wait;
        while (!done()) {
            auto now = Clock::now();
            if (now >= deadline)
                return false;
            if (io.stopped())
                io.restart();
            if (io.run_one_for(deadline - now) == 0 && io.stopped())
                return done(); // nothing left to run: waiting would be in vain
        }
        return true;
    }

    void start_read() {
        reading = true;
        ws.async_read(buffer, [this](beast::error_code ec, std::size_t bytes) {
            reading = false;
            if (ec) {
                ended = true;
                if (ec == websocket::error::closed)
                    close_code = static_cast<int>(ws.reason().code);
                return;
            }
            messages.push_back(beast::buffers_to_string(buffer.data()));
            buffer.consume(buffer.size());
            received += bytes;
        });
    }

    void abort() {
        beast::error_code ignored;
        beast::get_lowest_layer(ws).socket().close(ignored);
    }
};

RawWebSocket::RawWebSocket(const std::string& address, int port, const std::string& path,
                           const Options& options)
    : state_(std::make_unique<State>()) {
    auto& ws = state_->ws;
    tcp::endpoint endpoint(asio::ip::make_address(address), static_cast<std::uint16_t>(port));
    auto& socket = beast::get_lowest_layer(ws).socket();
    socket.open(endpoint.protocol());
    if (options.receive_buffer > 0)
        socket.set_option(asio::socket_base::receive_buffer_size(options.receive_buffer));
    if (!options.source.empty())
        socket.bind(tcp::endpoint(asio::ip::make_address(options.source), 0));
    if (!options.origin.empty())
        ws.set_option(websocket::stream_base::decorator(
            [origin = options.origin](websocket::request_type& r) {
                r.set(beast::http::field::origin, origin);
            }));
    std::optional<beast::error_code> connected;
    beast::get_lowest_layer(ws).async_connect(endpoint,
                                              [&](beast::error_code ec) { connected = ec; });
    if (!state_->run_until([&] { return connected.has_value(); }, kConnectTimeout)) {
        state_->abort(); // the handler refers to `connected`: let it run before leaving
        state_->run_until([&] { return connected.has_value(); }, kConnectTimeout);
    }
    if (!connected || *connected)
        throw std::runtime_error("cannot connect to " + address + ":" + std::to_string(port) +
                                 (connected ? ": " + connected->message() : ": timed out"));
    std::optional<beast::error_code> upgraded;
    ws.async_handshake(address + ":" + std::to_string(port), path,
                       [&](beast::error_code ec) { upgraded = ec; });
    if (!state_->run_until([&] { return upgraded.has_value(); }, kConnectTimeout)) {
        state_->abort();
        state_->run_until([&] { return upgraded.has_value(); }, kConnectTimeout);
    }
    if (!upgraded || *upgraded)
        throw std::runtime_error("WebSocket upgrade to " + path + " failed" +
                                 (upgraded ? ": " + upgraded->message() : ": timed out"));
    ws.text(true);
}

RawWebSocket::~RawWebSocket() {
    state_->abort();
    try {
        // Let the aborted read end while the state lives.
        state_->run_until([this] { return !state_->reading; }, std::chrono::seconds(2));
    } catch (...) { // NOLINT(bugprone-empty-catch): a destructor has no one to tell
    }
}

bool RawWebSocket::send(const std::string& text) {
    if (state_->ended)
        return false;
    std::optional<beast::error_code> sent;
    state_->ws.async_write(asio::buffer(text),
                           [&](beast::error_code ec, std::size_t) { sent = ec; });
    if (!state_->run_until([&] { return sent.has_value(); }, kSendTimeout)) {
        state_->abort(); // the handler refers to `sent`: let it run before returning
        state_->run_until([&] { return sent.has_value(); }, kSendTimeout);
    }
    if (!sent || *sent) {
        state_->ended = true;
        return false;
    }
    return true;
}

std::optional<std::string> RawWebSocket::receive(std::chrono::milliseconds wait) {
    if (state_->messages.empty() && !state_->ended && !state_->reading)
        state_->start_read();
    state_->run_until([this] { return !state_->messages.empty() || state_->ended; }, wait);
    if (state_->messages.empty())
        return std::nullopt;
    auto message = std::move(state_->messages.front());
    state_->messages.pop_front();
    return message;
}

bool RawWebSocket::wait_ended(std::chrono::milliseconds wait) {
    auto deadline = Clock::now() + wait;
    while (!state_->ended && Clock::now() < deadline) {
        state_->messages.clear();
        (void)receive(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    }
    return state_->ended;
}

bool RawWebSocket::ended() const {
    return state_->ended;
}

int RawWebSocket::close_code() const {
    return state_->close_code;
}

std::size_t RawWebSocket::received_bytes() const {
    return state_->received;
}

} // namespace loa::test
