#pragma once
// HttpSession: answers, and streaming responses with their sink.

#include "http_session.hpp"

namespace loa::http::detail {

/// The sink of one session's streaming response; outlives the session harmlessly.
template <class Stream> class StreamSink final : public StreamSinkBase {
public:
    StreamSink(std::weak_ptr<HttpSession<Stream>> session, spdlog::logger& log)
        : session_(std::move(session)), log_(log) {}

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
            asio::post(s->executor(), [s, &log = log_] {
                log.warn("a streaming client is not reading; dropping it");
                s->drop_stream("not reading");
            });
    }

private:
    std::weak_ptr<HttpSession<Stream>> session_;
    spdlog::logger& log_;
};

template <class Stream> void HttpSession<Stream>::answer(const HttpResponse& r, bool keep_alive) {
    if (r.stream)
        return start_stream(r);
    auto response = std::make_shared<wire::response<wire::string_body>>(
        static_cast<wire::status>(r.status), 11);
    response->set(wire::field::server, "loa");
    response->set(wire::field::content_type, r.content_type);
    response->set(wire::field::cache_control, "no-store");
    set_security_headers(*response, request_.tls);
    for (const auto& [name, value] : r.headers)
        response->set(name, value);
    response->keep_alive(keep_alive);
    response->body() = r.body;
    response->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
    wire::async_write(
        stream_, *response,
        [self = this->shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
            if (ec || !keep_alive)
                return self->close();
            self->read();
        });
}

// A streaming response: the status and headers, then chunks as the producer writes them.

template <class Stream> void HttpSession<Stream>::queue_chunk(std::string bytes) {
    if (stream_over_)
        return;
    chunks_.push_back(std::move(bytes));
    if (chunks_.size() == 1)
        write_chunk();
}

template <class Stream> void HttpSession<Stream>::end_stream() {
    ending_ = true;
    if (chunks_.empty())
        finish_stream();
}

template <class Stream> void HttpSession<Stream>::drop_stream(const char* why) {
    if (stream_over_)
        return;
    stream_over_ = true;
    if (sink_)
        sink_->shut();
    shared_.log.debug("stream to {} {:?}: {}", peer_, cut(request_.path()), why);
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
}

template <class Stream> void HttpSession<Stream>::start_stream(const HttpResponse& r) {
    auto header =
        std::make_shared<wire::response<wire::empty_body>>(static_cast<wire::status>(r.status), 11);
    header->set(wire::field::server, "loa");
    header->set(wire::field::content_type, r.content_type);
    header->set(wire::field::cache_control, "no-store");
    set_security_headers(*header, request_.tls);
    for (const auto& [name, value] : r.headers)
        header->set(name, value);
    header->keep_alive(false);
    header->chunked(true);
    auto serializer = std::make_shared<wire::response_serializer<wire::empty_body>>(*header);
    beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
    wire::async_write_header(stream_, *serializer,
                             [self = this->shared_from_this(), header, serializer,
                              producer = r.stream](beast::error_code ec, std::size_t) {
                                 if (ec)
                                     return self->close();
                                 self->stream_started(producer);
                             });
}

template <class Stream>
void HttpSession<Stream>::stream_started(const HttpStreamProducer& producer) {
    // Only a write that makes no progress has a deadline from now on.
    beast::get_lowest_layer(stream_).expires_never();
    sink_ = std::make_shared<StreamSink<Stream>>(this->weak_from_this(), shared_.log);
    shared_.sinks.add(sink_);
    watch_peer();
    asio::post(shared_.pool, [producer, sink = sink_, path = request_.path(), &log = shared_.log] {
        try {
            producer(sink);
        } catch (const std::exception& e) {
            log.error("stream {:?}: {}", cut(path), e.what());
            sink->end();
        }
    });
}

/// A streaming client only ever closes its side: anything it sends ends the stream.
template <class Stream> void HttpSession<Stream>::watch_peer() {
    beast::get_lowest_layer(stream_).socket().async_wait(
        tcp::socket::wait_read, [self = this->shared_from_this()](beast::error_code ec) {
            if (ec == asio::error::operation_aborted && self->stream_over_)
                return;
            self->drop_stream("the client has gone");
        });
}

template <class Stream> void HttpSession<Stream>::write_chunk() {
    beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
    asio::async_write(stream_, wire::make_chunk(asio::buffer(chunks_.front())),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                          self->chunk_written(ec);
                      });
}

template <class Stream> void HttpSession<Stream>::chunk_written(beast::error_code ec) {
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

template <class Stream> void HttpSession<Stream>::finish_stream() {
    if (stream_over_)
        return;
    stream_over_ = true;
    sink_->shut();
    beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
    asio::async_write(stream_, wire::make_chunk_last(),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec)
                              return;
                          self->close();
                      });
}

template <class Stream> void HttpSession<Stream>::close() {
    shutdown_stream(stream_, this->shared_from_this());
}

} // namespace loa::http::detail
