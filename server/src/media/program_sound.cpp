// What the media plane plays, as sound: programs on air that have gone silent (dead air), and
// whether each receiver's channel carries sound (what its played level is compared with).
#include "loa/server/media/media_server.hpp"

namespace loa::server {
namespace {

std::chrono::steady_clock::time_point steady_at(std::int64_t ns) {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}

} // namespace

std::vector<ProgramSound> MediaServer::program_sound() const {
    auto now = std::chrono::steady_clock::now();
    std::vector<ProgramSound> out;
    std::lock_guard lock(programs_mutex_);
    for (const auto& [key, program] : programs_) {
        if (program.channels.empty() || !sources_[program.slot])
            continue;
        auto level = sources_[program.slot]->level().totals();
        auto since = std::max(program.on_air_since, steady_at(level.last_sound_ns));
        out.push_back({key, program.channels,
                       std::chrono::duration_cast<std::chrono::milliseconds>(now - since),
                       level.last_dbfs});
    }
    return out;
}

std::map<std::string, bool> MediaServer::channel_sound(std::chrono::milliseconds recent) const {
    auto now = std::chrono::steady_clock::now();
    std::map<std::string, bool> out;
    std::scoped_lock lock(programs_mutex_, receivers_mutex_);
    if (!router_)
        return out;
    std::map<std::uint32_t, bool> by_channel;
    for (const auto& [id, receiver] : receivers_) {
        auto [it, added] = by_channel.try_emplace(receiver.current, false);
        if (added) {
            auto source = router_->bound_source(receiver.current);
            if (source >= 0 && static_cast<std::size_t>(source) < sources_.size() &&
                sources_[static_cast<std::size_t>(source)]) {
                auto last = sources_[static_cast<std::size_t>(source)]->level().totals();
                it->second =
                    last.last_sound_ns != 0 && now - steady_at(last.last_sound_ns) <= recent;
            }
        }
        out.emplace(id, it->second);
    }
    return out;
}

} // namespace loa::server
