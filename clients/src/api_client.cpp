#include "loa/clients/api_client.hpp"

#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <functional>
#include <map>
#include <set>

#include "api_transport.hpp"
#include "loa/common/jsonrpc.hpp"
#include "loa/common/logging.hpp"

namespace loa::clients {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using detail::SteadyClock;

constexpr std::size_t kMaxMessage = 16ULL * 1024 * 1024;
/// Pushed messages kept for next(); a client that never asks must not grow without bound.
constexpr std::size_t kMaxPushed = 4096;

/// The WebSocket operations a connection needs, over a plain or a TLS stream.
class WsChannel {
public:
    using Handler = std::function<void(beast::error_code)>;
    virtual ~WsChannel() = default;
    virtual void async_read(beast::flat_buffer& buffer, Handler done) = 0;
    virtual void async_write(const std::string& text, Handler done) = 0;
    virtual void async_close(Handler done) = 0;
    /// Closes the socket: pending operations end with operation_aborted.
    virtual void abort() = 0;
    virtual websocket::close_reason reason() const = 0;
};

template <class Next> class WsChannelOf final : public WsChannel {
public:
    template <class... Args> explicit WsChannelOf(Args&... args) : ws_(args...) {}
    websocket::stream<Next>& ws() { return ws_; }

    void async_read(beast::flat_buffer& buffer, Handler done) override {
        ws_.async_read(buffer,
                       [done = std::move(done)](beast::error_code ec, std::size_t) { done(ec); });
    }
    void async_write(const std::string& text, Handler done) override {
        ws_.async_write(net::buffer(text),
                        [done = std::move(done)](beast::error_code ec, std::size_t) { done(ec); });
    }
    void async_close(Handler done) override {
        ws_.async_close(websocket::close_code::normal, std::move(done));
    }
    void abort() override {
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }
    websocket::close_reason reason() const override { return ws_.reason(); }

private:
    websocket::stream<Next> ws_;
};

/// The id of an answer, if it is one of ours (a whole number).
std::optional<std::int64_t> answer_id(const json::object& message) {
    const auto* id = message.if_contains("id");
    if (id == nullptr)
        return std::nullopt;
    if (const auto* n = id->if_int64())
        return *n;
    if (const auto* n = id->if_uint64(); n != nullptr && *n <= INT64_MAX)
        return static_cast<std::int64_t>(*n);
    return std::nullopt;
}

/// The result of an answer, or its error thrown as ApiError.
json::value result_of(json::object answer, const std::string& method) {
    if (auto fault = jsonrpc::fault_of(answer))
        throw ApiError(fault->code, fault->message);
    if (auto* result = answer.if_contains("result"))
        return std::move(*result);
    throw std::runtime_error("the server's answer to " + method + " has neither result nor error");
}

std::string upgrade_refusal(const ApiEndpoint& e, const websocket::response_type& response) {
    std::string text = "the server at " + to_url(e) +
                       " refused the WebSocket upgrade: " + std::to_string(response.result_int()) +
                       " " + std::string(response.reason());
    if (!response.body().empty())
        text += ": " + response.body().substr(0, 300);
    return text;
}

} // namespace

ApiError::ApiError(int code, std::string message)
    : std::runtime_error(message + " (JSON-RPC error " + std::to_string(code) + ")"), code(code),
      message(std::move(message)) {}

/// The connection's state; every method runs on the caller's thread, driving the io_context.
class ApiConnection::Impl {
public:
    explicit Impl(std::chrono::milliseconds timeout) : timeout_(timeout) {}

    ~Impl() {
        if (!channel_)
            return;
        channel_->abort();
        // Let the aborted read finish while `this` lives; a failure here leaves only a handler
        // that the io_context destroys without running.
        try {
            detail::run_until(
                ioc_, [this] { return !reading_; }, SteadyClock::now() + detail::kAbortGrace);
        } catch (...) { // NOLINT(bugprone-empty-catch): a destructor has no one to tell
        }
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    template <class Next> common::Result<void> open(const ApiEndpoint& e, const ConnectOptions& o);
    json::value call(const std::string& method, json::object params);
    void send(const json::object& message);
    std::optional<json::object> next(std::chrono::milliseconds wait);
    void close();
    bool is_open() const { return failure_.empty(); }

private:
    void start_read();
    void on_read(beast::error_code ec);
    void dispatch(const std::string& text);
    /// Remembers the first failure; later operations throw it.
    void fail(const std::string& why) {
        if (failure_.empty())
            failure_ = why;
    }

    net::io_context ioc_{1};
    std::optional<detail::ssl::context> tls_;
    std::unique_ptr<WsChannel> channel_;
    beast::flat_buffer buffer_;
    bool reading_ = false;
    std::deque<json::object> pushed_;              ///< notifications and requests for next()
    std::map<std::int64_t, json::object> answers_; ///< answers to calls, by id
    std::set<std::int64_t> awaited_;               ///< ids of calls still waiting
    std::int64_t next_id_ = 1;
    std::string failure_; ///< empty while the connection works
    std::string url_;
    std::chrono::milliseconds timeout_;
};

template <class Next>
common::Result<void> ApiConnection::Impl::open(const ApiEndpoint& e, const ConnectOptions& o) {
    url_ = to_url(e);
    std::unique_ptr<WsChannelOf<Next>> channel;
    if constexpr (std::is_same_v<Next, detail::TlsStream>) {
        tls_.emplace(detail::ssl::context::tls_client);
        if (auto r = detail::configure_tls(*tls_, o); !r)
            return r;
        channel = std::make_unique<WsChannelOf<Next>>(ioc_, *tls_);
        if (auto r = detail::open_tls(ioc_, channel->ws().next_layer(), e, o); !r)
            return r;
    } else {
        channel = std::make_unique<WsChannelOf<Next>>(ioc_);
        if (auto r = detail::open_tcp(ioc_, channel->ws().next_layer(), e, o.timeout); !r)
            return r;
    }
    auto& ws = channel->ws();
    ws.read_message_max(kMaxMessage);
    ws.text(true);
    ws.set_option(websocket::stream_base::decorator([token = o.bearer_token](auto& request) {
        request.set(http::field::user_agent, "loa-client");
        if (!token.empty())
            request.set(http::field::authorization, "Bearer " + token);
    }));
    websocket::response_type response;
    auto ec = detail::await(
        ioc_, timeout_,
        [&](auto finish) { ws.async_handshake(response, detail::host_header(e), e.path, finish); },
        [&] { channel->abort(); });
    if (ec == websocket::error::upgrade_declined) {
        auto status = response.result();
        bool denied = status == http::status::unauthorized || status == http::status::forbidden;
        return common::make_error(denied ? common::Errc::unauthorized : common::Errc::io_error,
                                  upgrade_refusal(e, response));
    }
    if (ec)
        return common::make_error(common::Errc::io_error,
                                  "WebSocket handshake with " + url_ +
                                      " failed: " + detail::describe(ec, timeout_));
    channel_ = std::move(channel);
    start_read();
    return {};
}

void ApiConnection::Impl::start_read() {
    reading_ = true;
    channel_->async_read(buffer_, [this](beast::error_code ec) { on_read(ec); });
}

void ApiConnection::Impl::on_read(beast::error_code ec) {
    reading_ = false;
    if (ec == websocket::error::closed) {
        auto reason = channel_->reason();
        fail("the server closed the connection" +
             (reason.reason.empty() ? std::string() : ": " + std::string(reason.reason.c_str())));
        return;
    }
    if (ec == net::error::operation_aborted) {
        fail("the connection was closed");
        return;
    }
    if (ec == net::error::eof || ec == net::ssl::error::stream_truncated) {
        fail("the server at " + url_ + " dropped the connection");
        return;
    }
    if (ec) {
        fail("the connection to " + url_ + " failed: " + ec.message());
        return;
    }
    auto text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    dispatch(text);
    start_read();
}

void ApiConnection::Impl::dispatch(const std::string& text) {
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    auto* message = ec ? nullptr : value.if_object();
    if (message == nullptr) {
        common::logger("api")->warn("ignoring a message from {} that is not a JSON object: {:.200}",
                                    url_, text);
        return;
    }
    if (message->contains("method")) {
        if (pushed_.size() == kMaxPushed) {
            common::logger("api")->warn("{} pushed messages not taken: dropping the oldest",
                                        kMaxPushed);
            pushed_.pop_front();
        }
        pushed_.push_back(std::move(*message));
        return;
    }
    auto id = answer_id(*message);
    // An error about a request the server could not read carries id null: calls are one at a
    // time, so it belongs to the one waiting.
    if (!id && message->contains("error") && awaited_.size() == 1)
        id = *awaited_.begin();
    if (id && awaited_.erase(*id) > 0) {
        answers_.emplace(*id, std::move(*message));
        return;
    }
    common::logger("api")->debug("ignoring an answer nobody waits for: {:.200}", text);
}

void ApiConnection::Impl::send(const json::object& message) {
    if (!failure_.empty())
        throw std::runtime_error(failure_);
    auto text = json::serialize(message);
    auto ec = detail::await(
        ioc_, timeout_, [&](auto finish) { channel_->async_write(text, finish); },
        [&] {
            fail("sending to " + url_ + " took longer than " + std::to_string(timeout_.count()) +
                 " ms");
            channel_->abort();
        });
    if (ec) {
        fail("sending to " + url_ + " failed: " + ec.message());
        throw std::runtime_error(failure_);
    }
}

json::value ApiConnection::Impl::call(const std::string& method, json::object params) {
    auto id = next_id_++;
    awaited_.insert(id);
    try {
        send(jsonrpc::request(id, method, std::move(params)));
    } catch (...) {
        awaited_.erase(id);
        throw;
    }
    detail::run_until(
        ioc_, [&] { return answers_.count(id) > 0 || !failure_.empty(); },
        SteadyClock::now() + timeout_);
    auto it = answers_.find(id);
    if (it == answers_.end()) {
        awaited_.erase(id);
        if (!failure_.empty())
            throw std::runtime_error(method + ": " + failure_);
        throw std::runtime_error("no answer to " + method + " from " + url_ + " within " +
                                 std::to_string(timeout_.count()) + " ms");
    }
    auto answer = std::move(it->second);
    answers_.erase(it);
    return result_of(std::move(answer), method);
}

std::optional<json::object> ApiConnection::Impl::next(std::chrono::milliseconds wait) {
    detail::run_until(
        ioc_, [this] { return !pushed_.empty() || !failure_.empty(); }, SteadyClock::now() + wait);
    if (!pushed_.empty()) {
        auto message = std::move(pushed_.front());
        pushed_.pop_front();
        return message;
    }
    if (!failure_.empty())
        throw std::runtime_error(failure_);
    return std::nullopt;
}

void ApiConnection::Impl::close() {
    if (!failure_.empty())
        return;
    fail("the connection was closed");
    detail::await(
        ioc_, timeout_, [&](auto finish) { channel_->async_close(finish); },
        [&] { channel_->abort(); });
    // The pending read ends once the server's close frame (or the end of the stream) arrived.
    if (!detail::run_until(
            ioc_, [this] { return !reading_; }, SteadyClock::now() + timeout_)) {
        channel_->abort();
        detail::run_until(
            ioc_, [this] { return !reading_; }, SteadyClock::now() + detail::kAbortGrace);
    }
}

common::Result<std::unique_ptr<ApiConnection>>
ApiConnection::connect(const ApiEndpoint& endpoint, const ConnectOptions& options) {
    if (auto allowed = detail::check_plain_allowed(endpoint, options); !allowed)
        return allowed.error();
    auto impl = std::make_unique<Impl>(options.timeout);
    auto opened = endpoint.tls ? impl->open<detail::TlsStream>(endpoint, options)
                               : impl->open<beast::tcp_stream>(endpoint, options);
    if (!opened)
        return opened.error();
    return std::unique_ptr<ApiConnection>(new ApiConnection(std::move(impl)));
}

ApiConnection::ApiConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiConnection::~ApiConnection() = default;

json::value ApiConnection::call(const std::string& method, json::object params) {
    return impl_->call(method, std::move(params));
}

void ApiConnection::notify(const std::string& method, json::object params) {
    impl_->send(jsonrpc::notification(method, std::move(params)));
}

std::optional<json::object> ApiConnection::next(std::chrono::milliseconds wait) {
    return impl_->next(wait);
}

void ApiConnection::reply(const json::value& id, json::value result) {
    impl_->send(jsonrpc::result(id, std::move(result)));
}

void ApiConnection::reply_error(const json::value& id, int code, const std::string& message) {
    impl_->send(jsonrpc::error(id, code, message));
}

void ApiConnection::close() {
    impl_->close();
}

bool ApiConnection::is_open() const {
    return impl_->is_open();
}

} // namespace loa::clients
