#pragma once
// HttpSession: reading requests, streaming uploads to disk, handing upgrades over.

#include <algorithm>
#include <filesystem>
#include <variant>

#include "http_session.hpp"
#include "ws_session.hpp"

namespace loa::http::detail {

template <class Stream> void HttpSession<Stream>::start() {
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

template <class Stream> void HttpSession<Stream>::read() {
    header_.emplace();
    // No limit yet: a declared length is checked in on_header, once the route (an upload,
    // with its own limit, or not) is known.
    header_->body_limit(boost::none);
    beast::get_lowest_layer(stream_).expires_after(HttpServer::kTimeout);
    wire::async_read_header(stream_, buffer_, *header_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                self->on_header(ec);
                            });
}

template <class Stream> void HttpSession<Stream>::on_header(beast::error_code ec) {
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
    if (request.method() == wire::verb::post && is_upload(request_.path()))
        return read_upload();
    if (auto length = header_->content_length(); length && *length > HttpServer::kMaxBody)
        return answer(text_response(413, "request body over " +
                                             std::to_string(HttpServer::kMaxBody) + " bytes\n"),
                      false);
    body_.emplace(std::move(*header_));
    body_->body_limit(HttpServer::kMaxBody);
    continue_then([self = this->shared_from_this()] {
        wire::async_read(self->stream_, self->buffer_, *self->body_,
                         [self](beast::error_code ec, std::size_t) {
                             if (ec)
                                 return self->read_failed(ec);
                             self->request_.body = std::move(self->body_->get().body());
                             self->handle(self->body_->get().keep_alive());
                         });
    });
}

template <class Stream> bool HttpSession<Stream>::is_upload(const std::string& path) const {
    const auto& paths = shared_.options.upload_paths;
    return std::find(paths.begin(), paths.end(), path) != paths.end();
}

template <class Stream> void HttpSession<Stream>::read_upload() {
    const auto& options = shared_.options;
    if (auto length = header_->content_length(); length && *length > options.max_upload)
        return answer(
            text_response(413, "upload over " + std::to_string(options.max_upload) + " bytes\n"),
            false);
    if (!options.admit_upload)
        return store_upload();
    // Who sends it is known before a byte of it is written: on the pool, like routes.
    asio::post(shared_.pool, [self = this->shared_from_this()] {
        std::optional<HttpResponse> refusal;
        try {
            refusal = self->shared_.options.admit_upload(self->request_);
        } catch (const std::exception& e) {
            self->shared_.log.error("upload admission: {}", e.what());
            refusal = text_response(500, "internal error; see the server log\n");
        }
        asio::post(self->stream_.get_executor(), [self, refusal = std::move(refusal)] {
            if (refusal)
                return self->answer(*refusal, false);
            self->store_upload();
        });
    });
}

template <class Stream> void HttpSession<Stream>::store_upload() {
    const auto& options = shared_.options;
    file_.emplace(std::move(*header_));
    file_->body_limit(options.max_upload);
    std::error_code fs_error;
    std::filesystem::create_directories(options.upload_dir, fs_error);
    request_.body_file = options.upload_dir + "/" + upload_name();
    beast::error_code ec;
    file_->get().body().open(request_.body_file.c_str(), beast::file_mode::write_new, ec);
    if (ec) {
        shared_.log.error("cannot open {}: {}", request_.body_file, ec.message());
        request_.body_file.clear();
        return answer(text_response(500, "cannot store the upload; see the server log\n"), false);
    }
    continue_then([self = this->shared_from_this()] {
        wire::async_read(self->stream_, self->buffer_, *self->file_,
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
template <class Stream> template <class Next> void HttpSession<Stream>::continue_then(Next next) {
    if (request_.header("expect") != "100-continue")
        return next();
    auto interim = std::make_shared<wire::response<wire::empty_body>>(wire::status::continue_, 11);
    wire::async_write(stream_, *interim,
                      [self = this->shared_from_this(), interim,
                       next = std::move(next)](beast::error_code ec, std::size_t) {
                          if (ec)
                              return self->close();
                          next();
                      });
}

template <class Stream> void HttpSession<Stream>::remove_upload() {
    if (request_.body_file.empty())
        return;
    std::error_code ec;
    std::filesystem::remove(request_.body_file, ec);
    request_.body_file.clear();
}

template <class Stream> void HttpSession<Stream>::read_failed(beast::error_code ec) {
    if (ec == wire::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof)
        return close();
    if (ec == wire::error::body_limit) {
        auto limit = request_.body_file.empty() ? HttpServer::kMaxBody : shared_.options.max_upload;
        return answer(text_response(413, "request body over " + std::to_string(limit) + " bytes\n"),
                      false);
    }
    answer(text_response(400, "malformed request: " + ec.message() + "\n"), false);
}

/// Runs the route on the pool, then answers on the network thread.
template <class Stream> void HttpSession<Stream>::handle(bool keep_alive) {
    asio::post(shared_.pool, [self = this->shared_from_this(), keep_alive] {
        HttpResponse response;
        try {
            response = self->shared_.handler(self->request_);
        } catch (const std::exception& e) {
            self->shared_.log.error("{:?} {:?}: {}", cut(self->request_.method, 16),
                                    cut(self->request_.path()), e.what());
            response = text_response(500, "internal error; see the server log\n");
        }
        self->remove_upload();
        asio::post(self->stream_.get_executor(),
                   [self, response = std::move(response), keep_alive] {
                       self->answer(response, keep_alive);
                   });
    });
}

template <class Stream> void HttpSession<Stream>::upgrade() {
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
            shared.log.error("WebSocket upgrade {:?}: {}", cut(request_copy.path()), e.what());
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

} // namespace loa::http::detail
