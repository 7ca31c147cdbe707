#include "connection_count.hpp"

namespace loa::http::detail {

/// One connection's place; given back when destroyed.
struct ConnectionCount::Slot {
    Slot(std::shared_ptr<ConnectionCount> count, std::string address)
        : count(std::move(count)), address(std::move(address)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { count->release(address); }
    std::shared_ptr<ConnectionCount> count;
    std::string address;
};

std::shared_ptr<void> ConnectionCount::acquire(const std::string& address) {
    std::lock_guard lock(mutex_);
    auto& mine = per_address_[address];
    if (total_ >= max_total_ || mine >= max_per_address_) {
        if (mine == 0)
            per_address_.erase(address);
        return nullptr;
    }
    ++mine;
    ++total_;
    return std::make_shared<Slot>(shared_from_this(), address);
}

void ConnectionCount::release(const std::string& address) {
    std::lock_guard lock(mutex_);
    --total_;
    if (auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0)
        per_address_.erase(it);
}

} // namespace loa::http::detail
