#pragma once
/// @file
/// Alarms pushed to other systems (the province's operations centre, a chat or SMS gateway):
/// each alarm event of a webhook's severity or graver is kept in loa.db (table
/// webhook_delivery) until its webhook answers 2xx, sent in order, one at a time per webhook,
/// retried with back-off. A restart loses nothing. The payload is in docs/supervision.md.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loa/common/sqlite.hpp"
#include "loa/server/events/outbox_loop.hpp"
#include "loa/server/supervision/alarm_book.hpp"
#include "loa/server/supervision/thresholds.hpp"

namespace loa::server {

/// The outbox and its sender thread. Thread-safe.
class Webhooks {
public:
    /// Opens (creating its table in) the database file. Deliveries kept for a webhook no longer
    /// configured are dropped, with a warning. `server` names this server in payloads.
    Webhooks(const std::string& database, const std::vector<WebhookSettings>& webhooks,
             std::string server, Backoff backoff = {});
    Webhooks(const Webhooks&) = delete;
    Webhooks& operator=(const Webhooks&) = delete;
    ~Webhooks();

    /// Keeps `event` of `alarm` for every webhook it concerns, on `db` (the alarm book's
    /// connection, inside the transaction that stores the change: AlarmBook::Stage); wake()
    /// once it is committed.
    common::Result<void> stage(common::Database& db, const Alarm& alarm, AlarmEvent event,
                               const std::string& unit_code);
    /// Tells the sender that deliveries were kept.
    void wake();
    /// stage() on its own connection, then wake().
    void enqueue(const Alarm& alarm, AlarmEvent event, const std::string& unit_code);
    /// Sends what is kept on its own thread until stop().
    void start();
    void stop();
    /// Deliveries not yet made, over every webhook.
    std::int64_t pending();

private:
    struct Target {
        WebhookSettings settings;
        Severity min = Severity::major;
        std::string token; ///< from token_file, read at start-up
    };
    /// Sends the oldest delivery of `target` if it is due. Returns true if one was delivered;
    /// sets `next_due_ms` to when the target's next delivery is due (0 if none is kept).
    bool deliver_one(const Target& target, std::int64_t now_ms, std::int64_t& next_due_ms);

    std::vector<Target> targets_;
    std::string server_;
    Backoff backoff_;
    std::mutex db_mutex_;
    common::Database db_;
    OutboxLoop loop_;
};

} // namespace loa::server
