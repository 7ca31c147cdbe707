#include "loa/server/monitoring/status_watch.hpp"

#include "loa/common/logging.hpp"
#include "loa/schedules/store.hpp"

namespace loa::server {

namespace json = boost::json;

StatusWatch::StatusWatch(std::function<std::map<std::string, std::string>()> on_air,
                         ScheduleApi& schedule, ReceiverHub& receivers, Notifier& notifier)
    : on_air_(std::move(on_air)), schedule_(schedule), receivers_(receivers), notifier_(notifier) {}

StatusWatch::~StatusWatch() {
    stop();
}

void StatusWatch::start() {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            try {
                check();
            } catch (const std::exception& e) {
                common::logger("api")->warn("status watch: {}", e.what());
            }
            lock.lock();
            wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; });
        }
    });
}

void StatusWatch::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

std::vector<std::int64_t> StatusWatch::units_of(const std::string& channel) {
    if (auto cluster = schedules::cluster_of(channel)) {
        auto units = receivers_.units();
        auto it = units.find(*cluster);
        return it == units.end() ? std::vector<std::int64_t>{} : std::vector{it->second};
    }
    auto it = unit_by_code_.find(channel);
    if (it == unit_by_code_.end()) {
        auto ids = schedule_.unit_ids({channel});
        it = unit_by_code_.emplace(channel, ids.front()).first;
    }
    return {it->second};
}

void StatusWatch::check() {
    auto now = on_air_();
    for (const auto& [channel, program] : now)
        if (auto it = playing_.find(channel); it == playing_.end() || it->second != program)
            notifier_.publish({"channels",
                               "channel.now_playing",
                               {{"channel", channel}, {"program", program}},
                               units_of(channel),
                               {}});
    for (const auto& [channel, program] : playing_)
        if (!now.count(channel))
            notifier_.publish({"channels",
                               "channel.now_playing",
                               {{"channel", channel}, {"program", nullptr}},
                               units_of(channel),
                               {}});
    playing_ = std::move(now);

    std::map<std::int64_t, ActiveOverride> active;
    {
        auto lock = schedule_.lock();
        for (auto& o : schedule_.active_overrides(Scope{}))
            active[o.id] = std::move(o);
    }
    auto publish = [this](const ActiveOverride& o, bool started) {
        std::vector<std::int64_t> units;
        for (const auto& c : o.channels)
            for (auto u : units_of(c))
                units.push_back(u);
        notifier_.publish(
            {"overrides",
             std::string(schedules::to_string(o.kind)) + (started ? ".started" : ".ended"),
             override_json(o),
             std::move(units),
             {}});
    };
    for (const auto& [id, o] : active)
        if (!overrides_.contains(id))
            publish(o, true);
    for (const auto& [id, o] : overrides_)
        if (!active.contains(id))
            publish(o, false);
    overrides_ = std::move(active);
}

} // namespace loa::server
