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

} // namespace

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
        note_cluster(r, codes.front());
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
    try {
        schedule_.put_cluster({id, unit_ids.front(), name});
    } catch (...) {
        (void)registry_.unprovision(id); // all or nothing: the same id may be provisioned again
        throw;
    }
    if (auto added = media_.add_receiver(id, unit, made->record.key); !added) {
        (void)registry_.unprovision(id);
        return added.error();
    }
    {
        std::lock_guard lock(mutex_);
        unit_of_[id] = unit_ids.front();
        note_cluster(made->record, unit);
    }
    log()->info("receiver {} provisioned for {} by {}", id, unit, who);
    return made;
}

common::Result<void> ReceiverHub::unprovision(const std::string& id) {
    if (auto dropped = drop(id, true, "receiver.unprovisioned"); !dropped)
        return dropped;
    log()->info("receiver {} unprovisioned", id);
    return {};
}

common::Result<void> ReceiverHub::drop(const std::string& id, bool tell, const char* event,
                                       json::object params) {
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
        clusters_.erase(id);
        emergency_set_.erase(id);
    }
    if (link) {
        if (tell)
            link->send(json::serialize(jsonrpc::notification("unprovision", {})));
        link->close();
    }
    publish(event, id, unit, std::move(params));
    return {};
}

std::map<std::string, ReceiverHub::HandOver>
ReceiverHub::hand_over(const std::vector<std::string>& ids, const std::string& server,
                       const std::string& ca, std::chrono::milliseconds timeout) {
    std::map<std::string, HandOver> out;
    std::map<std::string, std::pair<std::int64_t, std::future<bool>>> asked;
    // All asked at once (each once): each receiver tries the new server on its own.
    for (const auto& id : std::set<std::string>(ids.begin(), ids.end())) {
        std::future<bool> answer;
        auto request = send_request(id, "move", {{"server", server}, {"ca", ca}}, &answer);
        if (request == 0)
            out[id] = HandOver::offline;
        else
            asked.emplace(id, std::pair{request, std::move(answer)});
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& [id, request] : asked) {
        bool answered = request.second.wait_until(deadline) == std::future_status::ready;
        bool came_back = false;
        {
            std::lock_guard lock(mutex_);
            // A receiver told to move to this same server says hello here again, on another
            // connection: it has not gone anywhere, and must not be forgotten.
            auto sent = pending_.find(request.first);
            auto live = live_.find(id);
            came_back = sent != pending_.end() && live != live_.end() &&
                        live->second.connection != sent->second.connection;
            pending_.erase(request.first); // a late answer finds nothing
        }
        bool moved = answered && !came_back && request.second.get();
        out[id] = !answered ? HandOver::silent : moved ? HandOver::moved : HandOver::stayed;
    }
    for (const auto& [id, how] : out) {
        if (how != HandOver::moved)
            continue;
        // Its secret opens nothing here any more: it belongs to the other server now.
        if (auto dropped = drop(id, false, "receiver.moved", {{"server", server}}); !dropped)
            log()->error("receiver {} moved to {} but stays listed here: {}", id, server,
                         dropped.error().message);
        else
            log()->info("receiver {} moved to {}", id, server);
    }
    return out;
}

void ReceiverHub::move(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
        auto record = registry_.find(id);
        if (!record) {
            log()->warn("receiver {} to move: {}", id, record.error().message);
            continue;
        }
        auto codes = schedule_.unit_codes({record->unit});
        if (codes.empty()) {
            log()->warn("receiver {}: its unit #{} no longer exists; not moved", id, record->unit);
            continue;
        }
        std::string was;
        {
            std::lock_guard lock(mutex_);
            if (auto it = clusters_.find(id); it != clusters_.end())
                was = it->second.unit_code;
        }
        (void)media_.remove_receiver(id);
        if (auto added = media_.add_receiver(id, codes.front(), record->key); !added) {
            log()->error("receiver {} cannot join channel {}: {}; it stays on {}", id,
                         codes.front(), added.error().message, was);
            if (!was.empty())
                (void)media_.add_receiver(id, was, record->key);
            continue;
        }
        std::shared_ptr<http::WebSocketLink> link;
        {
            std::lock_guard lock(mutex_);
            unit_of_[id] = record->unit;
            note_cluster(*record, codes.front());
            if (auto it = live_.find(id); it != live_.end())
                link = it->second.link;
        }
        // Its next hello tells it its new unit and where its packets come from.
        if (link)
            link->close();
        log()->info("receiver {} moved to unit {}", id, codes.front());
    }
}

common::Result<ReceiverRecord> ReceiverHub::set_output(const std::string& id,
                                                       std::optional<double> volume,
                                                       std::optional<bool> muted) {
    auto record = registry_.set_output(id, volume, muted);
    if (!record)
        return record;
    {
        std::lock_guard lock(mutex_);
        auto& cluster = clusters_[id];
        cluster.volume = record->volume;
        cluster.muted = record->muted;
        // During its emergency the operator is obeyed at once, in what was asked only: a
        // volume alone keeps the emergency's unmute.
        auto now = output_of(id);
        if (now.emergency || emergency_set_.count(id) != 0)
            emergency_set_[id] = {volume.value_or(now.volume), muted.value_or(now.muted), false};
    }
    push_output(id);
    return record;
}

void ReceiverHub::note_cluster(const ReceiverRecord& record, const std::string& unit_code) {
    clusters_[record.id] = {unit_code, record.volume, record.muted};
}

ReceiverHub::Output ReceiverHub::output_of(const std::string& id) const {
    auto it = clusters_.find(id);
    if (it == clusters_.end())
        return {};
    const auto& c = it->second;
    if (emergency_channels_.count("@" + id) == 0 && emergency_channels_.count(c.unit_code) == 0)
        return {c.volume, c.muted, false};
    if (auto set = emergency_set_.find(id); set != emergency_set_.end())
        return set->second;
    auto volume = settings_.emergency_volume.find(c.unit_code);
    return {volume != settings_.emergency_volume.end() ? volume->second : 1.0, false, true};
}

void ReceiverHub::push_output(const std::string& id) {
    std::lock_guard push(push_mutex_);
    Output output;
    {
        std::lock_guard lock(mutex_);
        output = output_of(id);
    }
    // Not waited for: a receiver that is offline gets it at its next hello.
    (void)tell(id, "set_volume", {{"volume", output.volume}, {"muted", output.muted}});
}

std::vector<PlayedClusters> ReceiverHub::played(const std::vector<PlayedQuery>& queries) {
    std::vector<PlayedClusters> out(queries.size());
    std::lock_guard lock(mutex_);
    // The clusters of each unit's channel, once.
    std::map<std::string, std::vector<const std::string*>> by_unit;
    for (const auto& [id, cluster] : clusters_)
        by_unit[cluster.unit_code].push_back(&id);
    auto played = [&](const std::string& id, const PlayedQuery& q) -> std::optional<std::int64_t> {
        auto it = live_.find(id);
        if (it == live_.end())
            return std::nullopt;
        return it->second.sound.first(q.from_s, q.to_s);
    };
    for (std::size_t i = 0; i < queries.size(); ++i) {
        const auto& q = queries[i];
        if (q.channel.rfind('@', 0) == 0) {
            if (auto first = played(q.channel.substr(1), q))
                out[i][q.channel.substr(1)] = *first;
            continue;
        }
        if (auto unit = by_unit.find(q.channel); unit != by_unit.end())
            for (const auto* id : unit->second)
                if (auto first = played(*id, q))
                    out[i][*id] = *first;
    }
    return out;
}

void ReceiverHub::set_emergency(const std::string& channel, const std::string& airing) {
    std::lock_guard push(push_mutex_);
    std::vector<std::pair<std::string, Output>> outputs;
    {
        std::lock_guard lock(mutex_);
        auto it = emergency_channels_.find(channel);
        if ((it == emergency_channels_.end() ? std::string() : it->second) == airing)
            return;
        if (airing.empty())
            emergency_channels_.erase(channel);
        else
            emergency_channels_[channel] = airing;
        for (const auto& [id, cluster] : clusters_)
            if (cluster.unit_code == channel || channel == "@" + id) {
                emergency_set_.erase(id); // a new emergency, or one over: the override again
                outputs.emplace_back(id, output_of(id));
            }
    }
    for (const auto& [id, output] : outputs)
        (void)tell(id, "set_volume", {{"volume", output.volume}, {"muted", output.muted}});
    log()->info("emergency {} on {}: {} cluster(s) {}", airing.empty() ? "over" : airing, channel,
                outputs.size(),
                airing.empty() ? "back to their own volume" : "at their unit's emergency volume");
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
        auto output = output_of(r.id);
        v.emergency = output.emergency;
        if (output.emergency)
            v.emergency_volume = output.volume;
        v.provisioned_at_ms = r.provisioned_at_ms;
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
