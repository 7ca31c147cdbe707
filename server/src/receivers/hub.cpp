#include "loa/server/receivers/hub.hpp"

#include <algorithm>
#include <array>

#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"
#include "loa/server/api/rpc.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

auto log() {
    static auto logger = common::logger("receivers");
    return logger;
}

/// What a status report may hold (docs/protocol.md); anything else is dropped.
constexpr std::array<std::string_view, 10> kStatusFields = {
    "volume", "muted",     "receiving", "received", "lost",
    "late",   "concealed", "jitter_ms", "uptime_s", "version"};
/// Longest text kept from a status report.
constexpr std::size_t kStatusText = 64;
/// receiver.status goes out at most this often per receiver; every report is still stored.
constexpr std::chrono::seconds kStatusPublishInterval{1};

/// The host part of a Host header: "a.b:8080" -> "a.b", "[::1]:80" -> "::1".
std::string host_of(const std::string& header) {
    if (!header.empty() && header.front() == '[')
        return header.substr(1, header.find(']') - 1);
    return header.substr(0, header.find(':'));
}

} // namespace

/// One receiver's connection: hello first, then status notifications and answers to the
/// server's requests.
class ReceiverHub::Connection : public http::WebSocketHandler {
public:
    Connection(ReceiverHub& hub, http::HttpRequest upgrade,
               std::shared_ptr<http::WebSocketLink> link, std::uint64_t number)
        : hub_(hub), upgrade_(std::move(upgrade)), link_(std::move(link)), number_(number) {}

    void on_message(const std::string& text) override {
        // A response to one of the server's requests (rekey, volume): note it, answer nothing.
        json::error_code ec;
        auto parsed = json::parse(text, ec);
        if (!ec && parsed.is_object()) {
            const auto& o = parsed.as_object();
            const auto& id = o.contains("id") ? o.at("id") : nullptr;
            if (jsonrpc::kind_of(o) == jsonrpc::Kind::response && id.is_int64()) {
                hub_.on_reply(number_, id.as_int64(), o.contains("result"));
                return;
            }
        }
        bool refused = false;
        auto response = handle_jsonrpc(text, [&](const std::string& method, const Params& p) {
            if (method == "hello") {
                try {
                    return hub_.hello(upgrade_, number_, link_, p.object(), id_, owed_);
                } catch (const RpcError&) {
                    refused = true;
                    throw;
                }
            }
            if (id_.empty())
                throw RpcError(rpc_code::kUnauthorized, "say hello first: hello {id, secret}");
            if (method == "status") {
                hub_.on_status(id_, p.object());
                return json::value(json::object{});
            }
            throw RpcError(rpc_code::kMethodNotFound,
                           "no method \"" + method + "\" for receivers; see docs/protocol.md");
        });
        said_hello_ = !id_.empty();
        if (!response.empty())
            link_->send(std::move(response));
        if (refused)
            link_->close();
        if (owed_) {
            owed_ = false;
            hub_.hello_answered(id_);
        }
    }

    bool authenticated() const override { return said_hello_.load(); }

    void on_close() override {
        if (!id_.empty())
            hub_.on_close(id_, number_);
    }

private:
    ReceiverHub& hub_;
    http::HttpRequest upgrade_;
    std::shared_ptr<http::WebSocketLink> link_;
    std::uint64_t number_;
    std::string id_;    ///< set by a successful hello
    bool owed_ = false; ///< the hello found a rekey owed
    std::atomic<bool> said_hello_{false};
};

ReceiverHub::ReceiverHub(ReceiverRegistry& registry, MediaServer& media, ScheduleApi& schedule,
                         Notifier& notifier, const common::Clock& clock, HubSettings settings)
    : registry_(registry), media_(media), schedule_(schedule), notifier_(notifier), clock_(clock),
      settings_(std::move(settings)) {}

ReceiverHub::~ReceiverHub() {
    stop();
}

void ReceiverHub::start() {
    auto records = registry_.all();
    if (!records)
        throw std::runtime_error("cannot read the receivers: " + records.error().message);
    for (const auto& r : *records) {
        auto codes = schedule_.unit_codes({r.unit});
        if (codes.empty()) {
            log()->warn("receiver {}: its unit #{} no longer exists; not started", r.id, r.unit);
            continue;
        }
        if (auto added = media_.add_receiver(r.id, codes.front(), r.key); !added) {
            log()->warn("receiver {}: {}", r.id, added.error().message);
            continue;
        }
        std::lock_guard lock(mutex_);
        unit_of_[r.id] = r.unit;
    }
    log()->info("{} provisioned receiver(s)", unit_of_.size());
    sweeper_ = std::thread([this] { sweep(); });
}

void ReceiverHub::stop() {
    {
        std::lock_guard lock(sweep_mutex_);
        stopping_ = true;
    }
    sweep_wake_.notify_all();
    if (sweeper_.joinable())
        sweeper_.join();
}

std::int64_t ReceiverHub::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               clock_.system_now().time_since_epoch())
        .count();
}

std::shared_ptr<http::WebSocketHandler>
ReceiverHub::connect(const http::HttpRequest& upgrade, std::shared_ptr<http::WebSocketLink> link) {
    std::uint64_t number = 0;
    {
        std::lock_guard lock(mutex_);
        number = next_connection_++;
    }
    return std::make_shared<Connection>(*this, upgrade, std::move(link), number);
}

json::value ReceiverHub::hello(const http::HttpRequest& upgrade, std::uint64_t connection,
                               const std::shared_ptr<http::WebSocketLink>& link,
                               const json::object& params, std::string& id, bool& owed) {
    Params p(params);
    auto claimed = p.string("id");
    auto record = registry_.check_secret(claimed, p.string("secret"));
    if (!record) {
        log()->warn("refused a hello for {} from {}: {}", common::loggable(claimed), upgrade.peer,
                    record.error().message);
        throw RpcError(rpc_code::kUnauthorized, record.error().message);
    }
    if (!upgrade.confidential()) {
        log()->warn("refused a hello for {} from {}: keys are only sent over TLS or on "
                    "127.0.0.1 (set http.tls_certificate and http.tls_key)",
                    common::loggable(claimed), upgrade.peer);
        throw RpcError(rpc_code::kUnauthorized,
                       "keys are only sent over TLS (wss://) or on 127.0.0.1; configure "
                       "http.tls_certificate and http.tls_key on the server");
    }
    auto codes = schedule_.unit_codes({record->unit});
    if (codes.empty())
        throw RpcError(rpc_code::kNotFound, "the receiver's unit no longer exists");
    std::shared_ptr<http::WebSocketLink> replaced;
    bool was_online = false;
    {
        std::lock_guard lock(mutex_);
        auto& live = live_[record->id];
        if (live.link && live.connection != connection)
            replaced = live.link; // the same box again (a restart): the newer connection wins
        was_online = live.online;
        live.link = link;
        live.connection = connection;
        live.online = true;
        live.lost_at.reset();
        live.last_seen_ms = now_ms();
        live.address = upgrade.peer_address();
        if (auto v = p.optional_string("version"))
            live.status["version"] = *v;
    }
    if (replaced)
        replaced->close();
    id = record->id;
    owed = record->rotation_owed;
    log()->info("receiver {} connected from {}", id, upgrade.peer);
    if (!was_online)
        publish("receiver.online", id, record->unit, {{"address", upgrade.peer_address()}});
    const auto& settings = media_.settings();
    json::object media{{"host", settings_.media_host.empty() ? host_of(upgrade.header("host"))
                                                             : settings_.media_host},
                       {"port", media_.media_port()}};
    json::object out{{"id", id},
                     {"unit", codes.front()},
                     {"channel", codes.front()},
                     {"media", std::move(media)},
                     {"ssrc", media_.receiver_ssrc(id)},
                     {"epoch", media_.epoch()},
                     {"profile", pipeline::to_string(settings.profile)},
                     {"key", common::to_base64(record->key)},
                     {"volume", record->volume},
                     {"muted", record->muted},
                     {"status_interval_s", settings_.status_interval_s}};
    if (settings.key_mode == KeyMode::group)
        if (auto group = media_.group_key(codes.front()))
            out["group"] =
                json::object{{"channel", codes.front()}, {"key", common::to_base64(*group)}};
    return out;
}

void ReceiverHub::on_status(const std::string& id, const json::object& params) {
    // Only the fields of docs/protocol.md, strings cut short: a report is stored and pushed to
    // operators, whatever a receiver sends.
    json::object status;
    for (const auto& [key, value] : params) {
        bool known =
            std::find(kStatusFields.begin(), kStatusFields.end(), key) != kStatusFields.end();
        if (!known)
            continue;
        if (value.is_string())
            status[key] = value.as_string().subview(
                0, std::min<std::size_t>(value.as_string().size(), kStatusText));
        else if (value.is_number() || value.is_bool())
            status[key] = value;
    }
    std::int64_t unit = 0;
    bool publish_now = false;
    {
        std::lock_guard lock(mutex_);
        auto& live = live_[id];
        for (const auto& [key, value] : status)
            live.status[key] = value;
        live.last_seen_ms = now_ms();
        unit = unit_of_.count(id) != 0 ? unit_of_[id] : 0;
        auto now = clock_.steady_now();
        publish_now =
            !live.status_published || now - *live.status_published >= kStatusPublishInterval;
        if (publish_now)
            live.status_published = now;
    }
    if (publish_now)
        publish("receiver.status", id, unit, std::move(status));
}

void ReceiverHub::on_reply(std::uint64_t connection, std::int64_t request, bool ok) {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(request);
    if (it == pending_.end() || it->second.connection != connection)
        return; // not asked of this connection: nobody answers for another receiver
    it->second.answer.set_value(ok);
    pending_.erase(it);
}

void ReceiverHub::on_close(const std::string& id, std::uint64_t connection) {
    std::lock_guard lock(mutex_);
    auto it = live_.find(id);
    if (it == live_.end() || it->second.connection != connection)
        return; // replaced by a newer connection
    it->second.link.reset();
    it->second.lost_at = clock_.steady_now();
    log()->info("receiver {} disconnected", id);
    sweep_wake_.notify_all();
}

void ReceiverHub::hello_answered(const std::string& id) {
    {
        std::lock_guard lock(mutex_);
        owed_.push_back(id);
    }
    sweep_wake_.notify_all();
}

void ReceiverHub::sweep() {
    std::unique_lock lock(sweep_mutex_);
    while (!stopping_) {
        sweep_wake_.wait_for(lock, std::chrono::milliseconds(500));
        std::vector<std::pair<std::string, std::int64_t>> gone;
        std::vector<std::string> owed;
        {
            std::lock_guard live_lock(mutex_);
            owed.swap(owed_);
            auto now = clock_.steady_now();
            for (auto& [id, live] : live_)
                if (live.online && live.lost_at && *live.lost_at + settings_.offline_grace <= now) {
                    live.online = false;
                    gone.emplace_back(id, unit_of_.count(id) != 0 ? unit_of_[id] : 0);
                }
        }
        for (const auto& [id, unit] : gone) {
            log()->info("receiver {} is offline", id);
            publish("receiver.offline", id, unit);
        }
        // A rekey waits for the receiver's answer: stop() is not held up meanwhile.
        lock.unlock();
        for (const auto& id : owed) {
            auto done = rekey(id);
            if (!done)
                log()->warn("receiver {}: the rekey it was owed failed: {}", id,
                            done.error().message);
        }
        lock.lock();
    }
}

void ReceiverHub::publish(const char* method, const std::string& id, std::int64_t unit,
                          json::object params) {
    params["id"] = id;
    notifier_.publish({"receivers", method, std::move(params), {unit}, {}});
}

std::int64_t ReceiverHub::send_request(const std::string& id, const std::string& method,
                                       json::object params, std::future<bool>* answer) {
    std::shared_ptr<http::WebSocketLink> link;
    std::int64_t request = 0;
    {
        std::lock_guard lock(mutex_);
        auto it = live_.find(id);
        if (it == live_.end() || !it->second.link)
            return 0;
        link = it->second.link;
        request = next_request_++;
        if (answer) {
            auto& pending = pending_[request];
            pending.connection = it->second.connection;
            *answer = pending.answer.get_future();
        }
    }
    link->send(json::serialize(jsonrpc::request(request, method, std::move(params))));
    return request;
}

bool ReceiverHub::tell(const std::string& id, const std::string& method, json::object params) {
    return send_request(id, method, std::move(params), nullptr) != 0;
}

ReceiverHub::Answer ReceiverHub::ask(const std::string& id, const std::string& method,
                                     json::object params, std::chrono::milliseconds timeout) {
    std::future<bool> answer;
    auto request = send_request(id, method, std::move(params), &answer);
    if (request == 0)
        return Answer::offline;
    bool answered = answer.wait_for(timeout) == std::future_status::ready;
    {
        std::lock_guard lock(mutex_);
        pending_.erase(request); // a late answer finds nothing
    }
    if (!answered)
        return Answer::silent;
    return answer.get() ? Answer::result : Answer::error;
}

common::Result<Provisioned> ReceiverHub::provision(const std::string& id, const std::string& unit,
                                                   const std::string& name,
                                                   const std::string& who) {
    auto unit_ids = schedule_.unit_ids({unit});
    auto made = registry_.provision(id, unit_ids.front(), name, who);
    if (!made)
        return made;
    schedule_.put_cluster({id, unit_ids.front(), name});
    if (auto added = media_.add_receiver(id, unit, made->record.key); !added) {
        (void)registry_.unprovision(id);
        return added.error();
    }
    {
        std::lock_guard lock(mutex_);
        unit_of_[id] = unit_ids.front();
    }
    log()->info("receiver {} provisioned for {} by {}", id, unit, who);
    return made;
}

common::Result<void> ReceiverHub::unprovision(const std::string& id) {
    if (auto removed = registry_.unprovision(id); !removed)
        return removed;
    (void)media_.remove_receiver(id);
    std::shared_ptr<http::WebSocketLink> link;
    std::int64_t unit = 0;
    {
        std::lock_guard lock(mutex_);
        if (auto it = live_.find(id); it != live_.end()) {
            link = it->second.link;
            live_.erase(it);
        }
        unit = unit_of_[id];
        unit_of_.erase(id);
    }
    if (link) {
        link->send(json::serialize(jsonrpc::notification("unprovision", {})));
        link->close();
    }
    publish("receiver.unprovisioned", id, unit);
    log()->info("receiver {} unprovisioned", id);
    return {};
}

common::Result<ReceiverRecord> ReceiverHub::set_output(const std::string& id,
                                                       std::optional<double> volume,
                                                       std::optional<bool> muted) {
    auto record = registry_.set_output(id, volume, muted);
    if (!record)
        return record;
    // Not waited for: a receiver that is offline gets it at its next hello.
    (void)tell(id, "set_volume", {{"volume", record->volume}, {"muted", record->muted}});
    return record;
}

common::Result<bool> ReceiverHub::rekey(const std::string& id) {
    auto record = registry_.find(id);
    if (!record)
        return record.error();
    auto key = registry_.new_key();
    auto secret = common::random_token(32);
    // Offered before it is sent: a receiver that saves it and then loses its connection before
    // the answer arrives still gets in with it.
    if (auto offered = registry_.offer_secret(id, secret); !offered)
        return offered.error();
    auto answer =
        ask(id, "rekey", {{"key", common::to_base64(key)}, {"secret", secret}},
            std::chrono::duration_cast<std::chrono::milliseconds>(settings_.rekey_timeout));
    switch (answer) {
    case Answer::error:
        (void)registry_.withdraw_secret(id);
        return common::make_error(common::Errc::io_error,
                                  "receiver " + id +
                                      " refused the new key; its key and secret stay");
    case Answer::silent:
        return common::make_error(common::Errc::io_error,
                                  "receiver " + id +
                                      " did not answer the rekey in time; its key stays, and its "
                                      "next hello tells whether it kept the new secret");
    case Answer::offline: {
        if (auto stored = registry_.set_key_owing_rotation(id, key); !stored)
            return stored.error();
        if (auto switched = media_.rekey_receiver(id, key); !switched)
            return switched.error();
        log()->info("receiver {} rekeyed while offline: the new key waits for its hello, and its "
                    "secret is rotated right after",
                    id);
        return false;
    }
    case Answer::result:
        break;
    }
    if (auto stored = registry_.complete_rekey(id, key); !stored)
        return stored.error();
    if (auto switched = media_.rekey_receiver(id, key); !switched)
        return switched.error();
    log()->info("receiver {} rekeyed: new key and device secret", id);
    return true;
}

std::map<std::string, std::int64_t> ReceiverHub::units() {
    std::lock_guard lock(mutex_);
    return unit_of_;
}

std::size_t ReceiverHub::online_count() {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [id, live] : live_)
        n += live.online ? 1 : 0;
    return n;
}

std::vector<ReceiverView> ReceiverHub::list(const Scope& scope) {
    auto records = registry_.all();
    if (!records)
        throw_rpc(records.error());
    std::map<std::string, ReceiverStatus> links;
    for (auto& s : media_.receiver_status())
        links[s.id] = s;
    std::map<std::int64_t, std::string> codes;
    for (const auto& r : *records)
        if (scope.may_change(r.unit) && !codes.contains(r.unit)) {
            auto c = schedule_.unit_codes({r.unit});
            codes[r.unit] = c.empty() ? "" : c.front();
        }
    std::vector<ReceiverView> out;
    std::lock_guard lock(mutex_);
    for (const auto& r : *records) {
        if (!scope.may_change(r.unit))
            continue;
        ReceiverView v;
        v.id = r.id;
        v.unit = codes[r.unit];
        v.name = r.name;
        v.volume = r.volume;
        v.muted = r.muted;
        if (auto it = live_.find(r.id); it != live_.end()) {
            v.online = it->second.online;
            v.seen = true;
            v.last_seen_ms = it->second.last_seen_ms;
            v.address = it->second.address;
            v.status = it->second.status;
        }
        if (auto it = links.find(r.id); it != links.end())
            v.link = it->second;
        out.push_back(std::move(v));
    }
    return out;
}

} // namespace loa::server
