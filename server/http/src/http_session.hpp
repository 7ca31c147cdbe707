#pragma once
// One HTTP connection: read a request, answer it, again while the client keeps it alive; or
// hand the connection over to a WebSocket session. Its members are defined in
// http_session_read.hpp (requests, uploads, upgrades) and http_session_write.hpp (answers,
// streaming responses); sessions.cpp instantiates it for plain and TLS streams.

#include <deque>
#include <optional>

#include "beast_support.hpp"

namespace loa::http::detail {

template <class Stream> class StreamSink;

/// One HTTP connection over `Stream` (PlainStream or TlsStream).
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    HttpSession(Stream&& stream, Shared shared, std::string peer, bool tls,
                std::shared_ptr<void> slot)
        : stream_(std::move(stream)), shared_(shared), peer_(std::move(peer)), tls_(tls),
          slot_(std::move(slot)) {}

    auto executor() { return stream_.get_executor(); }

    /// Shakes hands (TLS) and reads the first request.
    void start();

    // What the sink of a streaming response asks for, on the network thread.

    /// Queues a chunk.
    void queue_chunk(std::string bytes);
    /// Ends the body once what is queued is written.
    void end_stream();
    /// Closes a streaming connection at once.
    void drop_stream(const char* why);

private:
    // Reading (http_session_read.hpp).
    void read();
    void on_header(beast::error_code ec);
    bool is_upload(const std::string& path) const;
    void read_upload();
    void store_upload();
    template <class Next> void continue_then(Next next);
    void remove_upload();
    void read_failed(beast::error_code ec);
    void handle(bool keep_alive);
    void upgrade();

    // Writing (http_session_write.hpp).
    void answer(const HttpResponse& r, bool keep_alive);
    void start_stream(const HttpResponse& r);
    void stream_started(const HttpStreamProducer& producer);
    void watch_peer();
    void write_chunk();
    void chunk_written(beast::error_code ec);
    void finish_stream();
    void close();

    Stream stream_;
    Shared shared_;
    std::string peer_;
    bool tls_;
    std::shared_ptr<void> slot_; ///< its place among the open connections
    beast::flat_buffer buffer_;
    std::optional<wire::request_parser<wire::empty_body>> header_;
    std::optional<wire::request_parser<wire::string_body>> body_;
    std::optional<wire::request_parser<wire::file_body>> file_;
    HttpRequest request_;
    // A streaming response (network thread only).
    std::shared_ptr<StreamSinkBase> sink_;
    std::deque<std::string> chunks_;
    bool ending_ = false;
    bool stream_over_ = false;
};

} // namespace loa::http::detail
