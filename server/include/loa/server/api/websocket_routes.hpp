#pragma once
/// @file
/// Which WebSocket path leads where: /api/v1/ws to the operators' API (a bearer token in the
/// upgrade, or auth.login on the socket), /api/v1/receiver to the receivers' control channel.

#include "loa/http/server.hpp"
#include "loa/server/api/gateway.hpp"
#include "loa/server/receivers/hub.hpp"

namespace loa::server {

/// Decides every WebSocket upgrade of the HTTP port.
http::WebSocketAccept websocket_routes(ApiGateway& gateway, ReceiverHub& hub);

} // namespace loa::server
