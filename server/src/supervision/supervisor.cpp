#include "loa/server/supervision/supervisor.hpp"

#include <algorithm>
#include <iterator>

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
      clock_(clock), started_(clock.steady_now()), started_at_(clock.system_now()),
      play_(settings_.proof_window), media_drops_(settings_.event_hold),
      database_errors_(settings_.event_hold) {}

Supervisor::~Supervisor() {
    stop();
}

void Supervisor::start() {
    started_ = clock_.steady_now();
    started_at_ = clock_.system_now();
    stopping_ = false;
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        // At fixed times, not an interval after each pass: the pass's own time (a province's
        // clusters) must not stretch the period that proof of play's samples rely on.
        auto next = std::chrono::steady_clock::now();
        while (!stopping_) {
            lock.unlock();
            check();
            lock.lock();
            next += settings_.check_every;
            if (next < std::chrono::steady_clock::now()) // fell behind: no burst to catch up
                next = std::chrono::steady_clock::now() + settings_.check_every;
            wake_.wait_until(lock, next, [this] { return stopping_; });
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

template <class Find>
void Supervisor::reconcile(AlarmKind kind, Find&& find, const std::set<std::string>& undetermined) {
    try {
        if (auto done = alarms_.reconcile(kind, find(), undetermined); !done)
            log()->error("{}: {}", to_string(kind), done.error().message);
    } catch (const std::exception& e) {
        log()->error("{}: {}", to_string(kind), e.what());
    }
}

void Supervisor::check() {
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
            if (o.channel_sound && settings_.proof_of_play)
                check_play(receivers, unit_of);
        } catch (const std::exception& e) {
            log()->error("clusters: {}", e.what());
        }
    auto unit_of_channel = [&](const std::string& channel) -> std::optional<std::int64_t> {
        if (channel.rfind('@', 0) == 0) {
            auto it = unit_of.find(channel.substr(1));
            return it != unit_of.end() ? std::optional(it->second) : std::nullopt;
        }
        return o.unit_of_code ? o.unit_of_code(channel) : std::nullopt;
    };
    if (o.programs)
        check_programs(unit_of_channel);
    check_events();
    if (o.airings && o.played && o.note_played)
        count_played();
    if (o.backups) {
        auto faults = backup_faults(o.backups(), clock_.system_now(), started_at_,
                                    o.backup_late_after, o.server_unit);
        for (auto kind : {AlarmKind::backup_failed, AlarmKind::backup_late})
            reconcile(kind, [&] {
                std::vector<Fault> of_kind;
                std::copy_if(faults.begin(), faults.end(), std::back_inserter(of_kind),
                             [&](const Fault& f) { return f.kind == kind; });
                return of_kind;
            });
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

void Supervisor::check_play(const std::vector<ReceiverView>& receivers,
                            const std::map<std::string, std::int64_t>& unit_of) {
    auto channels = observed_.channel_sound();
    auto now = clock_.steady_now();
    std::map<std::string, PlaySample> samples;
    for (const auto& r : receivers) {
        auto it = channels.find(r.id);
        samples.emplace_hint(samples.end(), r.id,
                             play_sample(r, it != channels.end() ? it->second : ChannelSound::off,
                                         settings_.dead_air_dbfs, now));
    }
    play_.record(samples);
    auto found = play_faults(play_, unit_of, settings_);
    for (auto [kind, faults, undetermined] :
         {std::tuple{AlarmKind::cluster_no_media, &found.no_media, &found.unknown_no_media},
          std::tuple{AlarmKind::cluster_lossy, &found.lossy, &found.unknown_lossy},
          std::tuple{AlarmKind::cluster_silent, &found.silent, &found.unknown_silent},
          std::tuple{AlarmKind::cluster_unbidden, &found.unbidden, &found.unknown_unbidden}})
        if (auto done = alarms_.reconcile(kind, *faults, *undetermined); !done)
            log()->error("{}: {}", to_string(kind), done.error().message);
}

void Supervisor::check_programs(
    const std::function<std::optional<std::int64_t>(const std::string&)>& unit_of_channel) {
    std::vector<ProgramSound> programs;
    try {
        programs = observed_.programs();
    } catch (const std::exception& e) {
        log()->error("programs on air: {}", e.what());
        return;
    }
    std::set<std::string> silent_so_far;
    reconcile(
        AlarmKind::dead_air,
        [&] {
            return dead_air_faults(programs, unit_of_channel, observed_.server_unit, settings_,
                                   silent_so_far);
        },
        silent_so_far);
    std::set<std::string> starting;
    reconcile(
        AlarmKind::airing_late,
        [&] {
            return late_airing_faults(programs, unit_of_channel, observed_.server_unit, settings_,
                                      starting);
        },
        starting);
}

void Supervisor::check_events() {
    const auto& o = observed_;
    auto now = clock_.system_now();
    auto steady = clock_.steady_now();
    // An event's alarm lasts its hold from when it was raised, even across a restart of the
    // server, which forgets the events themselves: those raised within the hold stay.
    auto held = [&](AlarmKind kind) {
        AlarmFilter filter;
        filter.kind = kind;
        std::set<std::string> subjects;
        for (const auto& a : alarms_.active(filter))
            if (a.raised_at > now - settings_.event_hold)
                subjects.insert(a.fault.subject);
        return subjects;
    };
    if (o.failed_airings)
        reconcile(
            AlarmKind::airing_failed,
            [&] {
                return failed_airing_faults(o.failed_airings(now - settings_.event_hold), now,
                                            settings_, o.server_unit);
            },
            held(AlarmKind::airing_failed));
    if (o.media_drops)
        reconcile(
            AlarmKind::fanout_behind,
            [&] {
                media_drops_.observe(o.media_drops(), steady);
                return fanout_faults(media_drops_, steady, o.server_unit);
            },
            held(AlarmKind::fanout_behind));
    if (o.database_errors)
        reconcile(
            AlarmKind::database_errors,
            [&] {
                auto errors = o.database_errors();
                database_errors_.observe(errors.count, steady);
                return database_faults(database_errors_, errors.last, steady, o.server_unit);
            },
            held(AlarmKind::database_errors));
}

void Supervisor::count_played() {
    // Reports come every few seconds, and the last ones of an airing after it ends: rows are
    // counted every 5 s, and for a minute after they close.
    constexpr auto kEvery = std::chrono::seconds(5);
    constexpr auto kAfterEnd = std::chrono::minutes(1);
    // The first seconds of an airing may still be the last of what played before (jitter
    // buffers, a second's rounding): a row longer than this is counted from after them.
    constexpr std::int64_t kSwitchS = 2;
    auto steady = clock_.steady_now();
    if (steady < next_played_count_)
        return;
    next_played_count_ = steady + kEvery;
    try {
        auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.system_now());
        auto rows = observed_.airings(schedules::Millis(now - kAfterEnd));
        std::vector<PlayedQuery> queries;
        for (const auto& row : rows) {
            auto from = row.started_at.time_since_epoch().count() / 1000;
            auto to =
                (row.ended_at ? *row.ended_at : schedules::Millis(now)).time_since_epoch().count() /
                1000;
            queries.push_back({row.channel, to - from > 2 * kSwitchS ? from + kSwitchS : from, to});
        }
        auto played = observed_.played(queries);
        std::map<std::int64_t, PlayedClusters> kept;
        for (std::size_t i = 0; i < rows.size() && i < played.size(); ++i) {
            const auto& row = rows[i];
            auto& clusters = kept[row.id];
            if (auto it = played_.find(row.id); it != played_.end())
                clusters = std::move(it->second);
            for (const auto& [id, second] : played[i]) { // a late report may tell of earlier sound
                auto [at, fresh] = clusters.emplace(id, second);
                if (!fresh)
                    at->second = std::min(at->second, second);
            }
            auto count = static_cast<std::int64_t>(clusters.size());
            if (count == 0 || count < row.played) // never less than a count from before a restart
                continue;
            std::int64_t first = INT64_MAX, last = INT64_MIN;
            for (const auto& [id, second] : clusters) {
                first = std::min(first, second);
                last = std::max(last, second);
            }
            auto first_at = schedules::Millis(std::chrono::seconds(first));
            auto last_at = schedules::Millis(std::chrono::seconds(last));
            if (count > row.played || row.first_played != first_at || row.last_played != last_at)
                observed_.note_played(row.id, count, first_at, last_at);
        }
        played_ = std::move(kept);
    } catch (const std::exception& e) {
        log()->error("as-run played: {}", e.what());
    }
}

} // namespace loa::server
