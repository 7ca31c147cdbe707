#pragma once
/// @file
/// The sender thread of an outbox kept in loa.db (alarms' webhooks, the indicators' pushes):
/// rounds of one delivery attempt per target, then a wait until something is kept or the
/// earliest retry is due; and the back-off between a failed delivery's attempts.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "loa/common/sqlite.hpp"
#include "loa/http/client.hpp"

namespace spdlog {
class logger;
}

namespace loa::server {

/// How long a failed delivery waits before the next try: `first`, doubling up to `most`.
struct Backoff {
    std::chrono::milliseconds first{1000};
    std::chrono::milliseconds most{60000};

    /// The wait after the attempt that made `failed` failures in all.
    std::chrono::milliseconds after(std::int64_t failed) const;
};

/// Milliseconds since 1970 by the system clock (when deliveries are due).
std::int64_t wall_ms();

/// An outbox's table of deliveries (webhook_delivery, indicator_delivery): columns id, url,
/// payload, attempts, next_ms and last_error, and what becomes of a delivered row.
struct OutboxTable {
    std::string name;
    bool keep_delivered = false; ///< set delivered_ms (kept for the record) rather than delete it
    std::string event_column;    ///< the column naming the event; "" when it has none
};

/// The delivery an attempt is made at.
struct KeptDelivery {
    std::int64_t id = 0;
    std::string event;
    std::string body; ///< the payload with its delivery number (`delivery`) added
    std::int64_t attempts = 0;
};

/// What an attempt needs: the table on `db` (used under `db_mutex`, never held while it sends),
/// the back-off, and a log for what went wrong.
struct OutboxStore {
    common::Database& db;
    std::mutex& db_mutex;
    OutboxTable table;
    Backoff backoff;
    std::shared_ptr<spdlog::logger> log;
};

/// An attempt at the oldest delivery kept for `url` if it is due at `now_ms`: `send` sends it;
/// a 2xx marks it delivered, anything else is noted (its error, attempts) and tried again after
/// the back-off. Returns whether it was delivered; sets `next_due_ms` to when the oldest one
/// left is due (0: none kept). `shown_url` names the target in the log.
bool attempt_oldest(OutboxStore& store, const std::string& url, const std::string& shown_url,
                    std::int64_t now_ms, std::int64_t& next_due_ms,
                    const std::function<http::OutboundReply(const KeptDelivery&)>& send);

/// Runs rounds on its own thread until stop(). Thread-safe.
class OutboxLoop {
public:
    /// An attempt at the oldest delivery kept for target `target` if it is due. Returns whether
    /// it was delivered (then the next round comes at once) and sets `next_due_ms` to when the
    /// target's oldest delivery is due (0: none kept).
    using Attempt = std::function<bool(std::size_t target, std::int64_t& next_due_ms)>;

    OutboxLoop() = default;
    OutboxLoop(const OutboxLoop&) = delete;
    OutboxLoop& operator=(const OutboxLoop&) = delete;
    ~OutboxLoop();

    /// Rounds of an attempt for each of `targets` targets.
    void start(std::size_t targets, Attempt attempt);
    void stop();
    /// Something was kept: a round comes at once.
    void wake();

private:
    void run();

    std::size_t targets_ = 0;
    Attempt attempt_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool queued_ = false;
    std::thread thread_;
};

} // namespace loa::server
