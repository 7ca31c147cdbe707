#pragma once
/// @file
/// Who calls a method, and over what: a logged-in user, or the control socket's local
/// administrator; the connection says whether secrets may cross it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "loa/http/websocket.hpp"

#include "loa/server/api/auth_store.hpp"
#include "loa/server/schedule/schedule_api.hpp"

namespace loa::server {

/// Who is calling, and from where.
struct Caller {
    std::optional<User> user; ///< nullopt: not logged in (or the control socket, see `local`)
    bool local = false;       ///< the control socket: the server's own administrator
    std::string local_name;   ///< "local uid U pid P"
    std::string from;         ///< network address, or "local"
    std::string token;        ///< the session token used, if any (never logged)
    /// When the token was last found valid: AuthStore::sessions_generation() and time.
    std::uint64_t checked_generation = 0;
    std::chrono::steady_clock::time_point checked_at{};
    Scope scope;      ///< what the user's units allow
    std::string host; ///< the Host the client reached (for provisioning bundles)
    bool tls = false;
    bool confidential = false; ///< came over TLS or from 127.0.0.0/8 or ::1
    std::string upload;        ///< a file the HTTP server received for this call (REST upload)
    /// The operator WebSocket the call came over, for what lasts as long as it does (a live
    /// broadcast): its link, and whether it is still open. Empty elsewhere.
    std::weak_ptr<http::WebSocketLink> link;
    std::shared_ptr<const std::atomic<bool>> link_open;

    /// Whether secrets (passwords, device secrets, keys) may cross this caller's connection:
    /// the control socket, TLS, or the loopback interface.
    bool private_channel() const { return local || confidential; }

    /// The name recorded as who acted.
    std::string name() const { return local ? local_name : user ? user->name : "anonymous"; }
};

} // namespace loa::server
