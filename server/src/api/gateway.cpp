#include "loa/server/api/gateway.hpp"

#include <algorithm>
#include <mutex>

#include "loa/common/logging.hpp"
#include "loa/common/persistent_counter.hpp"
#include "loa/common/secret.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/schedule/relay_url.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

auto log() {
    static auto logger = common::logger("api");
    return logger;
}

constexpr std::size_t kSummaryMax = 400;
constexpr std::size_t kMaxTickets = 10000;
constexpr std::size_t kTextMax = 80;

const std::set<std::string> kSecretKeys = {"password", "current", "secret",
                                           "key",      "token",   "bundle"};

/// `text` cut to at most `max` bytes, never inside a UTF-8 sequence, with "..." if cut.
std::string cut(std::string text, std::size_t max) {
    if (text.size() <= max)
        return text;
    text.resize(max);
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80)
        text.pop_back(); // continuation bytes of a cut sequence
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0)
        text.pop_back(); // its lead byte
    return text + "...";
}

/// A copy of `v` fit for the audit log: secrets hidden, long texts cut.
json::value redact(const json::value& v) {
    if (v.is_object()) {
        json::object out;
        for (const auto& [k, item] : v.as_object()) {
            std::string key(k);
            if (kSecretKeys.count(key) != 0)
                out[key] = "(hidden)";
            else if ((key == "ics" || key == "sdp") && item.is_string())
                out[key] = "(" + std::to_string(item.as_string().size()) + " bytes)";
            else if ((key == "url" || key == "source") && item.is_string())
                out[key] = redact(json::value(redact_url(item.as_string())));
            else
                out[key] = redact(item);
        }
        return out;
    }
    if (v.is_array()) {
        json::array out;
        for (const auto& item : v.as_array())
            out.push_back(redact(item));
        return out;
    }
    if (v.is_string() && v.as_string().size() > kTextMax)
        return json::value(cut(std::string(v.as_string()), kTextMax));
    return v;
}

} // namespace

std::string audit_summary(const json::object& params, const json::value& result) {
    return cut(json::serialize(redact(params)) + " -> " + json::serialize(redact(result)),
               kSummaryMax);
}

namespace {

/// Whether an event reaches a subscriber of `scope`: receivers' events and alarms as far as
/// receivers.list and alarms.list show them (the units one acts for; an alarm of no unit to
/// province-wide callers only), the others as far as one reads.
bool visible_to(const Scope& scope, const Notification& n) {
    if (scope.all)
        return true;
    if (n.units.empty())
        return n.topic != "alarms";
    bool receivers = n.topic == "receivers" || n.topic == "alarms";
    return std::any_of(n.units.begin(), n.units.end(), [&](std::int64_t u) {
        return receivers ? scope.may_change(u) : scope.may_read(u);
    });
}

} // namespace

/// One operator connection: JSON-RPC in, responses and subscribed notifications out.
class ApiGateway::Session : public http::WebSocketHandler {
public:
    Session(ApiGateway& gateway, Caller caller, std::shared_ptr<http::WebSocketLink> link)
        : gateway_(gateway), caller_(std::move(caller)), link_(std::move(link)),
          logged_in_(caller_.user.has_value() || caller_.local) {
        caller_.link = link_;
        caller_.link_open = open_;
    }

    void on_message(const std::string& text) override {
        auto response = handle_jsonrpc(text, [&](const std::string& method, const Params& p) {
            if (const auto* m = find_method(method); m && m->channel == Channel::websocket) {
                // Checked like any method, then handled here: subscriptions belong to the
                // connection.
                gateway_.check_session(caller_); // a session that has ended subscribes to nothing
                if (!caller_.user && !caller_.local)
                    throw RpcError(rpc_code::kUnauthorized, "log in first: auth.login");
                return method == "subscribe" ? subscribe(p) : unsubscribe();
            }
            return gateway_.call(method, p, caller_);
        });
        logged_in_ = caller_.user.has_value() || caller_.local;
        if (!logged_in_)
            (void)unsubscribe(); // logged out, or the session ended: no more events
        if (!response.empty())
            link_->send(std::move(response));
    }

    void on_close() override {
        *open_ = false;
        (void)unsubscribe();
    }

    bool authenticated() const override { return logged_in_.load(); }

private:
    json::value subscribe(const Params& p) {
        auto topics = p.strings("topics");
        bool all = topics.empty();
        if (all)
            topics = kTopics;
        // The backups are province-wide admins' (backups.list).
        bool admin = caller_.local ||
                     (caller_.user && caller_.user->role == Role::admin && caller_.scope.all);
        std::set<std::string> wanted;
        for (const auto& t : topics) {
            if (std::find(kTopics.begin(), kTopics.end(), t) == kTopics.end()) {
                std::string names;
                for (const auto& known : kTopics)
                    names.append(names.empty() ? "" : ", ").append(known);
                std::string message = "params.topics: \"";
                message.append(t).append("\" is not a topic; expected ").append(names);
                throw RpcError(rpc_code::kInvalidParams, message);
            }
            if (t == "backups" && !admin) {
                if (all)
                    continue;
                throw RpcError(rpc_code::kUnauthorized,
                               "params.topics: \"backups\" is for province-wide admins");
            }
            wanted.insert(t);
        }
        (void)unsubscribe();
        auto scope = caller_.scope;
        std::weak_ptr<http::WebSocketLink> link = link_;
        auto alive = gateway_.session_alive(caller_);
        subscription_ =
            gateway_.notifier_.subscribe([scope, wanted, link, alive](const Notification& n) {
                if (wanted.count(n.topic) == 0 || !visible_to(scope, n))
                    return;
                auto l = link.lock();
                if (!l)
                    return;
                if (alive())
                    return l->send(n.text);
                // The session ended elsewhere (logout, expiry, password, disabled): so does the
                // connection that subscribed with it; the client logs in again.
                l->close();
            });
        json::array out;
        for (const auto& t : wanted)
            out.push_back(json::value(t));
        return json::object{{"topics", std::move(out)}};
    }

    json::value unsubscribe() {
        if (subscription_ != 0)
            gateway_.notifier_.unsubscribe(subscription_);
        subscription_ = 0;
        return json::object{};
    }

    ApiGateway& gateway_;
    Caller caller_;
    std::shared_ptr<http::WebSocketLink> link_;
    std::shared_ptr<std::atomic<bool>> open_ = std::make_shared<std::atomic<bool>>(true);
    std::atomic<bool> logged_in_;
    std::uint64_t subscription_ = 0;
};

ApiGateway::ApiGateway(AuthStore& auth, ScheduleApi& schedule, ReceiverHub& receivers,
                       Notifier& notifier, AlarmBook& alarms, GatewaySettings settings,
                       BackupScheduler* backups)
    : auth_(auth), schedule_(schedule), receivers_(receivers), notifier_(notifier), alarms_(alarms),
      settings_(std::move(settings)), backups_(backups) {}

Caller ApiGateway::anonymous(const http::HttpRequest& request) {
    Caller c;
    c.from = request.peer_address();
    c.host = request.header("host");
    c.tls = request.tls;
    c.confidential = request.confidential();
    return c;
}

std::optional<Caller> ApiGateway::bearer(const http::HttpRequest& request) {
    auto header = request.header("authorization");
    constexpr std::string_view kPrefix = "Bearer ";
    std::string token;
    if (header.rfind(kPrefix, 0) == 0)
        token = header.substr(kPrefix.size());
    else if (auto ticket = request.query("ticket"); ticket && request.method == "GET")
        token = redeem(*ticket, request.path()); // e.g. <audio src>, which sends no headers
    if (token.empty())
        return std::nullopt;
    auto user = auth_.authenticate(token);
    if (!user)
        return std::nullopt;
    Caller c = anonymous(request);
    adopt(c, *user, token);
    return c;
}

void ApiGateway::check_session(Caller& caller) {
    if (!caller.user || caller.token.empty())
        return;
    auto now = std::chrono::steady_clock::now();
    if (caller.checked_generation == auth_.sessions_generation() &&
        now - caller.checked_at < kSessionRecheck)
        return;
    auto generation = auth_.sessions_generation();
    auto user = auth_.authenticate(caller.token);
    if (!user) {
        caller.user.reset();
        caller.token.clear();
        throw RpcError(rpc_code::kUnauthorized,
                       "your session has ended (logged out, expired, password changed or user "
                       "disabled); log in again");
    }
    caller.user = *user;
    // Its role or units may have changed (a merge moves users' units to the successor).
    caller.scope = user->role == Role::admin ? Scope{} : schedule_.scope_of(user->units);
    caller.checked_generation = generation;
    caller.checked_at = now;
}

void ApiGateway::adopt(Caller& caller, const User& user, const std::string& token) {
    caller.user = user;
    caller.token = token;
    caller.checked_generation = auth_.sessions_generation();
    caller.checked_at = std::chrono::steady_clock::now();
    caller.scope = user.role == Role::admin ? Scope{} : schedule_.scope_of(user.units);
}

std::function<bool()> ApiGateway::session_alive(const Caller& caller) {
    if (caller.local)
        return [] { return true; };
    struct Check {
        std::mutex mutex;
        std::string token;
        std::uint64_t generation = 0;
        std::chrono::steady_clock::time_point at;
        bool alive = true;
    };
    auto check = std::make_shared<Check>();
    check->token = caller.user ? caller.token : "";
    check->generation = caller.checked_generation;
    check->at = caller.checked_at;
    check->alive = caller.user.has_value() && !caller.token.empty();
    return [this, check] {
        std::lock_guard lock(check->mutex);
        auto now = std::chrono::steady_clock::now();
        if (!check->alive ||
            (check->generation == auth_.sessions_generation() && now - check->at < kSessionRecheck))
            return check->alive;
        check->generation = auth_.sessions_generation();
        check->at = now;
        check->alive = auth_.authenticate(check->token).ok();
        return check->alive;
    };
}

std::shared_ptr<http::WebSocketHandler>
ApiGateway::connect(Caller caller, std::shared_ptr<http::WebSocketLink> link) {
    return std::make_shared<Session>(*this, std::move(caller), std::move(link));
}

json::value ApiGateway::call(const std::string& method, const Params& params, Caller& caller) {
    ++requests_;
    try {
        return dispatch(method, params, caller);
    } catch (...) {
        ++errors_;
        throw;
    }
}

json::value ApiGateway::dispatch(const std::string& name, const Params& params, Caller& caller) {
    const Method* method = find_method(name);
    if (method == nullptr || method->channel == Channel::websocket)
        throw RpcError(rpc_code::kMethodNotFound,
                       method ? name + " is for operators' WebSocket connections (/api/v1/ws)"
                              : "no method \"" + name + "\"; see docs/api.md");
    authorise(*method, params, caller);
    auto input = media_work(*method, schedule_, params, CallFiles{caller.local, caller.upload});
    MethodCall call{schedule_, this, caller, params, input};
    json::value result;
    if (method->serialised) {
        auto lock = schedule_.lock();
        result = method->handler(call);
    } else {
        result = method->handler(call);
    }
    // A dry run (entries.create/update checking a form) changes nothing: no audit, no event.
    if (params.optional_boolean("dry_run").value_or(false))
        return result;
    if (method->audited)
        audit(caller, name, params, result);
    else if (caller.user && caller.user->role == Role::reporter) // every use of a key
        audit(caller, name, params, json::value("read"));
    if (method->changes_schedule)
        notifier_.publish(
            {"schedule", "schedule.changed", {{"method", name}, {"by", caller.name()}}, {}, {}});
    return result;
}

void ApiGateway::authorise(const Method& method, const Params& params, Caller& caller) {
    auto needed = permission_of(method, params);
    if (needed != Permission::anyone && !caller.local) {
        check_session(caller);
        if (!caller.user)
            throw RpcError(rpc_code::kUnauthorized,
                           "log in first: auth.login {name, password}, or a bearer token");
        if (!may_call(caller.user->role, needed))
            throw RpcError(rpc_code::kUnauthorized,
                           std::string(method.name) + " is for " + needed_role(needed) +
                               "; you are " + (caller.user->role == Role::approver ? "an " : "a ") +
                               to_string(caller.user->role));
    }
    if (method.channel == Channel::confidential && !caller.private_channel())
        throw RpcError(
            rpc_code::kUnauthorized,
            needed == Permission::anyone
                ? "log in over TLS (wss://) or on 127.0.0.1: passwords and tokens do not "
                  "cross the network in clear; the server needs http.tls_certificate "
                  "and http.tls_key"
                : std::string(method.name) +
                      " hands out a secret: only over TLS (wss://) or on 127.0.0.1");
    if (method.channel == Channel::session && caller.token.empty()) // the control socket
        throw RpcError(rpc_code::kInvalidParams,
                       std::string(method.name) +
                           " stands for a logged-in session; this connection has none");
    if (method.units == UnitRule::receiver)
        require_receiver(caller, params.string("id"));
    if (method.units == UnitRule::alarm)
        require_alarm(caller, params.integer("id"));
}

void ApiGateway::require_receiver(const Caller& caller, const std::string& id) {
    auto units = receivers_.units();
    auto it = units.find(id);
    if (it == units.end())
        throw RpcError(rpc_code::kNotFound, "no receiver \"" + id + "\"");
    if (!caller.scope.may_change(it->second))
        throw RpcError(rpc_code::kUnauthorized,
                       "receiver \"" + id + "\" is outside the units you act for");
}

json::value ApiGateway::server_info() const {
    return json::object{{"name", "Loa"},
                        {"version", kServerVersion},
                        {"time_zone", settings_.time_zone},
                        {"province", settings_.province}};
}

json::value ApiGateway::logout(Caller& caller) {
    if (!caller.token.empty())
        value_or_throw(auth_.revoke(caller.token));
    caller.user.reset();
    caller.token.clear();
    return json::object{};
}

json::value ApiGateway::whoami(const Caller& caller) {
    return caller.user ? json::value(user_json(*caller.user))
                       : json::value(json::object{{"name", caller.name()}, {"role", "admin"}});
}

json::value ApiGateway::login(const Params& params, Caller& caller) {
    if (params.has("token")) { // auth.resume: a token from an earlier login
        auto token = params.string("token");
        auto user = auth_.authenticate(token);
        if (!user)
            throw RpcError(rpc_code::kUnauthorized, "the session has ended; log in again");
        adopt(caller, *user, token);
        return json::object{{"user", user_json(*user)}};
    }
    auto name = params.string("name");
    auto token = auth_.login(name, params.string("password"), caller.from, settings_.session_ttl);
    if (!token) {
        log()->info("login refused for {} from {}", common::loggable(name), caller.from);
        throw RpcError(rpc_code::kUnauthorized, token.error().message);
    }
    auto user = value_or_throw(auth_.authenticate(*token));
    adopt(caller, user, *token);
    (void)auth_.record({0, {}, user.name, caller.from, "auth.login", "logged in"});
    auto expires = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch() + settings_.session_ttl)
                       .count();
    return json::object{{"token", *token},
                        {"expires_at", expires}, // ms since 1970
                        {"expires_in_s", settings_.session_ttl.count()},
                        {"user", user_json(user)}};
}

json::object ApiGateway::user_json(const User& user) {
    json::array units;
    for (const auto& code : schedule_.unit_codes(user.units))
        units.push_back(json::value(code));
    return json::object{{"name", user.name},
                        {"role", to_string(user.role)},
                        {"units", std::move(units)},
                        {"disabled", user.disabled}};
}

json::value ApiGateway::ticket(const Params& params, const Caller& caller) {
    auto path = params.string("path");
    if (path.rfind("/api/v1/", 0) != 0 || path.find_first_of("?# ") != std::string::npos)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.path: a GET path of the REST API, such as "
                       "/api/v1/channels/70-001/listen.ogg (without a query)");
    auto ticket = common::random_token();
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(tickets_mutex_);
    std::erase_if(tickets_, [&](const auto& t) { return t.second.expires <= now; });
    if (tickets_.size() >= kMaxTickets)
        throw RpcError(rpc_code::kConflict, "too many tickets in use; try again in a minute");
    tickets_[common::sha256_hex(ticket)] = {caller.token, path, now + kTicketLifetime};
    return json::object{{"ticket", ticket}, {"expires_in_s", kTicketLifetime.count()}};
}

std::string ApiGateway::redeem(const std::string& ticket, const std::string& path) {
    std::lock_guard lock(tickets_mutex_);
    auto it = tickets_.find(common::sha256_hex(ticket));
    if (it == tickets_.end() || it->second.path != path ||
        it->second.expires <= std::chrono::steady_clock::now())
        return "";
    return it->second.token;
}

std::vector<std::uint8_t> ApiGateway::receiver_key(const std::string& id) {
    auto record = receivers_.record(id);
    return record ? record->key : std::vector<std::uint8_t>{};
}

void ApiGateway::audit(const Caller& caller, const std::string& method, const Params& params,
                       const json::value& result) {
    AuditRecord r;
    r.who = caller.name();
    r.from = caller.from;
    r.what = method;
    r.summary = audit_summary(params.object(), result);
    if (auto recorded = auth_.record(r); !recorded)
        log()->error("cannot write the audit log: {}", recorded.error().message);
}

} // namespace loa::server
