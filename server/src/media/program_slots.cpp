// The schedule's programs on the media plane: sources started held, put on channels and taken
// off them, single receivers moved to their own channel and back, and reach counted.
#include <algorithm>

#include "loa/common/logging.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/media/media_server.hpp"

namespace loa::server {
namespace {

auto log() {
    static auto logger = common::logger("media");
    return logger;
}

} // namespace

/// How long a freed source slot rests before reuse: far longer than the router ever holds a
/// frame.
constexpr auto kSlotRest = std::chrono::seconds(10);

std::uint32_t MediaServer::free_slot() {
    if (!free_slots_.empty() &&
        free_slots_.front().second + kSlotRest <= std::chrono::steady_clock::now()) {
        auto slot = free_slots_.front().first;
        free_slots_.pop_front();
        return slot;
    }
    sources_.emplace_back();
    running_.push_back(false);
    return static_cast<std::uint32_t>(sources_.size() - 1);
}

void MediaServer::start_program(const std::string& key, const pipeline::SourceSpec& spec,
                                std::function<void(bool failed)> on_end) {
    std::scoped_lock lock(programs_mutex_, receivers_mutex_);
    stop_program_locked(key);
    std::uint32_t slot = free_slot();
    auto on_frame = [router = router_.get(), slot](const pipeline::OpusFrame& frame) {
        router->post_frame(slot, frame);
    };
    auto on_state = [key, on_end = std::move(on_end)](pipeline::SourceState state,
                                                      const std::string& detail) {
        // The loggers are named in blocks of their own: clang 14's AddressSanitizer takes
        // log()'s temporaries in these cases for used after their scope (at the switch's end).
        switch (state) {
        case pipeline::SourceState::ended:
            on_end(false);
            break;
        case pipeline::SourceState::failed: {
            auto logger = log();
            logger->warn("program {}: its source failed: {}", key, detail);
            on_end(true);
            break;
        }
        case pipeline::SourceState::retrying: {
            auto logger = log();
            logger->warn("program {}: retrying: {}", key, detail);
            break;
        }
        default:
            break;
        }
    };
    sources_[slot] =
        std::make_unique<pipeline::Source>(spec, settings_.encoder, on_frame, on_state);
    sources_[slot]->start(true);
    programs_[key] = ProgramSlot{slot, {}, spec.kind == pipeline::SourceKind::file};
}

std::optional<std::uint32_t> MediaServer::channel_index(const std::string& channel) const {
    if (auto it = private_channel_.find(channel); it != private_channel_.end())
        return it->second;
    return router_->find_channel(channel);
}

std::optional<pipeline::TapHandle> MediaServer::tap(const std::string& channel, pipeline::Tap tap) {
    std::optional<std::uint32_t> index;
    {
        std::lock_guard lock(receivers_mutex_);
        index = router_ ? channel_index(channel) : std::nullopt;
    }
    if (!index)
        return std::nullopt;
    return router_->add_tap(*index, std::move(tap));
}

bool MediaServer::has_channel(const std::string& channel) const {
    std::lock_guard lock(receivers_mutex_);
    return router_ && channel_index(channel).has_value();
}

void MediaServer::untap(pipeline::TapHandle handle) {
    if (router_)
        router_->remove_tap(handle);
}

bool MediaServer::play_on(const std::string& channel, const std::string* key) {
    std::scoped_lock lock(programs_mutex_, receivers_mutex_);
    return play_on_locked(channel, key);
}

bool MediaServer::play_on_locked(const std::string& channel, const std::string* key) {
    auto index = channel_index(channel);
    if (!index) {
        log()->warn("no channel {} to play on", channel);
        return false;
    }
    ProgramSlot* next = nullptr;
    if (key != nullptr) {
        auto it = programs_.find(*key);
        if (it == programs_.end()) {
            log()->warn("program {} is not started; {} stays as it is", *key, channel);
            return false;
        }
        next = &it->second;
    }
    router_->bind(*index, next ? std::optional<std::uint32_t>(next->slot) : std::nullopt);
    if (auto cluster = schedules::cluster_of(channel)) {
        if (auto r = receivers_.find(*cluster); r != receivers_.end()) {
            r->second.current = next ? *index : r->second.home;
            fanout_->move_receiver(r->second.handle, r->second.current);
        }
    }
    // What the channel played before may now be on no channel: a file keeps its place.
    for (auto& entry : programs_) {
        ProgramSlot& program = entry.second;
        if (&program == next || program.channels.erase(channel) == 0)
            continue;
        if (program.channels.empty() && program.file && sources_[program.slot])
            sources_[program.slot]->hold();
    }
    if (next) {
        if (next->channels.empty())
            next->on_air_since = std::chrono::steady_clock::now();
        next->channels.insert(channel);
        sources_[next->slot]->release();
    }
    return true;
}

void MediaServer::stop_program(const std::string& key) {
    std::scoped_lock lock(programs_mutex_, receivers_mutex_);
    stop_program_locked(key);
}

void MediaServer::stop_program_locked(const std::string& key) {
    auto it = programs_.find(key);
    if (it == programs_.end())
        return;
    for (const auto& channel : it->second.channels)
        if (auto index = channel_index(channel))
            router_->bind(*index, std::nullopt);
    auto slot = it->second.slot;
    if (sources_[slot]) {
        sources_[slot]->stop();
        sources_[slot].reset();
    }
    free_slots_.emplace_back(slot, std::chrono::steady_clock::now());
    programs_.erase(it);
}

void MediaServer::silence_receiver(const std::string& channel) {
    std::scoped_lock lock(programs_mutex_, receivers_mutex_);
    play_on_locked(channel, nullptr); // off whatever it played, back home for a moment
    auto cluster = schedules::cluster_of(channel);
    auto r = cluster ? receivers_.find(*cluster) : receivers_.end();
    auto index = channel_index(channel);
    if (r == receivers_.end() || !index)
        return;
    r->second.current = *index; // its own channel, bound to nothing
    fanout_->move_receiver(r->second.handle, *index);
}

} // namespace loa::server
