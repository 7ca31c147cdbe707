#pragma once
/// @file
/// The supervisor: runs every check (checks.hpp) once a second on its own thread and hands
/// the faults it finds to the alarm book, which raises and clears the alarms.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "loa/common/clock.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/server/supervision/airing_checks.hpp"
#include "loa/server/supervision/alarm_book.hpp"
#include "loa/server/supervision/checks.hpp"
#include "loa/server/supervision/play_checks.hpp"

namespace loa::server {

/// What the supervisor observes: each a function, so that tests give their own figures.
struct Observed {
    /// The provisioned clusters, as the hub sees them.
    std::function<std::vector<ReceiverView>()> receivers;
    /// Each provisioned cluster's unit id.
    std::function<std::map<std::string, std::int64_t>()> unit_of;
    std::chrono::seconds offline_grace{20}; ///< control.offline_grace_s
    std::function<std::optional<DiskSpace>()> disk;
    std::string state_dir; ///< named in the disk alarm's text
    std::function<std::optional<bool>()> clock_synchronised;
    /// When the HTTPS certificate expires; null without TLS.
    std::function<std::optional<std::chrono::system_clock::time_point>()> certificate_expiry;
    std::optional<std::int64_t> server_unit; ///< the province: whom the server's alarms concern
    /// What each cluster's channel carries now (MediaServer::channel_sound).
    std::function<std::map<std::string, ChannelSound>()> channel_sound;
    /// The programs on air and how long each has been silent (MediaServer::program_sound).
    std::function<std::vector<ProgramSound>()> programs;
    /// The id of the unit of code `code`, if there is one.
    std::function<std::optional<std::int64_t>(const std::string& code)> unit_of_code;
    /// The as-run rows open or ended at or after a time (ScheduleApi::recent_as_run).
    std::function<std::vector<schedules::AsRunRecord>(schedules::Millis ended_after)> airings;
    /// For each query, the clusters of its channel that played sound (ReceiverHub::played).
    std::function<std::vector<PlayedClusters>(const std::vector<PlayedQuery>& queries)> played;
    /// Records how many clusters verifiably played an as-run row, and when the first and the
    /// last of them began to (ScheduleApi::note_played).
    std::function<void(std::int64_t as_run, std::int64_t clusters, schedules::Millis first,
                       schedules::Millis last)>
        note_played;
    /// The airings that failed at or after a time (FailedAirings::since).
    std::function<std::vector<FailedAiring>(std::chrono::system_clock::time_point since)>
        failed_airings;
    /// Frames the media path dropped since the server started, as it fell behind.
    std::function<std::uint64_t()> media_drops;
    /// The process's database errors (common::database_errors).
    std::function<common::DatabaseErrors()> database_errors;
    /// What the backups did last (BackupScheduler::state); null without backups.
    std::function<BackupState()> backups;
    std::chrono::hours backup_late_after{26}; ///< backups.late_after_h
};

/// Runs the checks. Thread-safe.
class Supervisor {
public:
    Supervisor(AlarmBook& alarms, Observed observed, SupervisionSettings settings,
               const common::Clock& clock);
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;
    ~Supervisor();

    /// Checks every SupervisionSettings::check_every on its own thread until stop().
    void start();
    void stop();
    /// Runs every check once (the thread calls this; tests may too).
    void check();

private:
    /// Raises and clears `kind`'s alarms from the faults `find()` returns, keeping those of
    /// `undetermined` as they are; logs a failure.
    template <class Find>
    void reconcile(AlarmKind kind, Find&& find, const std::set<std::string>& undetermined = {});
    /// Proof of play: samples every cluster, then raises and clears its four kinds.
    void check_play(const std::vector<ReceiverView>& receivers,
                    const std::map<std::string, std::int64_t>& unit_of);
    /// The programs on air: dead air, audio late to start. `unit_of_channel` gives a channel's
    /// unit.
    void check_programs(
        const std::function<std::optional<std::int64_t>(const std::string&)>& unit_of_channel);
    /// The as-run log's `played`: each recent airing's clusters that played sound during it.
    void count_played();
    /// Events: airings that failed, frames dropped, database errors.
    void check_events();

    AlarmBook& alarms_;
    Observed observed_;
    SupervisionSettings settings_;
    const common::Clock& clock_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::system_clock::time_point started_at_; ///< the same on the wall clock
    PlayHistory play_;                                 ///< the supervisor thread's own
    /// The clusters that played each recent airing, by as-run row (the supervisor thread's).
    std::map<std::int64_t, PlayedClusters> played_; ///< by as-run row
    std::chrono::steady_clock::time_point next_played_count_{};
    EventWatch media_drops_;     ///< the supervisor thread's own
    EventWatch database_errors_; ///< the supervisor thread's own
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace loa::server
