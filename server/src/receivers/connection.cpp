// The receivers' side of the control channel: each connection's hello, its status reports
// and its answers to the server's requests (docs/protocol.md).
#include <algorithm>
#include <array>

#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"
#include "loa/server/api/rpc.hpp"
#include "loa/server/receivers/hub.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

auto log() {
    static auto logger = common::logger("receivers");
    return logger;
}

/// What a status report may hold (docs/protocol.md); anything else is dropped.
constexpr std::array<std::string_view, 14> kStatusFields = {
    "volume",    "muted",    "receiving", "received",  "lost",     "late",       "concealed",
    "jitter_ms", "uptime_s", "version",   "played_ms", "sound_ms", "level_dbfs", "sound_seconds"};
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
    return hello_answer(*record, codes.front(), upgrade);
}

json::object ReceiverHub::hello_answer(const ReceiverRecord& record, const std::string& unit,
                                       const http::HttpRequest& upgrade) {
    const auto& settings = media_.settings();
    Output output{record.volume, record.muted, false};
    {
        std::lock_guard lock(mutex_);
        if (clusters_.count(record.id) != 0)
            output = output_of(record.id);
    }
    json::object media{{"host", settings_.media_host.empty() ? host_of(upgrade.header("host"))
                                                             : settings_.media_host},
                       {"port", media_.media_port()}};
    json::object out{{"id", record.id},
                     {"unit", unit},
                     {"channel", unit},
                     {"media", std::move(media)},
                     {"ssrc", media_.receiver_ssrc(record.id)},
                     {"epoch", media_.epoch()},
                     {"profile", pipeline::to_string(settings.profile)},
                     {"key", common::to_base64(record.key)},
                     {"volume", output.volume},
                     {"muted", output.muted},
                     {"status_interval_s", settings_.status_interval_s}};
    if (settings.key_mode == KeyMode::group)
        if (auto group = media_.group_key(unit))
            out["group"] = json::object{{"channel", unit}, {"key", common::to_base64(*group)}};
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
        if (const auto* seconds = status.if_contains("sound_seconds"))
            if (seconds->is_uint64() || (seconds->is_int64() && seconds->get_int64() >= 0))
                live.sound.merge(seconds->to_number<std::uint64_t>(),
                                 pipeline::LevelMeter::kSoundSeconds, live.last_seen_ms / 1000);
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

} // namespace loa::server
