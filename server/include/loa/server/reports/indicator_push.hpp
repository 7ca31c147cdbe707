#pragma once
/// @file
/// The indicators pushed to the province's operations centre and the ministry: each frozen
/// day's snapshot (and, for targets that ask, each emergency as it starts and ends) kept in
/// loa.db (table indicator_delivery) until its target answers 2xx; sent in order, one at a
/// time per target, retried with back-off, signed with HMAC-SHA-256 and a secret shared with
/// the target. A restart or a target down loses nothing. docs/indicators.md, "Push".

#include <boost/json.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/server/reports/push_settings.hpp"
#include "loa/server/supervision/webhooks.hpp"

namespace loa::server {

/// The outbox of pushes and its sender thread. Thread-safe.
class IndicatorPush {
public:
    /// What a target is sent for an event: the payload's `data`, made for the target's unit.
    using MakeData = std::function<boost::json::value(const IndicatorPushSettings& target)>;

    /// Opens (creating its table in) the database file and reads each target's secret; throws
    /// naming a secret file that cannot be read or is empty. `server` names this server.
    IndicatorPush(const std::string& database, std::vector<IndicatorPushSettings> targets,
                  std::string server, Backoff backoff = {});
    IndicatorPush(const IndicatorPush&) = delete;
    IndicatorPush& operator=(const IndicatorPush&) = delete;
    ~IndicatorPush();

    /// Keeps `event` ("indicators.snapshot", "emergency.started", "emergency.ended") for every
    /// target it concerns (emergencies: those that asked) and wakes the sender.
    common::Result<void> enqueue(const std::string& event, const MakeData& data);
    /// Sends what is kept on its own thread until stop(); nothing without targets.
    void start();
    void stop();
    /// Each target's deliveries: {url, pending, delivered, failed_attempts, last_error,
    /// last_delivered_at_ms, oldest_pending_at_ms, recent: [...]} (indicators.deliveries).
    boost::json::array state();
    /// Deliveries not yet made, over every target.
    std::int64_t pending();

private:
    struct Target {
        IndicatorPushSettings settings;
        std::string secret;
    };
    /// Sends the oldest undelivered push of `target` if it is due; true if one was delivered.
    bool deliver_one(const Target& target, std::int64_t now_ms, std::int64_t& next_due_ms);

    std::vector<Target> targets_;
    std::string server_;
    Backoff backoff_;
    std::mutex db_mutex_;
    common::Database db_;
    OutboxLoop loop_;
};

/// The headers a push carries: X-Loa-Event, X-Loa-Delivery, and X-Loa-Signature
/// "sha256=" + HMAC-SHA-256 of the body with the target's secret, as lowercase hex.
std::string push_signature(const std::string& secret, const std::string& body);

} // namespace loa::server
