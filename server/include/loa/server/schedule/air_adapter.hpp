#pragma once
/// @file
/// The engine's view of the media plane: turns "put this airing on that channel" into
/// program sources, router bindings and receiver moves of the MediaServer.

#include <functional>
#include <string>

#include "loa/common/clock.hpp"
#include "loa/schedules/engine.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/media/media_server.hpp"
#include "loa/server/schedule/failed_airings.hpp"
#include "loa/server/schedule/program_store.hpp"

namespace loa::server {

/// schedules::Air over a MediaServer. Used from the engine's thread.
class AirAdapter final : public schedules::Air {
public:
    /// `on_ended(key, failed)` is called from a source's thread when a program ends by itself.
    AirAdapter(MediaServer& media, schedules::ScheduleStore& store, const ProgramStore& programs,
               const common::Clock& clock,
               std::function<void(const std::string& key, bool failed)> on_ended);

    void prepare(const schedules::Instance& instance, std::chrono::milliseconds offset) override;
    void assign(const std::string& channel, const schedules::Instance* instance) override;
    void release(const std::string& key) override;
    void silence(const std::string& channel) override;
    std::function<std::int64_t()> count_reached(const std::string& channel) override;
    /// Told, as each channel is assigned, the emergency airing it now carries (its key; a
    /// program of the emergency class: an operator's emergency or a scheduled one), or ""
    /// for none. Set before the engine runs.
    void on_emergency(
        std::function<void(const std::string& channel, const std::string& airing)> listener) {
        on_emergency_ = std::move(listener);
    }

    /// Told of each airing whose program cannot be played (any thread: a source's failure
    /// comes from its own). Set before the engine runs.
    void on_failure(std::function<void(FailedAiring failed)> listener) {
        on_failure_ = std::move(listener);
    }

    /// Gives the voice of a live broadcast by its override's id (null: its speaker has gone).
    /// Set before the engine runs.
    void on_live_feed(std::function<std::shared_ptr<pipeline::PcmFeed>(std::int64_t)> feed) {
        live_feed_ = std::move(feed);
    }

private:
    /// Whether `program` is a live broadcast's voice (ScheduleApi::start_live).
    bool live_voice(const schedules::Instance& instance, const schedules::Program& program) const;
    /// The source of a live broadcast's voice: its feed.
    common::Result<pipeline::SourceSpec> voice_source(const schedules::Instance& instance);
    /// Tells the failure listener, and the engine, that `instance` failed.
    void failed(const schedules::Instance& instance, const schedules::Program* program,
                std::string reason);

    MediaServer& media_;
    schedules::ScheduleStore& store_;
    const ProgramStore& programs_;
    const common::Clock& clock_;
    std::function<void(const std::string&, bool)> on_ended_;
    std::function<void(const std::string&, const std::string&)> on_emergency_;
    std::function<void(FailedAiring)> on_failure_;
    std::function<std::shared_ptr<pipeline::PcmFeed>(std::int64_t)> live_feed_;
};

} // namespace loa::server
