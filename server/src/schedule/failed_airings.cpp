#include "loa/server/schedule/failed_airings.hpp"

namespace loa::server {
namespace {

/// Failures kept for the supervisor: far more than a hold's worth in any real province.
constexpr std::size_t kKept = 1000;

} // namespace

void FailedAirings::note(FailedAiring failed) {
    std::lock_guard lock(mutex_);
    recent_.push_back(std::move(failed));
    if (recent_.size() > kKept)
        recent_.pop_front();
}

std::vector<FailedAiring> FailedAirings::since(std::chrono::system_clock::time_point since) const {
    std::lock_guard lock(mutex_);
    std::vector<FailedAiring> out;
    for (const auto& f : recent_)
        if (f.at >= since)
            out.push_back(f);
    return out;
}

} // namespace loa::server
