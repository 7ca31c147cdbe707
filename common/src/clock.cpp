#include "loa/common/clock.hpp"

namespace loa::common {

std::chrono::steady_clock::time_point SystemClock::steady_now() const {
    return std::chrono::steady_clock::now();
}
std::chrono::system_clock::time_point SystemClock::system_now() const {
    return std::chrono::system_clock::now();
}
const SystemClock& SystemClock::instance() {
    static const SystemClock clock;
    return clock;
}

std::chrono::steady_clock::time_point ManualClock::steady_now() const {
    std::lock_guard lock(mutex_);
    return steady_;
}
std::chrono::system_clock::time_point ManualClock::system_now() const {
    std::lock_guard lock(mutex_);
    return system_;
}
void ManualClock::advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mutex_);
    steady_ += d;
    system_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
}

} // namespace loa::common
