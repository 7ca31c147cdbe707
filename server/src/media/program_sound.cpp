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
    auto since = [now](auto then) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(now - then);
    };
    std::vector<ProgramSound> out;
    std::lock_guard lock(programs_mutex_);
    for (const auto& [key, program] : programs_) {
        if (program.channels.empty() || !sources_[program.slot])
            continue;
        auto level = sources_[program.slot]->level().totals();
        ProgramSound p{key,
                       program.channels,
                       since(program.on_air_since),
                       since(std::max(program.on_air_since, steady_at(level.last_sustained_ns))),
                       level.last_dbfs,
                       steady_at(level.last_block_ns) >= program.on_air_since};
        out.push_back(std::move(p));
    }
    return out;
}

std::map<std::string, ChannelSound>
MediaServer::channel_sound(std::chrono::milliseconds recent) const {
    auto now = std::chrono::steady_clock::now();
    // Which channel each receiver is on, then what each channel carries: the locks are held
    // for a copy each, not for the whole province's map.
    std::vector<std::pair<std::string, std::uint32_t>> on;
    {
        std::lock_guard lock(receivers_mutex_);
        if (!router_)
            return {};
        on.reserve(receivers_.size());
        for (const auto& [id, receiver] : receivers_)
            on.emplace_back(id, receiver.current);
    }
    std::map<std::uint32_t, ChannelSound> by_channel;
    {
        std::lock_guard lock(programs_mutex_);
        for (const auto& [id, channel] : on) {
            auto [it, added] = by_channel.try_emplace(channel, ChannelSound::off);
            if (!added)
                continue;
            auto source = router_->bound_source(channel);
            if (source < 0 || static_cast<std::size_t>(source) >= sources_.size() ||
                !sources_[static_cast<std::size_t>(source)])
                continue;
            auto level = sources_[static_cast<std::size_t>(source)]->level().totals();
            auto within = [&](std::int64_t ns) { return ns != 0 && now - steady_at(ns) <= recent; };
            it->second = within(level.last_sound_ns)   ? ChannelSound::sounding
                         : within(level.last_block_ns) ? ChannelSound::quiet
                                                       : ChannelSound::off;
        }
    }
    std::map<std::string, ChannelSound> out;
    for (auto& [id, channel] : on)
        out.emplace_hint(out.end(), std::move(id), by_channel[channel]);
    return out;
}

} // namespace loa::server
