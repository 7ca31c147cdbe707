#pragma once
/// @file
/// The sender thread of an outbox kept in loa.db (alarms' webhooks, the indicators' pushes):
/// rounds of one delivery attempt per target, then a wait until something is kept or the
/// earliest retry is due; and the back-off between a failed delivery's attempts.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

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
