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
#include "loa/server/api/caller.hpp"
#include "loa/server/api/method_table.hpp"
#include "loa/server/api/rpc.hpp"
#include "loa/server/backups/backup_scheduler.hpp"
#include "loa/server/events/notifier.hpp"
#include "loa/server/live/live_desk.hpp"
#include "loa/server/receivers/hub.hpp"
#include "loa/server/reports/indicator_push.hpp"
#include "loa/server/reports/indicators.hpp"
#include "loa/server/schedule/schedule_api.hpp"
#include "loa/server/supervision/alarm_book.hpp"

namespace loa::server {

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
               AlarmBook& alarms, GatewaySettings settings, BackupScheduler* backups = nullptr);

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

    // The handlers of the method table's API methods (method_table.cpp): the schedule's run
    // in ScheduleApi, these here (auth, users in methods/user_methods.cpp, receivers in
    // methods/receiver_methods.cpp). Called by dispatch once the table's rules are met.

    boost::json::value server_info() const;
    /// auth.login, and auth.resume ({token}); changes `caller`.
    boost::json::value login(const Params& params, Caller& caller);
    boost::json::value logout(Caller& caller);
    boost::json::value whoami(const Caller& caller);
    /// auth.ticket: a short-lived ticket for one GET path, in place of the session token.
    boost::json::value ticket(const Params& params, const Caller& caller);
    boost::json::value list_users();
    boost::json::value create_user(const Params& params);
    boost::json::value set_password(const Params& params, const Caller& caller);
    boost::json::value disable_user(const Params& params);
    boost::json::value list_audit(const Params& params);
    /// api_keys.create {name, units?}: the key's secret is in the answer, this once.
    boost::json::value create_key(const Params& params, const Caller& caller);
    boost::json::value list_keys();
    /// indicators.get (docs/indicators.md), within the caller's units.
    boost::json::value indicators(const Params& params, const Caller& caller);
    /// indicators.deliveries: each push target's delivery state.
    boost::json::value indicator_deliveries();
    /// The indicators' book and pushes (indicators.* refuse without them).
    void set_indicators(IndicatorBook* book, IndicatorPush* push) {
        indicators_ = book;
        push_ = push;
    }
    /// live.start, live.stop and live.list (methods/live_methods.cpp): a broadcast lasts as
    /// long as the WebSocket and session it was started over.
    boost::json::value start_live(const Params& params, const Caller& caller);
    boost::json::value stop_live(const Params& params, const Caller& caller);
    boost::json::value list_live(const Caller& caller);
    /// The live desk (live.* refuse without it).
    void set_live(LiveDesk* desk) { live_ = desk; }
    boost::json::value rotate_key(const Params& params);
    boost::json::value revoke_key(const Params& params);
    boost::json::value list_receivers(const Params& params, const Caller& caller);
    boost::json::value provision(const Params& params, const Caller& caller);
    boost::json::value set_volume(const Params& params);
    boost::json::value unprovision(const Params& params);
    boost::json::value rekey(const Params& params);
    boost::json::value move_receivers(const Params& params);
    /// alarms.list, alarms.history and alarms.acknowledge (methods/alarm_methods.cpp).
    boost::json::value list_alarms(const Params& params, const Caller& caller);
    boost::json::value alarm_history(const Params& params, const Caller& caller);
    boost::json::value acknowledge_alarm(const Params& params, const Caller& caller);
    /// backups.list and backups.run (methods/backup_methods.cpp).
    boost::json::value list_backups();
    boost::json::value run_backup();
    /// Alarms as the API shows them, with their units' codes.
    boost::json::array alarms_json(const std::vector<Alarm>& alarms);

private:
    class Session;
    boost::json::value dispatch(const std::string& method, const Params& params, Caller& caller);
    /// Throws unless the caller may call `method` with `params`: a session, the role, the
    /// connection, a receiver of its units.
    void authorise(const Method& method, const Params& params, Caller& caller);
    /// Throws unless receiver `id` exists in a unit `caller` acts for.
    void require_receiver(const Caller& caller, const std::string& id);
    /// Throws unless alarm `id` exists and concerns a unit `caller` acts for.
    void require_alarm(const Caller& caller, std::int64_t id);
    void adopt(Caller& caller, const User& user, const std::string& token);
    /// Checks a logged-in caller's token again when sessions may have ended since, or once a
    /// minute (expiry); a session that ended leaves the caller logged out, with an error.
    void check_session(Caller& caller);
    /// How often a long-lived connection's token is checked again at the latest.
    static constexpr std::chrono::seconds kSessionRecheck{60};
    /// The session token behind a ticket for `path`, or "" if it is unknown, expired or for
    /// another path.
    std::string redeem(const std::string& ticket, const std::string& path);
    /// What a ticket stands for.
    struct Ticket {
        std::string token; ///< the session it acts in (checked again at each use)
        std::string path;
        std::chrono::steady_clock::time_point expires;
    };
    boost::json::object user_json(const User& user);
    boost::json::object key_json(const ApiKey& key);
    void audit(const Caller& caller, const std::string& method, const Params& params,
               const boost::json::value& result);

    AuthStore& auth_;
    ScheduleApi& schedule_;
    ReceiverHub& receivers_;
    Notifier& notifier_;
    AlarmBook& alarms_;
    GatewaySettings settings_;
    BackupScheduler* backups_; ///< null without backups' settings (tests)
    IndicatorBook* indicators_ = nullptr;
    IndicatorPush* push_ = nullptr;
    LiveDesk* live_ = nullptr;
    std::atomic<std::uint64_t> requests_{0}, errors_{0};
    std::mutex tickets_mutex_;
    std::map<std::string, Ticket> tickets_; ///< by the ticket's SHA-256
};

/// A receiver as receivers.list shows it (docs/api.md, "Receivers"), without what it plays.
boost::json::object receiver_json(const ReceiverView& receiver);

/// A one-line summary of params and result for the audit log: secrets left out, long texts
/// cut.
std::string audit_summary(const boost::json::object& params, const boost::json::value& result);

} // namespace loa::server
