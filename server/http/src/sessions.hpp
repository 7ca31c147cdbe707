#pragma once
// Starts a session on an accepted connection. Each kind of stream has a translation unit of
// its own (session_plain.cpp, session_tls.cpp): Beast's templates build in parallel.

#include "beast_support.hpp"

namespace loa::http::detail {

/// Serves HTTP (and WebSocket upgrades) on a plain connection.
void start_plain_session(tcp::socket socket, Shared shared, std::string peer,
                         std::shared_ptr<void> slot);
/// Serves HTTPS (and WebSocket upgrades) on a connection, after the TLS handshake.
void start_tls_session(tcp::socket socket, ssl::context& tls, Shared shared, std::string peer,
                       std::shared_ptr<void> slot);

} // namespace loa::http::detail
