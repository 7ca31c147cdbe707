#include "loa/server/supervision/supervisor.hpp"

#include "loa/common/logging.hpp"

namespace loa::server {
namespace {

auto log() {
    static auto logger = common::logger("supervision");
    return logger;
}

} // namespace

Supervisor::Supervisor(AlarmBook& alarms, Observed observed, SupervisionSettings settings,
                       const common::Clock& clock)
    : alarms_(alarms), observed_(std::move(observed)), settings_(std::move(settings)),
      clock_(clock), started_(clock.steady_now()), play_(settings_.proof_window) {}

Supervisor::~Supervisor() {
    stop();
}

void Supervisor::start() {
    started_ = clock_.steady_now();
    stopping_ = false;
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            check();
            lock.lock();
            wake_.wait_for(lock, settings_.check_every, [this] { return stopping_; });
        }
    });
}

void Supervisor::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

void Supervisor::check() {
    auto reconcile = [this](AlarmKind kind, auto&& find) {
        try {
            if (auto done = alarms_.reconcile(kind, find()); !done)
                log()->error("{}: {}", to_string(kind), done.error().message);
        } catch (const std::exception& e) {
            log()->error("{}: {}", to_string(kind), e.what());
        }
    };
    const auto& o = observed_;
    auto up = std::chrono::duration_cast<std::chrono::seconds>(clock_.steady_now() - started_);
    std::map<std::string, std::int64_t> unit_of;
    if (o.unit_of)
        unit_of = o.unit_of();
    if (o.receivers)
        try {
            auto receivers = o.receivers();
            std::set<std::string> undetermined;
            auto faults = offline_faults(receivers, unit_of, up, o.offline_grace,
                                         clock_.system_now(), undetermined);
            if (auto done = alarms_.reconcile(AlarmKind::cluster_offline, faults, undetermined);
                !done)
                log()->error("cluster_offline: {}", done.error().message);
            if (o.channel_sound)
                check_play(receivers, unit_of);
        } catch (const std::exception& e) {
            log()->error("clusters: {}", e.what());
        }
    if (o.programs)
        check_dead_air(unit_of);
    if (o.disk)
        reconcile(AlarmKind::disk_low,
                  [&] { return disk_faults(o.disk(), o.state_dir, settings_, o.server_unit); });
    if (o.clock_synchronised)
        reconcile(AlarmKind::clock_unsynchronised,
                  [&] { return clock_faults(o.clock_synchronised(), settings_, o.server_unit); });
    if (o.certificate_expiry)
        reconcile(AlarmKind::certificate_expiring, [&] {
            return certificate_faults(o.certificate_expiry(), clock_.system_now(), settings_,
                                      o.server_unit);
        });
}

void Supervisor::check_play(const std::vector<ReceiverView>& receivers,
                            const std::map<std::string, std::int64_t>& unit_of) {
    auto sound = observed_.channel_sound();
    auto now = clock_.steady_now();
    std::map<std::string, PlaySample> samples;
    for (const auto& r : receivers) {
        auto it = sound.find(r.id);
        samples.emplace(r.id, play_sample(r, it != sound.end() && it->second, now));
    }
    play_.record(samples);
    auto found = play_faults(play_, unit_of, settings_);
    for (auto [kind, faults, undetermined] :
         {std::tuple{AlarmKind::cluster_no_media, &found.no_media, &found.undetermined},
          std::tuple{AlarmKind::cluster_lossy, &found.lossy, &found.undetermined},
          std::tuple{AlarmKind::cluster_silent, &found.silent, &found.undetermined},
          std::tuple{AlarmKind::cluster_unbidden, &found.unbidden, &found.unknown_unbidden}})
        if (auto done = alarms_.reconcile(kind, *faults, *undetermined); !done)
            log()->error("{}: {}", to_string(kind), done.error().message);
}

void Supervisor::check_dead_air(const std::map<std::string, std::int64_t>& unit_of) {
    try {
        auto programs = observed_.programs();
        std::map<std::string, std::int64_t> unit_of_channel;
        for (const auto& p : programs)
            for (const auto& c : p.channels) {
                if (c.rfind('@', 0) == 0) {
                    if (auto it = unit_of.find(c.substr(1)); it != unit_of.end())
                        unit_of_channel[c] = it->second;
                } else if (observed_.unit_of_code) {
                    if (auto unit = observed_.unit_of_code(c))
                        unit_of_channel[c] = *unit;
                }
            }
        if (auto done = alarms_.reconcile(AlarmKind::dead_air,
                                          dead_air_faults(programs, unit_of_channel, settings_));
            !done)
            log()->error("dead_air: {}", done.error().message);
    } catch (const std::exception& e) {
        log()->error("dead_air: {}", e.what());
    }
}

} // namespace loa::server
