#include "loa/http/http_server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>

#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"

namespace loa::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

auto log() {
    static auto logger = common::logger("http");
    return logger;
}

/// The application's side of a streaming response: refuses writes once the stream is over
/// and bounds what waits to be written. The session does the writing (StreamSink).
class StreamSinkBase : public HttpStreamSink {
public:
    bool write(std::string bytes) override {
        std::lock_guard lock(mutex_);
        if (closed_)
            return false;
        if (backlog_ + bytes.size() > HttpServer::kMaxStreamBacklog) {
            closed_ = true;
            post_drop();
            return false;
        }
        backlog_ += bytes.size();
        post_write(std::move(bytes));
        return true;
    }
    void end() override {
        std::lock_guard lock(mutex_);
        if (closed_)
            return;
        closed_ = true;
        post_end();
    }
    bool open() const override {
        std::lock_guard lock(mutex_);
        return !closed_;
    }
    /// The session has written `bytes` of what was queued (network thread).
    void written(std::size_t bytes) {
        std::lock_guard lock(mutex_);
        backlog_ -= std::min(backlog_, bytes);
    }
    /// No more writes: the connection is over or the server is stopping.
    void shut() {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }

protected:
    // Called with the lock held; they only post to the session's executor.
    virtual void post_write(std::string bytes) = 0;
    virtual void post_end() = 0;
    virtual void post_drop() = 0;

private:
    mutable std::mutex mutex_;
    bool closed_ = false;
    std::size_t backlog_ = 0;
};

/// Every streaming sink, so that stop() refuses their writes before the sessions go away.
class SinkRegistry {
public:
    void add(const std::shared_ptr<StreamSinkBase>& sink) {
        std::lock_guard lock(mutex_);
        if (stopped_)
            sink->shut();
        std::erase_if(sinks_, [](const auto& s) { return s.expired(); });
        sinks_.push_back(sink);
    }
    void shut_all() {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        for (const auto& weak : sinks_)
            if (auto sink = weak.lock())
                sink->shut();
    }

private:
    std::mutex mutex_;
    std::vector<std::weak_ptr<StreamSinkBase>> sinks_;
    bool stopped_ = false;
};

/// What every session needs of the server.
/// The connections open, in all and per address. A slot stands for one connection and gives
/// its place back when the last session holding it ends.
class ConnectionCount : public std::enable_shared_from_this<ConnectionCount> {
public:
    ConnectionCount(std::size_t max_total, std::size_t max_per_address)
        : max_total_(max_total), max_per_address_(max_per_address) {}

    /// A slot for a connection from `address`, or null when a limit is reached.
    std::shared_ptr<void> acquire(const std::string& address) {
        std::lock_guard lock(mutex_);
        auto& mine = per_address_[address];
        if (total_ >= max_total_ || mine >= max_per_address_) {
            if (mine == 0)
                per_address_.erase(address);
            return nullptr;
        }
        ++mine;
        ++total_;
        return std::make_shared<Slot>(shared_from_this(), address);
    }

private:
    /// One connection's place; given back when destroyed.
    struct Slot {
        Slot(std::shared_ptr<ConnectionCount> count, std::string address)
            : count(std::move(count)), address(std::move(address)) {}
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() { count->release(address); }
        std::shared_ptr<ConnectionCount> count;
        std::string address;
    };

    void release(const std::string& address) {
        std::lock_guard lock(mutex_);
        --total_;
        if (auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0)
            per_address_.erase(it);
    }

    std::size_t max_total_, max_per_address_;
    std::mutex mutex_;
    std::size_t total_ = 0;
    std::map<std::string, std::size_t> per_address_;
};

struct Shared {
    const HttpOptions& options;
    const HttpServer::Handler& handler;
    const WebSocketAccept& websocket;
    asio::thread_pool& pool;
    SinkRegistry& sinks;
};

std::string peer_of(const tcp::socket& socket) {
    beast::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec)
        return "unknown";
    auto address = remote.address().to_string();
    if (remote.address().is_v6())
        address = "[" + address + "]";
    return address + ":" + std::to_string(remote.port());
}

template <class Fields> void copy_headers(const Fields& fields, HttpRequest& out) {
    for (const auto& field : fields) {
        std::string name(field.name_string());
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(field.value());
    }
}

/// Ends the sending side of a connection. `owner` is the session the stream belongs to: a TLS
/// shutdown completes later, and must find its stream still there.
void shutdown_stream(PlainStream& stream, const std::shared_ptr<void>& /*owner*/) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

void shutdown_stream(TlsStream& stream, std::shared_ptr<void> owner) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    stream.async_shutdown([&stream, owner = std::move(owner)](beast::error_code) {
        beast::error_code ec;
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
    });
}

/// Headers every answer carries: no framing by other sites (clickjacking), no MIME sniffing,
/// and over TLS, HSTS so that a browser never falls back to plain HTTP.
template <class Response> void set_security_headers(Response& response, bool tls) {
    response.set("x-frame-options", "DENY");
    response.set("x-content-type-options", "nosniff");
    if (tls)
        response.set("strict-transport-security", "max-age=31536000");
}

/// Whether a WebSocket upgrade comes from this server's own pages or from a client that is no
/// browser page (no Origin): an Origin's host and port must be the Host the client reached.
bool same_origin(const HttpRequest& request) {
    auto origin = request.header("origin");
    if (origin.empty())
        return true;
    auto scheme_end = origin.find("://");
    if (scheme_end == std::string::npos)
        return false;
    std::string scheme = origin.substr(0, scheme_end);
    std::string authority = origin.substr(scheme_end + 3);
    std::string host = request.header("host");
    if (authority == host)
        return true;
    // An Origin names its default port only implicitly, a Host header may name it.
    std::string port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
    return !port.empty() && (authority + port == host || authority == host + port);
}

/// One WebSocket connection.
template <class Stream> class WsSession : public std::enable_shared_from_this<WsSession<Stream>> {
public:
    WsSession(Stream&& stream, Shared shared, std::shared_ptr<void> slot)
        : ws_(std::move(stream)), shared_(shared), slot_(std::move(slot)),
          login_timer_(ws_.get_executor()) {}

    /// Accepts the upgrade `request` with `handler` and starts reading.
    void accept(http::request<http::empty_body> request,
                std::shared_ptr<WebSocketHandler> handler) {
        handler_ = std::move(handler);
        beast::get_lowest_layer(ws_).expires_never();
        websocket::stream_base::timeout timeouts{std::chrono::seconds(30), HttpServer::kIdleTimeout,
                                                 true};
        ws_.set_option(timeouts);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& r) { r.set(http::field::server, "loa"); }));
        ws_.read_message_max(shared_.options.max_message);
        ws_.async_accept(request, [self = this->shared_from_this()](beast::error_code ec) {
            if (ec)
                return self->ended();
            self->read();
            self->expect_login();
        });
    }

    auto executor() { return ws_.get_executor(); }

    /// Refuses the upgrade with an HTTP response, then closes.
    void refuse(const HttpResponse& r) {
        auto response = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(r.status), 11);
        response->set(http::field::server, "loa");
        response->set(http::field::content_type, r.content_type);
        response->keep_alive(false);
        response->body() = r.body;
        response->prepare_payload();
        beast::get_lowest_layer(ws_).expires_after(HttpServer::kTimeout);
        http::async_write(
            ws_.next_layer(), *response,
            [self = this->shared_from_this(), response](beast::error_code, std::size_t) {
                shutdown_stream(self->ws_.next_layer(), self);
            });
    }

    void send(std::string text) {
        asio::post(ws_.get_executor(),
                   [self = this->shared_from_this(), text = std::move(text)]() mutable {
                       if (self->closed_)
                           return;
                       if (self->queued_bytes_ + text.size() > HttpServer::kMaxQueuedBytes) {
                           log()->warn("a WebSocket client is not reading; dropping it");
                           beast::get_lowest_layer(self->ws_).close();
                           return;
                       }
                       self->queued_bytes_ += text.size();
                       self->queue_.push_back(std::move(text));
                       if (self->queue_.size() == 1)
                           self->write_next();
                   });
    }

    void close() {
        asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
            self->close_after_writes_ = true;
            if (self->queue_.empty())
                self->close_now();
        });
    }

private:
    void read() {
        ws_.async_read(buffer_,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                           if (ec)
                               return self->ended();
                           std::string text = beast::buffers_to_string(self->buffer_.data());
                           self->buffer_.consume(self->buffer_.size());
                           // One message at a time: the next read starts when this one is handled.
                           asio::post(self->shared_.pool, [self, text = std::move(text)] {
                               try {
                                   self->handler_->on_message(text);
                               } catch (const std::exception& e) {
                                   log()->error("WebSocket handler: {}", e.what());
                               }
                               asio::post(self->ws_.get_executor(), [self] {
                                   if (!self->closed_)
                                       self->read();
                               });
                           });
                       });
    }

    /// A peer that never logs in (or says hello) holds no connection past the login timeout.
    void expect_login() {
        login_timer_.expires_after(shared_.options.login_timeout);
        login_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
            if (ec || self->closed_ || self->handler_->authenticated())
                return;
            log()->info("a WebSocket did not log in within {} s; closing it",
                        self->shared_.options.login_timeout.count());
            self->close_now();
        });
    }

    void write_next() {
        ws_.text(true);
        ws_.async_write(asio::buffer(queue_.front()),
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                            self->queued_bytes_ -= self->queue_.front().size();
                            self->queue_.pop_front();
                            if (ec) {
                                self->queue_.clear();
                                self->queued_bytes_ = 0;
                                return;
                            }
                            if (!self->queue_.empty())
                                self->write_next();
                            else if (self->close_after_writes_)
                                self->close_now();
                        });
    }

    void close_now() {
        if (closed_)
            return;
        ws_.async_close(websocket::close_code::normal,
                        [self = this->shared_from_this()](beast::error_code) {});
    }

    /// The connection is over: tell the handler once, on the pool like its messages.
    void ended() {
        login_timer_.cancel(); // its handler holds the session, and with it the socket
        if (closed_)
            return;
        closed_ = true;
        if (handler_)
            asio::post(shared_.pool, [handler = handler_] { handler->on_close(); });
    }

    websocket::stream<Stream> ws_;
    Shared shared_;
    std::shared_ptr<void> slot_; ///< its place among the open connections
    asio::steady_timer login_timer_;
    std::shared_ptr<WebSocketHandler> handler_;
    beast::flat_buffer buffer_;
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    bool close_after_writes_ = false;
    bool closed_ = false;
};

/// The application's handle on a WebSocket session; outlives it harmlessly.
template <class Stream> class Link : public WebSocketLink {
public:
    explicit Link(std::weak_ptr<WsSession<Stream>> session) : session_(std::move(session)) {}
    void send(std::string text) override {
        if (auto s = session_.lock())
            s->send(std::move(text));
    }
    void close() override {
        if (auto s = session_.lock())
            s->close();
    }

private:
    std::weak_ptr<WsSession<Stream>> session_;
};

template <class Stream> class StreamSink;

/// One HTTP connection: read a request, answer it, again while the client keeps it alive; or
/// hand the connection over to a WebSocket session.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    HttpSession(Stream&& stream, Shared shared, std::string peer, bool tls,
                std::shared_ptr<void> slot)
        : stream_(std::move(stream)), shared_(shared), peer_(std::move(peer)), tls_(tls),
          slot_(std::move(slot)) {}

    auto executor() { return stream_.get_executor(); }

    void start() {
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
            stream_.async_handshake(ssl::stream_base::server,
                                    [self = this->shared_from_this()](beast::error_code ec) {
                                        if (!ec)
                                            self->read();
                                    });
        } else {
            read();
        }
    }

private:
    void read() {
        header_.emplace();
        // No limit yet: a declared length is checked in on_header, once the route (an upload,
        // with its own limit, or not) is known.
        header_->body_limit(boost::none);
        beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
        http::async_read_header(stream_, buffer_, *header_,
                                [self = this->shared_from_this()](
                                    beast::error_code ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(beast::error_code ec) {
        if (ec)
            return read_failed(ec);
        auto& request = header_->get();
        request_ = HttpRequest{};
        request_.method = std::string(request.method_string());
        request_.target = std::string(request.target());
        request_.peer = peer_;
        request_.tls = tls_;
        copy_headers(request, request_);
        if (websocket::is_upgrade(request))
            return upgrade();
        if (request.method() == http::verb::post && is_upload(request_.path()))
            return read_upload();
        if (auto length = header_->content_length(); length && *length > HttpServer::kMaxBody)
            return answer(text_response(413, "request body over " +
                                                 std::to_string(HttpServer::kMaxBody) + " bytes\n"),
                          false);
        body_.emplace(std::move(*header_));
        body_->body_limit(HttpServer::kMaxBody);
        continue_then([self = this->shared_from_this()] {
            http::async_read(self->stream_, self->buffer_, *self->body_,
                             [self](beast::error_code ec, std::size_t) {
                                 if (ec)
                                     return self->read_failed(ec);
                                 self->request_.body = std::move(self->body_->get().body());
                                 self->handle(self->body_->get().keep_alive());
                             });
        });
    }

    bool is_upload(const std::string& path) const {
        const auto& paths = shared_.options.upload_paths;
        return std::find(paths.begin(), paths.end(), path) != paths.end();
    }

    void read_upload() {
        const auto& options = shared_.options;
        if (auto length = header_->content_length(); length && *length > options.max_upload)
            return answer(text_response(413, "upload over " + std::to_string(options.max_upload) +
                                                 " bytes\n"),
                          false);
        if (!options.admit_upload)
            return store_upload();
        // Who sends it is known before a byte of it is written: on the pool, like routes.
        asio::post(shared_.pool, [self = this->shared_from_this()] {
            std::optional<HttpResponse> refusal;
            try {
                refusal = self->shared_.options.admit_upload(self->request_);
            } catch (const std::exception& e) {
                log()->error("upload admission: {}", e.what());
                refusal = text_response(500, "internal error; see the server log\n");
            }
            asio::post(self->stream_.get_executor(), [self, refusal = std::move(refusal)] {
                if (refusal)
                    return self->answer(*refusal, false);
                self->store_upload();
            });
        });
    }

    void store_upload() {
        const auto& options = shared_.options;
        file_.emplace(std::move(*header_));
        file_->body_limit(options.max_upload);
        std::error_code fs_error;
        std::filesystem::create_directories(options.upload_dir, fs_error);
        request_.body_file = options.upload_dir + "/upload-" + common::random_token(12);
        beast::error_code ec;
        file_->get().body().open(request_.body_file.c_str(), beast::file_mode::write_new, ec);
        if (ec) {
            log()->error("cannot open {}: {}", request_.body_file, ec.message());
            request_.body_file.clear();
            return answer(text_response(500, "cannot store the upload; see the server log\n"),
                          false);
        }
        continue_then([self = this->shared_from_this()] {
            http::async_read(self->stream_, self->buffer_, *self->file_,
                             [self](beast::error_code ec, std::size_t) {
                                 self->file_->get().body().close();
                                 if (ec) {
                                     // The answer names the upload limit while it is one.
                                     self->read_failed(ec);
                                     return self->remove_upload();
                                 }
                                 self->handle(self->file_->get().keep_alive());
                             });
        });
    }

    /// Answers "Expect: 100-continue" before the body is read, then calls `next`.
    template <class Next> void continue_then(Next next) {
        if (request_.header("expect") != "100-continue")
            return next();
        auto interim =
            std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
        http::async_write(stream_, *interim,
                          [self = this->shared_from_this(), interim,
                           next = std::move(next)](beast::error_code ec, std::size_t) {
                              if (ec)
                                  return self->close();
                              next();
                          });
    }

    void remove_upload() {
        if (request_.body_file.empty())
            return;
        std::error_code ec;
        std::filesystem::remove(request_.body_file, ec);
        request_.body_file.clear();
    }

    void read_failed(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
            ec == asio::error::eof)
            return close();
        if (ec == http::error::body_limit)
            return answer(text_response(413, "request body over " +
                                                 std::to_string(request_.body_file.empty()
                                                                    ? HttpServer::kMaxBody
                                                                    : shared_.options.max_upload) +
                                                 " bytes\n"),
                          false);
        answer(text_response(400, "malformed request: " + ec.message() + "\n"), false);
    }

    /// Runs the route on the pool, then answers on the network thread.
    void handle(bool keep_alive) {
        asio::post(shared_.pool, [self = this->shared_from_this(), keep_alive] {
            HttpResponse response;
            try {
                response = self->shared_.handler(self->request_);
            } catch (const std::exception& e) {
                log()->error("{} {}: {}", common::loggable(self->request_.method, 16),
                             common::loggable(self->request_.path(), 200), e.what());
                response = text_response(500, "internal error; see the server log\n");
            }
            self->remove_upload();
            asio::post(self->stream_.get_executor(),
                       [self, response = std::move(response), keep_alive] {
                           self->answer(response, keep_alive);
                       });
        });
    }

    void upgrade() {
        if (!shared_.websocket)
            return answer(text_response(404, "no WebSocket here\n"), false);
        // A page of another site must not speak for the operator whose browser it runs in.
        if (!same_origin(request_))
            return answer(text_response(403, "a WebSocket from another site's page is refused "
                                             "(its Origin is not this server)\n"),
                          false);
        auto session = std::make_shared<WsSession<Stream>>(std::move(stream_), shared_, slot_);
        auto link = std::make_shared<Link<Stream>>(session);
        auto request = header_->release();
        // Deciding may read the database (a bearer token): on the pool, like every route.
        asio::post(shared_.pool, [shared = shared_, request_copy = request_, session, link,
                                  request = std::move(request)]() mutable {
            std::variant<HttpResponse, std::shared_ptr<WebSocketHandler>> decision;
            try {
                decision = shared.websocket(request_copy, link);
            } catch (const std::exception& e) {
                log()->error("WebSocket upgrade {}: {}", common::loggable(request_copy.path(), 200),
                             e.what());
                decision = text_response(500, "internal error; see the server log\n");
            }
            if (auto* handler = std::get_if<std::shared_ptr<WebSocketHandler>>(&decision)) {
                asio::post(session->executor(),
                           [session, request = std::move(request), handler = *handler]() mutable {
                               session->accept(std::move(request), handler);
                           });
                return;
            }
            auto refusal = std::get<HttpResponse>(decision);
            asio::post(session->executor(),
                       [session, refusal = std::move(refusal)] { session->refuse(refusal); });
        });
    }

public:
    void answer(const HttpResponse& r, bool keep_alive) {
        if (r.stream)
            return start_stream(r);
        auto response = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(r.status), 11);
        response->set(http::field::server, "loa");
        response->set(http::field::content_type, r.content_type);
        response->set(http::field::cache_control, "no-store");
        set_security_headers(*response, request_.tls);
        for (const auto& [name, value] : r.headers)
            response->set(name, value);
        response->keep_alive(keep_alive);
        response->body() = r.body;
        response->prepare_payload();
        beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
        http::async_write(stream_, *response,
                          [self = this->shared_from_this(), response,
                           keep_alive](beast::error_code ec, std::size_t) {
                              if (ec || !keep_alive)
                                  return self->close();
                              self->read();
                          });
    }

    // A streaming response: the status and headers, then chunks as the producer writes them.

    /// Queues a chunk (network thread).
    void queue_chunk(std::string bytes) {
        if (stream_over_)
            return;
        chunks_.push_back(std::move(bytes));
        if (chunks_.size() == 1)
            write_chunk();
    }

    /// Ends the body once what is queued is written (network thread).
    void end_stream() {
        ending_ = true;
        if (chunks_.empty())
            finish_stream();
    }

    /// Closes a streaming connection at once (network thread).
    void drop_stream(const char* why) {
        if (stream_over_)
            return;
        stream_over_ = true;
        if (sink_)
            sink_->shut();
        log()->debug("stream to {} {}: {}", peer_, common::loggable(request_.path(), 200), why);
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().close(ec);
    }

private:
    void start_stream(const HttpResponse& r) {
        auto header = std::make_shared<http::response<http::empty_body>>(
            static_cast<http::status>(r.status), 11);
        header->set(http::field::server, "loa");
        header->set(http::field::content_type, r.content_type);
        header->set(http::field::cache_control, "no-store");
        set_security_headers(*header, request_.tls);
        for (const auto& [name, value] : r.headers)
            header->set(name, value);
        header->keep_alive(false);
        header->chunked(true);
        auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
        beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
        http::async_write_header(stream_, *serializer,
                                 [self = this->shared_from_this(), header, serializer,
                                  producer = r.stream](beast::error_code ec, std::size_t) {
                                     if (ec)
                                         return self->close();
                                     self->stream_started(producer);
                                 });
    }

    void stream_started(const HttpStreamProducer& producer) {
        // Only a write that makes no progress has a deadline from now on.
        beast::get_lowest_layer(stream_).expires_never();
        sink_ = std::make_shared<StreamSink<Stream>>(this->weak_from_this());
        shared_.sinks.add(sink_);
        watch_peer();
        asio::post(shared_.pool, [producer, sink = sink_, path = request_.path()] {
            try {
                producer(sink);
            } catch (const std::exception& e) {
                log()->error("stream {}: {}", common::loggable(path, 200), e.what());
                sink->end();
            }
        });
    }

    /// A streaming client only ever closes its side: anything it sends ends the stream.
    void watch_peer() {
        beast::get_lowest_layer(stream_).socket().async_wait(
            tcp::socket::wait_read, [self = this->shared_from_this()](beast::error_code ec) {
                if (ec == asio::error::operation_aborted && self->stream_over_)
                    return;
                self->drop_stream("the client has gone");
            });
    }

    void write_chunk() {
        beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
        asio::async_write(stream_, http::make_chunk(asio::buffer(chunks_.front())),
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->chunk_written(ec);
                          });
    }

    void chunk_written(beast::error_code ec) {
        sink_->written(chunks_.front().size());
        chunks_.pop_front();
        if (ec)
            return drop_stream(ec == beast::error::timeout ? "stalled; dropped" : "write failed");
        if (stream_over_)
            return;
        if (!chunks_.empty())
            return write_chunk();
        beast::get_lowest_layer(stream_).expires_never();
        if (ending_)
            finish_stream();
    }

    void finish_stream() {
        if (stream_over_)
            return;
        stream_over_ = true;
        sink_->shut();
        beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
        asio::async_write(stream_, http::make_chunk_last(),
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec)
                                  return;
                              self->close();
                          });
    }

    void close() { shutdown_stream(stream_, this->shared_from_this()); }

    Stream stream_;
    Shared shared_;
    std::string peer_;
    bool tls_;
    std::shared_ptr<void> slot_; ///< its place among the open connections
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> header_;
    std::optional<http::request_parser<http::string_body>> body_;
    std::optional<http::request_parser<http::file_body>> file_;
    HttpRequest request_;
    // A streaming response (network thread only).
    std::shared_ptr<StreamSinkBase> sink_;
    std::deque<std::string> chunks_;
    bool ending_ = false;
    bool stream_over_ = false;
};

/// The sink of one session's streaming response; outlives the session harmlessly.
template <class Stream> class StreamSink final : public StreamSinkBase {
public:
    explicit StreamSink(std::weak_ptr<HttpSession<Stream>> session)
        : session_(std::move(session)) {}

protected:
    void post_write(std::string bytes) override {
        if (auto s = session_.lock())
            asio::post(s->executor(), [s, bytes = std::move(bytes)]() mutable {
                s->queue_chunk(std::move(bytes));
            });
    }
    void post_end() override {
        if (auto s = session_.lock())
            asio::post(s->executor(), [s] { s->end_stream(); });
    }
    void post_drop() override {
        if (auto s = session_.lock())
            asio::post(s->executor(), [s] {
                log()->warn("a streaming client is not reading; dropping it");
                s->drop_stream("not reading");
            });
    }

private:
    std::weak_ptr<HttpSession<Stream>> session_;
};

} // namespace

HttpResponse text_response(int status, std::string body) {
    return {status, "text/plain; charset=utf-8", std::move(body), {}};
}

HttpResponse json_response(int status, std::string body) {
    return {status, "application/json", std::move(body), {}};
}

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
                    log()->warn("refused a connection from {}: at most {} connections in all and "
                                "{} from one address ({} refused so far)",
                                address, shared.options.max_connections,
                                shared.options.max_connections_per_address, refused);
                socket.close(ec);
                return accept(shared);
            }
            if (tls)
                std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), *tls), shared,
                                                         std::move(peer), true, std::move(slot))
                    ->start();
            else
                std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), shared,
                                                           std::move(peer), false, std::move(slot))
                    ->start();
            accept(shared);
        });
    }
};

HttpServer::HttpServer(HttpOptions options, Handler handler, WebSocketAccept websocket)
    : options_(std::move(options)), handler_(std::move(handler)), websocket_(std::move(websocket)) {
}

namespace {

HttpOptions options_at(std::string bind, std::uint16_t port) {
    HttpOptions options;
    options.bind = std::move(bind);
    options.port = port;
    return options;
}

} // namespace

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
    if (!options_.upload_dir.empty()) { // uploads a crash cut short are never finished
        std::error_code ec;
        for (auto it = std::filesystem::directory_iterator(options_.upload_dir, ec);
             !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
            std::filesystem::remove(it->path(), ec);
    }
    if (options_.tls) {
        auto& context = state_->tls.emplace(ssl::context::tls_server);
        context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1 | ssl::context::no_compression);
        // A modern profile: TLS 1.2 with forward-secret AEAD suites only (TLS 1.3's are all
        // AEAD), the server's order, no renegotiation.
        SSL_CTX_set_options(context.native_handle(),
                            SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
        if (SSL_CTX_set_cipher_list(context.native_handle(),
                                    "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20") != 1)
            throw std::runtime_error("OpenSSL refuses Loa's TLS 1.2 cipher list");
        beast::error_code ec;
        context.use_certificate_chain_file(options_.tls->certificate, ec);
        if (ec)
            throw std::runtime_error("http.tls_certificate: cannot load \"" +
                                     options_.tls->certificate + "\": " + ec.message());
        context.use_private_key_file(options_.tls->private_key, ssl::context::pem, ec);
        if (ec)
            throw std::runtime_error("http.tls_key: cannot load \"" + options_.tls->private_key +
                                     "\": " + ec.message());
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.bind, ec);
    if (ec)
        throw std::runtime_error("http.bind: \"" + options_.bind + "\" is not an IP address");
    tcp::endpoint endpoint(address, options_.port);
    auto& acceptor = state_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        acceptor.bind(endpoint, ec);
    if (!ec)
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot serve HTTP on " + options_.bind + ":" +
                                 std::to_string(options_.port) + ": " + ec.message());
    options_.port = acceptor.local_endpoint().port();
    state_->accept(Shared{options_, handler_, websocket_, state_->pool, state_->sinks});
    thread_ = std::thread([this] { state_->io.run(); });
    log()->info("HTTP{} on {}:{}", options_.tls ? "S" : "", options_.bind, options_.port);
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

std::optional<std::string> url_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= text.size())
                return std::nullopt;
            auto hex = [](char h) -> int {
                if (h >= '0' && h <= '9')
                    return h - '0';
                if (h >= 'a' && h <= 'f')
                    return h - 'a' + 10;
                if (h >= 'A' && h <= 'F')
                    return h - 'A' + 10;
                return -1;
            };
            int high = hex(text[i + 1]), low = hex(text[i + 2]);
            if (high < 0 || low < 0)
                return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string HttpRequest::path() const {
    return target.substr(0, target.find('?'));
}

std::optional<std::string> HttpRequest::query(const std::string& name) const {
    auto q = target.find('?');
    if (q == std::string::npos)
        return std::nullopt;
    std::string_view rest(target);
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        auto pair = rest.substr(0, amp);
        auto eq = pair.find('=');
        auto key = url_decode(pair.substr(0, eq));
        if (key && *key == name)
            return eq == std::string_view::npos ? std::optional<std::string>("")
                                                : url_decode(pair.substr(eq + 1));
        if (amp == std::string_view::npos)
            break;
        rest.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

std::string HttpRequest::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
}

std::string HttpRequest::peer_address() const {
    std::string host = peer.substr(0, peer.rfind(':'));
    if (!host.empty() && host.front() == '[')
        host = host.substr(1, host.size() - 2);
    return host;
}

bool HttpRequest::from_loopback() const {
    beast::error_code ec;
    auto address = asio::ip::make_address(peer_address(), ec);
    return !ec && address.is_loopback();
}

} // namespace loa::server
