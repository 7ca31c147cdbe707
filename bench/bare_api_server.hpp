#pragma once
// The control benchmark's baseline server (see bare_api_server.cpp).

#include <cstdint>

namespace loa::bench {

/// Serves /api/v1/ws and /api/v1/receiver on 127.0.0.1:`port` with Loa's transport and
/// JSON-RPC framing and a fixed answer to everything, until SIGTERM or SIGINT.
int run_bare_api_server(std::uint16_t port);

} // namespace loa::bench
