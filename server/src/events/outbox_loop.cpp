#include "loa/server/events/outbox_loop.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace loa::server {

std::chrono::milliseconds Backoff::after(std::int64_t failed) const {
    auto wait = first;
    for (std::int64_t i = 1; i < failed && wait < most; ++i)
        wait *= 2;
    return std::min(wait, most);
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool attempt_oldest(OutboxStore& store, const std::string& url, const std::string& shown_url,
                    std::int64_t now_ms, std::int64_t& next_due_ms,
                    const std::function<http::OutboundReply(const KeptDelivery&)>& send) {
    const auto& table = store.table.name;
    KeptDelivery d;
    {
        std::lock_guard lock(store.db_mutex);
        auto event =
            store.table.event_column.empty() ? std::string("''") : store.table.event_column;
        auto oldest = store.db.prepare(
            "SELECT id, payload, attempts, next_ms, " + event + " FROM " + table +
            " WHERE url = ?" + (store.table.keep_delivered ? " AND delivered_ms IS NULL" : "") +
            " ORDER BY id LIMIT 1");
        oldest.bind(1, url);
        auto row = oldest.step();
        if (!row || !*row) {
            next_due_ms = 0;
            return false;
        }
        d.id = oldest.integer(0);
        d.attempts = oldest.integer(2);
        next_due_ms = oldest.integer(3);
        d.event = oldest.text(4);
        if (next_due_ms > now_ms)
            return false;
        // The delivery's number lets the receiving system drop a duplicate (a 2xx lost on the
        // way).
        auto body = boost::json::parse(oldest.text(1)).as_object();
        body["delivery"] = d.id;
        d.body = boost::json::serialize(body);
    }
    auto reply = send(d);
    std::lock_guard lock(store.db_mutex);
    if (reply.status >= 200 && reply.status < 300) {
        auto mark = [&] {
            if (!store.table.keep_delivered) {
                auto gone = store.db.prepare("DELETE FROM " + table + " WHERE id = ?");
                gone.bind(1, d.id);
                return gone.run();
            }
            auto kept = store.db.prepare("UPDATE " + table + " SET delivered_ms = ? WHERE id = ?");
            kept.bind(1, wall_ms()).bind(2, d.id);
            return kept.run();
        };
        if (auto ok = mark(); !ok) {
            // Sent, but still kept: it goes again (the receiver drops it by its number), later.
            store.log->error("delivery {}: {}", d.id, ok.error().message);
            next_due_ms = wall_ms() + store.backoff.first.count();
            return false;
        }
        if (d.attempts > 0)
            store.log->info("{}: delivered after {} failed attempt(s)", shown_url, d.attempts);
        return true;
    }
    std::string why = reply.status != 0 ? "answered " + std::to_string(reply.status) : reply.error;
    auto wait = store.backoff.after(d.attempts + 1);
    next_due_ms = wall_ms() + wait.count();
    auto retry = store.db.prepare("UPDATE " + table +
                                  " SET attempts = attempts + 1, next_ms = ?, last_error = ? "
                                  "WHERE id = ?");
    retry.bind(1, next_due_ms).bind(2, why).bind(3, d.id);
    if (auto ok = retry.run(); !ok)
        store.log->error("delivery {}: {}", d.id, ok.error().message);
    if (d.attempts == 0 || (d.attempts + 1) % 10 == 0)
        store.log->warn("{}: {} (attempt {}; trying again in {} ms)", shown_url, why,
                        d.attempts + 1, wait.count());
    return false;
}

OutboxLoop::~OutboxLoop() {
    stop();
}

void OutboxLoop::start(std::size_t targets, Attempt attempt) {
    targets_ = targets;
    attempt_ = std::move(attempt);
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void OutboxLoop::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

void OutboxLoop::wake() {
    std::lock_guard lock(mutex_);
    queued_ = true;
    wake_.notify_all();
}

void OutboxLoop::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        queued_ = false;
        lock.unlock();
        std::int64_t earliest = 0;
        bool delivered = false;
        for (std::size_t t = 0; t < targets_; ++t) {
            std::int64_t due = 0;
            delivered = attempt_(t, due) || delivered;
            if (due != 0 && (earliest == 0 || due < earliest))
                earliest = due;
        }
        lock.lock();
        if (delivered || queued_)
            continue;
        auto wait =
            earliest == 0
                ? std::chrono::milliseconds(60000)
                : std::chrono::milliseconds(std::max<std::int64_t>(earliest - wall_ms(), 0));
        wake_.wait_for(lock, wait, [this] { return stopping_ || queued_; });
    }
}

} // namespace loa::server
