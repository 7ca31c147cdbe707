#include "loa/server/reports/indicator_push.hpp"

#include <algorithm>

#include "loa/common/logging.hpp"
#include "loa/common/persistent_counter.hpp"
#include "loa/common/secret.hpp"
#include "loa/http/client.hpp"
#include "loa/server/schedule/relay_url.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

auto log() {
    static auto logger = common::logger("push");
    return logger;
}

// Delivered rows are kept (delivery state, the receiving side's questions) for 400 days.
const std::vector<common::Migration> kMigrations = {
    {1, "CREATE TABLE indicator_delivery (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "url TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL, "
        "created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
        "next_ms INTEGER NOT NULL, last_error TEXT, delivered_ms INTEGER);"
        "CREATE INDEX indicator_delivery_due ON indicator_delivery (url, id) "
        "WHERE delivered_ms IS NULL;"},
};

constexpr std::int64_t kKeepDeliveredMs = 400LL * 24 * 3600 * 1000;

http::OutboundRequest request_of(const IndicatorPushSettings& target, std::string body) {
    auto url = parse_relay_url(target.url);
    http::OutboundRequest r;
    r.tls = url->scheme == "https";
    r.host = url->host;
    r.port = url->port != 0 ? url->port : (r.tls ? 443 : 80);
    r.target = url->rest.empty() || url->rest[0] != '/' ? "/" + url->rest : url->rest;
    r.body = std::move(body);
    r.ca_file = target.ca_file;
    return r;
}

json::value time_or_null(const common::Statement& row, int column) {
    auto v = row.optional_integer(column);
    return v ? json::value(*v) : json::value(nullptr);
}

} // namespace

std::string push_signature(const std::string& secret, const std::string& body) {
    return "sha256=" + common::hmac_sha256_hex(secret, body);
}

IndicatorPush::IndicatorPush(const std::string& database,
                             std::vector<IndicatorPushSettings> targets, std::string server,
                             Backoff backoff)
    : server_(std::move(server)), backoff_(backoff), db_(database) {
    db_.migrate("indicator_push", kMigrations);
    for (auto& t : targets) {
        auto text = common::read_file(t.secret_file);
        auto secret = text ? text->substr(0, text->find_first_of("\r\n")) : std::string();
        if (secret.empty())
            throw std::runtime_error("indicators.push: cannot read a secret from secret_file \"" +
                                     t.secret_file + "\"");
        targets_.push_back({std::move(t), std::move(secret)});
    }
    auto old = db_.prepare("DELETE FROM indicator_delivery WHERE delivered_ms < ?");
    old.bind(1, wall_ms() - kKeepDeliveredMs);
    if (auto done = old.run(); !done)
        throw std::runtime_error("indicator pushes: " + done.error().message);
}

IndicatorPush::~IndicatorPush() {
    stop();
}

common::Result<void> IndicatorPush::enqueue(const std::string& event, const MakeData& data) {
    bool emergency = event.starts_with("emergency.");
    {
        std::lock_guard lock(db_mutex_);
        common::Transaction tx(db_);
        auto now = wall_ms();
        for (const auto& t : targets_) {
            if (emergency && !t.settings.emergencies)
                continue;
            json::object payload{{"source", "loa"},
                                 {"server", server_},
                                 {"event", event},
                                 {"data", data(t.settings)}};
            auto insert = db_.prepare("INSERT INTO indicator_delivery (url, event, payload, "
                                      "created_ms, next_ms) VALUES (?, ?, ?, ?, ?)");
            insert.bind(1, t.settings.url)
                .bind(2, event)
                .bind(3, json::serialize(payload))
                .bind(4, now)
                .bind(5, now);
            if (auto done = insert.run(); !done)
                return done;
        }
        if (auto done = tx.commit(); !done)
            return done;
    }
    loop_.wake();
    return {};
}

void IndicatorPush::start() {
    if (targets_.empty())
        return;
    loop_.start(targets_.size(), [this](std::size_t t, std::int64_t& due) {
        return deliver_one(targets_[t], wall_ms(), due);
    });
}

void IndicatorPush::stop() {
    loop_.stop();
}

std::int64_t IndicatorPush::pending() {
    std::lock_guard lock(db_mutex_);
    auto count = db_.prepare("SELECT COUNT(*) FROM indicator_delivery WHERE delivered_ms IS NULL");
    auto row = count.step();
    return row && *row ? count.integer(0) : 0;
}

json::array IndicatorPush::state() {
    std::lock_guard lock(db_mutex_);
    json::array out;
    for (const auto& t : targets_) {
        auto sums = db_.prepare(
            "SELECT SUM(delivered_ms IS NULL), SUM(delivered_ms IS NOT NULL), "
            "SUM(CASE WHEN delivered_ms IS NULL THEN attempts ELSE 0 END), MAX(delivered_ms), "
            "MIN(CASE WHEN delivered_ms IS NULL THEN created_ms END) FROM indicator_delivery "
            "WHERE url = ?");
        sums.bind(1, t.settings.url);
        json::object o{{"url", redact_url(t.settings.url)},
                       {"unit", t.settings.unit},
                       {"emergencies", t.settings.emergencies}};
        if (sums.step().value_or(false)) {
            o["pending"] = sums.optional_integer(0).value_or(0);
            o["delivered"] = sums.optional_integer(1).value_or(0);
            o["failed_attempts"] = sums.optional_integer(2).value_or(0);
            o["last_delivered_at_ms"] = time_or_null(sums, 3);
            o["oldest_pending_at_ms"] = time_or_null(sums, 4);
        }
        auto recent =
            db_.prepare("SELECT id, event, created_ms, attempts, last_error, delivered_ms FROM "
                        "indicator_delivery WHERE url = ? ORDER BY id DESC LIMIT 20");
        recent.bind(1, t.settings.url);
        json::array rows;
        std::string last_error;
        while (recent.step().value_or(false)) {
            auto error = recent.optional_text(4).value_or("");
            if (last_error.empty() && recent.is_null(5))
                last_error = error;
            rows.push_back(json::object{{"id", recent.integer(0)},
                                        {"event", recent.text(1)},
                                        {"created_at_ms", recent.integer(2)},
                                        {"attempts", recent.integer(3)},
                                        {"last_error", error},
                                        {"delivered_at_ms", time_or_null(recent, 5)}});
        }
        o["last_error"] = last_error;
        o["recent"] = std::move(rows);
        out.push_back(std::move(o));
    }
    return out;
}

bool IndicatorPush::deliver_one(const Target& target, std::int64_t now, std::int64_t& next_due_ms) {
    OutboxStore store{db_, db_mutex_, {"indicator_delivery", true, "event"}, backoff_, log()};
    return attempt_oldest(store, target.settings.url, redact_url(target.settings.url), now,
                          next_due_ms, [&](const KeptDelivery& d) {
                              auto request = request_of(target.settings, d.body);
                              request.headers = {
                                  {"X-Loa-Event", d.event},
                                  {"X-Loa-Delivery", std::to_string(d.id)},
                                  {"X-Loa-Signature", push_signature(target.secret, d.body)}};
                              return http::send(request);
                          });
}

} // namespace loa::server
