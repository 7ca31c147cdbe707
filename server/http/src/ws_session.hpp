#pragma once
// One WebSocket connection, and the application's handle on it.

#include <deque>

#include "beast_support.hpp"

namespace loa::http::detail {

/// One WebSocket connection.
template <class Stream> class WsSession : public std::enable_shared_from_this<WsSession<Stream>> {
public:
    WsSession(Stream&& stream, Shared shared, std::shared_ptr<void> slot)
        : ws_(std::move(stream)), shared_(shared), slot_(std::move(slot)),
          login_timer_(ws_.get_executor()) {}

    /// Accepts the upgrade `request` with `handler` and starts reading.
    void accept(wire::request<wire::empty_body> request,
                std::shared_ptr<WebSocketHandler> handler) {
        handler_ = std::move(handler);
        beast::get_lowest_layer(ws_).expires_never();
        websocket::stream_base::timeout timeouts{std::chrono::seconds(30), HttpServer::kIdleTimeout,
                                                 true};
        ws_.set_option(timeouts);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& r) { r.set(wire::field::server, "loa"); }));
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
        auto response = std::make_shared<wire::response<wire::string_body>>(
            static_cast<wire::status>(r.status), 11);
        response->set(wire::field::server, "loa");
        response->set(wire::field::content_type, r.content_type);
        response->keep_alive(false);
        response->body() = r.body;
        response->prepare_payload();
        beast::get_lowest_layer(ws_).expires_after(HttpServer::kTimeout);
        wire::async_write(
            ws_.next_layer(), *response,
            [self = this->shared_from_this(), response](beast::error_code, std::size_t) {
                shutdown_stream(self->ws_.next_layer(), self);
            });
    }

    /// Queues a text message; a peer with too much unread is dropped.
    void send(std::string text) {
        asio::post(ws_.get_executor(),
                   [self = this->shared_from_this(), text = std::move(text)]() mutable {
                       if (self->closed_)
                           return;
                       if (self->queued_bytes_ + text.size() > HttpServer::kMaxQueuedBytes) {
                           self->shared_.log.warn("a WebSocket client is not reading; dropping it");
                           beast::get_lowest_layer(self->ws_).close();
                           return;
                       }
                       self->queued_bytes_ += text.size();
                       self->queue_.push_back(std::move(text));
                       if (self->queue_.size() == 1)
                           self->write_next();
                   });
    }

    /// Closes once what is queued is written.
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
                                   self->shared_.log.error("WebSocket handler: {}", e.what());
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
            self->shared_.log.info("a WebSocket did not log in within {} s; closing it",
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

} // namespace loa::http::detail
