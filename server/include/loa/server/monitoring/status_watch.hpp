#pragma once
/// @file
/// Watches what the channels play and which overrides are active, and publishes the changes
/// (channel.now_playing, override.started, override.ended), whoever made them: an operator,
/// the schedule, or an emergency whose file ended by itself.

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "loa/server/events/notifier.hpp"
#include "loa/server/receivers/hub.hpp"
#include "loa/server/schedule/schedule_api.hpp"

namespace loa::server {

/// Polls on its own thread (4 times a second) and publishes differences.
class StatusWatch {
public:
    StatusWatch(std::function<std::map<std::string, std::string>()> on_air, ScheduleApi& schedule,
                ReceiverHub& receivers, Notifier& notifier);
    StatusWatch(const StatusWatch&) = delete;
    StatusWatch& operator=(const StatusWatch&) = delete;
    ~StatusWatch();

    void start();
    void stop();
    /// Compares once and publishes what changed (the thread calls this; tests may too).
    void check();

private:
    std::vector<std::int64_t> units_of(const std::string& channel);

    std::function<std::map<std::string, std::string>()> on_air_;
    ScheduleApi& schedule_;
    ReceiverHub& receivers_;
    Notifier& notifier_;
    std::map<std::string, std::string> playing_;
    std::map<std::int64_t, ActiveOverride> overrides_;
    std::map<std::string, std::int64_t> unit_by_code_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace loa::server
