#include "loa/server/receivers/sound_history.hpp"

#include <algorithm>

namespace loa::server {
namespace {

std::size_t slot(std::int64_t second) {
    auto s = second % SoundHistory::kSeconds;
    return static_cast<std::size_t>(s < 0 ? s + SoundHistory::kSeconds : s);
}

} // namespace

void SoundHistory::merge(std::uint64_t mask, int bits, std::int64_t now_s) {
    if (latest_ == std::numeric_limits<std::int64_t>::min() || now_s - latest_ >= kSeconds) {
        sound_.reset();
        latest_ = now_s;
    }
    for (; latest_ < now_s; ++latest_) // seconds newly in the window start silent
        sound_.reset(slot(latest_ + 1));
    for (int i = 0; i < bits && i < kSeconds; ++i) {
        auto second = now_s - i;
        if ((mask >> i & 1U) != 0 && second > latest_ - kSeconds)
            sound_.set(slot(second));
    }
}

bool SoundHistory::any(std::int64_t from_s, std::int64_t to_s) const {
    return first(from_s, to_s).has_value();
}

std::optional<std::int64_t> SoundHistory::first(std::int64_t from_s, std::int64_t to_s) const {
    if (latest_ == std::numeric_limits<std::int64_t>::min())
        return std::nullopt;
    from_s = std::max(from_s, latest_ - kSeconds + 1);
    to_s = std::min(to_s, latest_);
    for (auto s = from_s; s <= to_s; ++s)
        if (sound_.test(slot(s)))
            return s;
    return std::nullopt;
}

} // namespace loa::server
