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
      clock_(clock), started_(clock.steady_now()) {}

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
    if (o.receivers)
        try {
            std::set<std::string> undetermined;
            auto faults = offline_faults(
                o.receivers(), o.unit_of ? o.unit_of() : std::map<std::string, std::int64_t>{}, up,
                o.offline_grace, clock_.system_now(), undetermined);
            if (auto done = alarms_.reconcile(AlarmKind::cluster_offline, faults, undetermined);
                !done)
                log()->error("cluster_offline: {}", done.error().message);
        } catch (const std::exception& e) {
            log()->error("cluster_offline: {}", e.what());
        }
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

} // namespace loa::server
