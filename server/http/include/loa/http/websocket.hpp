#pragma once
/// @file
/// A WebSocket connection as the application sees it: a link to send on, a handler that gets
/// the messages, and the decision on an upgrade.

#include <memory>
#include <string>
#include <variant>

#include "loa/http/message.hpp"

namespace loa::http {

/// The server side of one WebSocket connection, for the application. Thread-safe.
class WebSocketLink {
public:
    virtual ~WebSocketLink() = default;
    /// Queues a text message. A client that lets more than HttpServer::kMaxQueuedBytes pile up
    /// unread is disconnected.
    virtual void send(std::string text) = 0;
    /// Closes the connection (after what is queued).
    virtual void close() = 0;
};

/// What the application does with one WebSocket connection's messages. Called on a worker
/// thread, one message at a time per connection, in order.
class WebSocketHandler {
public:
    virtual ~WebSocketHandler() = default;
    /// One text message from the peer.
    virtual void on_message(const std::string& text) = 0;
    /// Whether the peer has proven who it is (logged in, said hello): a connection that has
    /// not within HttpOptions::login_timeout is closed. Any thread.
    virtual bool authenticated() const { return true; }
    /// The connection has ended (either side); called once.
    virtual void on_close() {}
};

/// Decides on a WebSocket upgrade: a handler to accept it, or a response that refuses it.
using WebSocketAccept = std::function<std::variant<HttpResponse, std::shared_ptr<WebSocketHandler>>(
    const HttpRequest& upgrade, std::shared_ptr<WebSocketLink> link)>;

} // namespace loa::http
