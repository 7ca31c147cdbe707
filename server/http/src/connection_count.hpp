#pragma once
// The connections open, in all and per address.

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace loa::http::detail {

/// The connections open, in all and per address. A slot stands for one connection and gives
/// its place back when the last session holding it ends.
class ConnectionCount : public std::enable_shared_from_this<ConnectionCount> {
public:
    ConnectionCount(std::size_t max_total, std::size_t max_per_address)
        : max_total_(max_total), max_per_address_(max_per_address) {}

    /// A slot for a connection from `address`, or null when a limit is reached.
    std::shared_ptr<void> acquire(const std::string& address);

private:
    struct Slot;
    void release(const std::string& address);

    std::size_t max_total_, max_per_address_;
    std::mutex mutex_;
    std::size_t total_ = 0;
    std::map<std::string, std::size_t> per_address_;
};

} // namespace loa::http::detail
