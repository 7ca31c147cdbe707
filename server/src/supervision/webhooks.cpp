#include "loa/server/supervision/webhooks.hpp"

#include <algorithm>

#include "loa/common/logging.hpp"
#include "loa/common/persistent_counter.hpp"
#include "loa/http/client.hpp"
#include "loa/server/schedule/relay_url.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

auto log() {
    static auto logger = common::logger("webhooks");
    return logger;
}

const std::vector<common::Migration> kMigrations = {
    {1, "CREATE TABLE webhook_delivery (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "url TEXT NOT NULL, payload TEXT NOT NULL, created_ms INTEGER NOT NULL, "
        "attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL, last_error TEXT);"
        "CREATE INDEX webhook_delivery_url ON webhook_delivery (url, id);"},
};

constexpr const char* kEvents[] = {"alarm.raised", "alarm.cleared", "alarm.acknowledged"};

/// The request for one delivery; `url` was checked when the settings were read.
http::OutboundRequest request_of(const WebhookSettings& w, const std::string& token,
                                 std::string body) {
    auto url = parse_relay_url(w.url);
    http::OutboundRequest r;
    r.tls = url->scheme == "https";
    r.host = url->host;
    r.port = url->port != 0 ? url->port : (r.tls ? 443 : 80);
    r.target = url->rest.empty() || url->rest[0] != '/' ? "/" + url->rest : url->rest;
    r.body = std::move(body);
    r.ca_file = w.ca_file;
    if (!token.empty())
        r.headers.emplace_back("Authorization", "Bearer " + token);
    return r;
}

} // namespace

Webhooks::Webhooks(const std::string& database, const std::vector<WebhookSettings>& webhooks,
                   std::string server, Backoff backoff)
    : server_(std::move(server)), backoff_(backoff), db_(database) {
    db_.migrate("webhooks", kMigrations);
    for (const auto& w : webhooks) {
        Target t{w, parse_severity(w.min_severity).value_or(Severity::major), {}};
        if (!w.token_file.empty()) {
            auto text = common::read_file(w.token_file);
            if (!text)
                throw std::runtime_error("supervision.webhooks: cannot read token_file \"" +
                                         w.token_file + "\"");
            t.token = text->substr(0, text->find_first_of("\r\n"));
        }
        targets_.push_back(std::move(t));
    }
    // What was kept for webhooks the configuration no longer has cannot be delivered.
    std::string known = "(";
    for (std::size_t i = 0; i < targets_.size(); ++i)
        known += (i ? ", ?" : "?");
    auto drop = db_.prepare("DELETE FROM webhook_delivery WHERE url NOT IN " + known + ")");
    for (std::size_t i = 0; i < targets_.size(); ++i)
        drop.bind(static_cast<int>(i + 1), targets_[i].settings.url);
    if (auto done = drop.run(); !done)
        throw std::runtime_error("webhooks: " + done.error().message);
    if (int dropped = db_.changes(); dropped > 0)
        log()->warn("dropped {} undelivered alarm(s) of webhooks no longer configured", dropped);
}

Webhooks::~Webhooks() {
    stop();
}

common::Result<void> Webhooks::stage(common::Database& db, const Alarm& alarm, AlarmEvent event,
                                     const std::string& unit_code) {
    json::object payload{{"source", "loa"},
                         {"server", server_},
                         {"event", kEvents[static_cast<int>(event)]},
                         {"alarm", alarm_json(alarm, unit_code)}};
    auto text = json::serialize(payload);
    auto now = wall_ms();
    for (const auto& t : targets_) {
        if (alarm.fault.severity > t.min)
            continue;
        auto insert = db.prepare("INSERT INTO webhook_delivery (url, payload, created_ms, "
                                 "next_ms) VALUES (?, ?, ?, ?)");
        insert.bind(1, t.settings.url).bind(2, text).bind(3, now).bind(4, now);
        if (auto done = insert.run(); !done)
            return done;
    }
    return {};
}

void Webhooks::wake() {
    loop_.wake();
}

void Webhooks::enqueue(const Alarm& alarm, AlarmEvent event, const std::string& unit_code) {
    {
        std::lock_guard lock(db_mutex_);
        if (auto done = stage(db_, alarm, event, unit_code); !done)
            log()->error("alarm #{}: not kept for the webhooks: {}", alarm.id,
                         done.error().message);
    }
    wake();
}

void Webhooks::start() {
    if (targets_.empty())
        return;
    loop_.start(targets_.size(), [this](std::size_t t, std::int64_t& due) {
        return deliver_one(targets_[t], wall_ms(), due);
    });
}

void Webhooks::stop() {
    loop_.stop();
}

std::int64_t Webhooks::pending() {
    std::lock_guard lock(db_mutex_);
    auto count = db_.prepare("SELECT COUNT(*) FROM webhook_delivery");
    auto row = count.step();
    return row && *row ? count.integer(0) : 0;
}

bool Webhooks::deliver_one(const Target& target, std::int64_t now, std::int64_t& next_due_ms) {
    OutboxStore store{db_, db_mutex_, {"webhook_delivery", false, ""}, backoff_, log()};
    return attempt_oldest(store, target.settings.url, redact_url(target.settings.url), now,
                          next_due_ms, [&](const KeptDelivery& d) {
                              return http::send(request_of(target.settings, target.token, d.body));
                          });
}

} // namespace loa::server
