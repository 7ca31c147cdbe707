#include "loa/server/events/outbox_loop.hpp"

#include <algorithm>

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
