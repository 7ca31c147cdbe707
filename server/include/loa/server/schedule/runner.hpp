#pragma once
/// @file
/// Runs the schedule engine on its own thread against the media plane: wakes at the engine's
/// next boundary, or at once when the schedule or an override changes, or a program ends.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "loa/common/clock.hpp"
#include "loa/schedules/engine.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/app/settings.hpp"
#include "loa/server/media/media_server.hpp"
#include "loa/server/schedule/air_adapter.hpp"
#include "loa/server/schedule/program_store.hpp"

namespace loa::server {

/// Puts the province and its communes, and every configured receiver of a unit's channel,
/// into the store (added, or updated if they exist). Throws with the reason if it cannot.
void seed_units(schedules::ScheduleStore& store, const Settings& settings);

/// The engine's thread.
class ScheduleRunner {
public:
    ScheduleRunner(const Settings& settings, MediaServer& media, const ProgramStore& programs,
                   const common::Clock& clock);
    ScheduleRunner(const ScheduleRunner&) = delete;
    ScheduleRunner& operator=(const ScheduleRunner&) = delete;
    ~ScheduleRunner();

    /// Closes what a crash left open, puts on air what should be, and starts the thread.
    void start();
    /// Closes the open airings as interrupted and stops the thread.
    void stop();
    /// Any thread: the schedule or the overrides changed; the engine looks again now.
    void schedule_changed();
    /// What each channel carries now (channel -> airing key), as of the engine's last tick:
    /// read without waiting for a tick in progress (which may be starting sources).
    std::map<std::string, std::string> on_air() const;
    /// Told the emergency airing each channel assigned now carries, or ""
    /// (AirAdapter::on_emergency). Set before start().
    void on_emergency(
        std::function<void(const std::string& channel, const std::string& airing)> listener) {
        air_.on_emergency(std::move(listener));
    }

    /// Told of each airing that cannot be played (AirAdapter::on_failure). Set before start().
    void on_failure(std::function<void(FailedAiring failed)> listener) {
        air_.on_failure(std::move(listener));
    }

    /// Gives live broadcasts' voices (AirAdapter::on_live_feed). Set before start().
    void on_live_feed(std::function<std::shared_ptr<pipeline::PcmFeed>(std::int64_t)> feed) {
        air_.on_live_feed(std::move(feed));
    }

private:
    void run();
    void wake();
    /// Copies the engine's on-air map for on_air() readers; called with engine_mutex_ held.
    void publish_on_air();

    schedules::ScheduleStore store_;
    const common::Clock& clock_;
    AirAdapter air_;
    schedules::Engine engine_;
    std::mutex engine_mutex_; ///< guards the engine: its thread, start() and stop()
    mutable std::mutex on_air_mutex_;
    std::map<std::string, std::string> on_air_; ///< the last tick's (on_air_mutex_)
    // Wake-ups have their own lock: a source's thread that reports its end must never wait
    // for a tick, which may be waiting for that very thread to stop.
    std::mutex wake_mutex_;
    std::condition_variable wakeup_;
    bool woken_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace loa::server
