#include "loa/common/clock.hpp"

#include <cstdio>

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

std::string basic_utc(std::chrono::system_clock::time_point at) {
    auto seconds = std::chrono::floor<std::chrono::seconds>(at);
    auto day = std::chrono::floor<std::chrono::days>(seconds);
    std::chrono::year_month_day date(day);
    std::chrono::hh_mm_ss time(seconds - day);
    char text[24];
    std::snprintf(text, sizeof text, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()));
    return text;
}

} // namespace loa::common
