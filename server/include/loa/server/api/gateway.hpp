#pragma once
/// @file
/// The operators' API: every method of docs/api.md, with who may call it. A caller is a logged
/// in user (role and unit scope from the AuthStore) or the local control socket. Each method
/// checks the role here and the unit scope where it reads or changes something; every change
/// that succeeds is written to the audit log (who, what, a before/after summary, from where).
/// Served on the WebSocket /api/v1/ws (with notifications) and the control socket.

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "loa/http/server.hpp"
#include "loa/server/api/auth_store.hpp"
#include "loa/server/api/rpc.hpp"
#include "loa/server/events/notifier.hpp"
#include "loa/server/receivers/hub.hpp"
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

    /// Whether secrets (passwords, device secrets, keys) may cross this caller's connection:
    /// the control socket, TLS, or the loopback interface.
    bool private_channel() const { return local || confidential; }

    /// The name recorded as who acted.
    std::string name() const { return local ? local_name : user ? user->name : "anonymous"; }
};

/// How far each method reaches.
enum class Permission {
    anyone,  ///< auth.login, auth.resume
    read,    ///< every role
    change,  ///< managers, approvers, admins
    approve, ///< approvers, admins
    admin,   ///< admins only
};

/// Every method of the API with the permission it needs: the one method table (a method missing
/// from it does not exist). programs.decide needs Permission::approve to approve or reject: see
/// permission_of. The authorization test is generated from it.
const std::map<std::string, Permission>& api_methods();

/// The permission a method needs (`params` matter for programs.decide); nullopt for an
/// unknown method.
std::optional<Permission> permission_of(const std::string& method, const Params& params);

/// Whether `role` has `needed` (the method table's rule; unit scopes come on top).
bool may_call(Role role, Permission needed);

/// Settings of the API.
struct GatewaySettings {
    std::chrono::seconds session_ttl{std::chrono::hours(12)};
    std::string public_url;      ///< server URL written into provisioning bundles ("" = from Host)
    std::string tls_certificate; ///< PEM file put into bundles so receivers can verify
    std::string time_zone = "Asia/Ho_Chi_Minh"; ///< shown by server.info (the console's dates)
    std::string province;                       ///< the province's name, for server.info
};

/// How long a ticket of auth.ticket may be used.
inline constexpr std::chrono::seconds kTicketLifetime{60};

/// The version server.info reports.
inline constexpr const char* kServerVersion = "0.5.0";

/// Dispatches the API's methods with authorisation and audit. Thread-safe.
class ApiGateway {
public:
    ApiGateway(AuthStore& auth, ScheduleApi& schedule, ReceiverHub& receivers, Notifier& notifier,
               GatewaySettings settings);

    /// Calls a method for `caller` (auth.login and auth.resume change `caller`); throws
    /// RpcError.
    boost::json::value call(const std::string& method, const Params& params, Caller& caller);
    /// A caller for a bearer token ("Authorization: Bearer ..."), or on a GET for a ticket
    /// (the query parameter ticket, from auth.ticket, for that path only); nullopt if neither
    /// is valid. Session tokens never travel in URLs.
    std::optional<Caller> bearer(const http::HttpRequest& request);
    /// A caller from an HTTP request without credentials.
    static Caller anonymous(const http::HttpRequest& request);
    /// Whether `caller`'s session is still valid, for what outlives one call (subscriptions,
    /// listen-in streams). Cheap to call often: it looks again only when sessions may have
    /// ended, and at least once a minute (expiry). Always true for the control socket.
    std::function<bool()> session_alive(const Caller& caller);
    /// The handler of one operator connection (/api/v1/ws), already logged in if `caller` is.
    std::shared_ptr<http::WebSocketHandler> connect(Caller caller,
                                                    std::shared_ptr<http::WebSocketLink> link);
    /// Requests and errors so far (for /metrics).
    std::uint64_t requests() const { return requests_.load(); }
    std::uint64_t errors() const { return errors_.load(); }
    ScheduleApi& schedule() { return schedule_; }
    /// A provisioned receiver's current key (empty if none); for its SDP.
    std::vector<std::uint8_t> receiver_key(const std::string& id);

private:
    class Session;
    boost::json::value dispatch(const std::string& method, const Params& params, Caller& caller);
    boost::json::value login(const Params& params, Caller& caller);
    void adopt(Caller& caller, const User& user, const std::string& token);
    /// Checks a logged-in caller's token again when sessions may have ended since, or once a
    /// minute (expiry); a session that ended leaves the caller logged out, with an error.
    void check_session(Caller& caller);
    /// How often a long-lived connection's token is checked again at the latest.
    static constexpr std::chrono::seconds kSessionRecheck{60};
    /// auth.ticket: a short-lived ticket for one GET path, in place of the session token.
    boost::json::value ticket(const Params& params, const Caller& caller);
    /// The session token behind a ticket for `path`, or "" if it is unknown, expired or for
    /// another path.
    std::string redeem(const std::string& ticket, const std::string& path);
    /// What a ticket stands for.
    struct Ticket {
        std::string token; ///< the session it acts in (checked again at each use)
        std::string path;
        std::chrono::steady_clock::time_point expires;
    };
    boost::json::value users(const std::string& method, const Params& params, Caller& caller);
    boost::json::value receivers(const std::string& method, const Params& params, Caller& caller);
    boost::json::object user_json(const User& user);
    void audit(const Caller& caller, const std::string& method, const Params& params,
               const boost::json::value& result);

    AuthStore& auth_;
    ScheduleApi& schedule_;
    ReceiverHub& receivers_;
    Notifier& notifier_;
    GatewaySettings settings_;
    std::atomic<std::uint64_t> requests_{0}, errors_{0};
    std::mutex tickets_mutex_;
    std::map<std::string, Ticket> tickets_; ///< by the ticket's SHA-256
};

/// A one-line summary of params and result for the audit log: secrets left out, long texts
/// cut.
std::string audit_summary(const boost::json::object& params, const boost::json::value& result);

} // namespace loa::server
