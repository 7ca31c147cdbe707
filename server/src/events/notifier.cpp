#include "loa/server/events/notifier.hpp"

#include "loa/common/jsonrpc.hpp"

namespace loa::server {

std::uint64_t Notifier::subscribe(Sink sink) {
    std::lock_guard lock(mutex_);
    sinks_.emplace(next_, std::move(sink));
    return next_++;
}

void Notifier::unsubscribe(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    sinks_.erase(id);
}

void Notifier::publish(Notification n) {
    n.text = boost::json::serialize(jsonrpc::notification(n.method, n.params));
    std::lock_guard lock(mutex_);
    ++published_;
    for (auto& [id, sink] : sinks_)
        sink(n);
}

std::uint64_t Notifier::published() const {
    std::lock_guard lock(mutex_);
    return published_;
}

} // namespace loa::server
