#include "loa/server/schedule/runner.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "loa/common/logging.hpp"

namespace loa::server {
namespace {

auto log() {
    static auto logger = common::logger("schedule");
    return logger;
}

std::int64_t put_unit(schedules::ScheduleStore& store, const UnitSettings& u,
                      std::optional<std::int64_t> parent) {
    if (auto existing = store.unit_by_code(u.code))
        return existing->id;
    // Changed since the configuration was written: the database is the truth.
    if (auto bore = store.unit_that_bore(u.code); bore && *bore) {
        log()->info("unit {} of the configuration is unit {} ({}) now", u.code, (*bore)->code,
                    (*bore)->name);
        return (*bore)->id;
    }
    schedules::Unit unit;
    unit.code = u.code;
    unit.name = u.name;
    unit.parent = parent;
    unit.quiet_start = u.quiet_start;
    unit.quiet_end = u.quiet_end;
    unit.approval_required = u.approval_required;
    auto id = store.add_unit(unit);
    if (!id)
        throw std::runtime_error("cannot add unit " + u.code + ": " + id.error().message);
    log()->info("unit {} ({}) added", u.code, u.name);
    return *id;
}

} // namespace

void seed_units(schedules::ScheduleStore& store, const Settings& settings) {
    if (settings.province) {
        auto province = put_unit(store, settings.province->province, std::nullopt);
        for (const auto& commune : settings.province->communes)
            put_unit(store, commune, province);
    }
    auto known = store.clusters();
    if (!known)
        throw std::runtime_error("cannot read the clusters: " + known.error().message);
    for (const auto& r : settings.receivers) {
        // A cluster recorded already stays where the database has it (a merge moved it).
        if (std::any_of(known->begin(), known->end(),
                        [&](const schedules::Cluster& c) { return c.id == r.id; }))
            continue;
        auto unit = store.unit_by_code(r.channel);
        if (!unit)
            continue; // a receiver of a configured channel outside the schedule
        if (auto put = store.put_cluster({r.id, unit->id, ""}); !put)
            throw std::runtime_error("cannot record receiver " + r.id + ": " + put.error().message);
    }
}

ScheduleRunner::ScheduleRunner(const Settings& settings, MediaServer& media,
                               const ProgramStore& programs, const common::Clock& clock)
    : store_(database_file(settings)), clock_(clock),
      air_(media, store_, programs, clock,
           [this](const std::string& key, bool failed) {
               engine_.instance_ended(key, failed);
               wake();
           }),
      engine_(store_, air_, clock, schedules::EngineSettings{settings.lead}) {
    seed_units(store_, settings);
}

ScheduleRunner::~ScheduleRunner() {
    stop();
}

void ScheduleRunner::start() {
    {
        std::lock_guard lock(engine_mutex_);
        if (auto started = engine_.start(); !started)
            throw std::runtime_error("the schedule engine cannot start: " +
                                     started.error().message);
        publish_on_air();
    }
    thread_ = std::thread([this] { run(); });
}

void ScheduleRunner::stop() {
    {
        std::lock_guard lock(wake_mutex_);
        if (stopping_ || !thread_.joinable())
            return;
        stopping_ = true;
    }
    wakeup_.notify_all();
    thread_.join();
    std::lock_guard lock(engine_mutex_);
    engine_.stop();
    publish_on_air();
}

void ScheduleRunner::schedule_changed() {
    engine_.schedule_changed();
    wake();
}

void ScheduleRunner::wake() {
    {
        std::lock_guard lock(wake_mutex_);
        woken_ = true;
    }
    wakeup_.notify_all();
}

std::map<std::string, std::string> ScheduleRunner::on_air() const {
    std::lock_guard lock(on_air_mutex_);
    return on_air_;
}

void ScheduleRunner::publish_on_air() {
    auto now = engine_.on_air();
    std::lock_guard lock(on_air_mutex_);
    on_air_ = std::move(now);
}

void ScheduleRunner::run() {
    std::chrono::system_clock::time_point backoff{};
    for (;;) {
        std::chrono::system_clock::time_point due;
        {
            std::lock_guard lock(engine_mutex_);
            due = std::max(std::chrono::system_clock::time_point(engine_.next_wakeup()), backoff);
        }
        {
            // The engine's wake-up is wall-clock time; wait for it to the millisecond, a second
            // at most at a time, so that a step of the wall clock (NTP) is noticed.
            std::unique_lock lock(wake_mutex_);
            auto wait = std::min<std::chrono::nanoseconds>(due - clock_.system_now(),
                                                           std::chrono::seconds(1));
            if (wait > std::chrono::milliseconds(0))
                wakeup_.wait_for(lock, wait, [this] { return woken_ || stopping_; });
            if (stopping_)
                return;
            if (!woken_ && clock_.system_now() < due)
                continue; // the wait ended a little early: wait the rest
            woken_ = false;
        }
        std::lock_guard lock(engine_mutex_);
        auto ticked = engine_.tick();
        publish_on_air();
        if (!ticked) {
            // E.g. the database is locked or the disk full: try again in a second, not at once.
            log()->error("schedule engine: {}; trying again in 1 s", ticked.error().message);
            backoff = clock_.system_now() + std::chrono::seconds(1);
        }
    }
}

} // namespace loa::server
