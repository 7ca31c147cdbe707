#include "stream_sink.hpp"

#include <algorithm>

#include "loa/http/server.hpp"

namespace loa::http::detail {

bool StreamSinkBase::write(std::string bytes) {
    std::lock_guard lock(mutex_);
    if (closed_)
        return false;
    if (backlog_ + bytes.size() > HttpServer::kMaxStreamBacklog) {
        closed_ = true;
        post_drop();
        return false;
    }
    backlog_ += bytes.size();
    post_write(std::move(bytes));
    return true;
}

void StreamSinkBase::end() {
    std::lock_guard lock(mutex_);
    if (closed_)
        return;
    closed_ = true;
    post_end();
}

bool StreamSinkBase::open() const {
    std::lock_guard lock(mutex_);
    return !closed_;
}

void StreamSinkBase::written(std::size_t bytes) {
    std::lock_guard lock(mutex_);
    backlog_ -= std::min(backlog_, bytes);
}

void StreamSinkBase::shut() {
    std::lock_guard lock(mutex_);
    closed_ = true;
}

void SinkRegistry::add(const std::shared_ptr<StreamSinkBase>& sink) {
    std::lock_guard lock(mutex_);
    if (stopped_)
        sink->shut();
    std::erase_if(sinks_, [](const auto& s) { return s.expired(); });
    sinks_.push_back(sink);
}

void SinkRegistry::shut_all() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    for (const auto& weak : sinks_)
        if (auto sink = weak.lock())
            sink->shut();
}

} // namespace loa::http::detail
