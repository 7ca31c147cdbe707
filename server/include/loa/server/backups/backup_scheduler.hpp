#pragma once
/// @file
/// Backups taken while the server runs: at the configured local times of day (and at start
/// when the last time passed without one, as after a night the server was off), or when an
/// admin asks (backups.run); each followed by pruning to the retention and by the optional
/// off-site copy command. What it did last is kept for backups.list, /metrics and the
/// supervisor's backup alarms.

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/server/backups/backup.hpp"

namespace loa::server {

/// The [backups] section.
struct BackupSettings {
    std::string dir; ///< where backups go (a mounted NAS or disk); "" = no backups
    /// Local times of day ("HH:MM", in the server's time zone) a backup is taken at.
    std::vector<std::string> at{"02:30"};
    Retention keep; ///< its time_zone is the server's
    /// Run after each backup without a shell: the program and its arguments, with the new
    /// backup's folder added as the last argument (e.g. rsync to another site); empty = none.
    std::vector<std::string> after_command;
    std::chrono::seconds after_command_timeout{std::chrono::minutes(30)};
    /// After a failure, the next try comes this much later (or at the next time of day).
    std::chrono::seconds retry_after{std::chrono::minutes(15)};
    /// backup_late is raised when the newest backup is older than this.
    std::chrono::hours late_after{26};
};

/// What the backups have done: for backups.list, /metrics and the alarms.
struct BackupState {
    bool enabled = false;
    std::string dir;
    bool running = false;
    std::optional<Backup> newest; ///< the newest backup in the folder
    std::size_t count = 0;        ///< backups in the folder
    /// The last attempt: when it ended, how long it took, and its error ("" = it worked,
    /// the copy command included).
    std::optional<std::chrono::system_clock::time_point> last_attempt;
    double last_seconds = 0;
    std::string last_error;
    std::uint64_t failures = 0;                                ///< since the server started
    std::optional<std::chrono::system_clock::time_point> next; ///< the next time of day
};

/// Takes the server's backups on its own thread. Thread-safe.
class BackupScheduler {
public:
    /// Called once a backup attempt has ended, on the scheduler's thread.
    using Done = std::function<void(const BackupState&)>;

    BackupScheduler(std::string state_dir, BackupSettings settings, const common::Clock& clock,
                    Done done = {});
    BackupScheduler(const BackupScheduler&) = delete;
    BackupScheduler& operator=(const BackupScheduler&) = delete;
    ~BackupScheduler();

    /// Looks for a due or asked-for backup every `tick` until stop(); nothing if disabled.
    void start(std::chrono::milliseconds tick = std::chrono::seconds(10));
    void stop();
    /// Asks for a backup as soon as possible (backups.run); false when disabled or when one is
    /// running or asked for already.
    bool request();
    /// Takes a backup if one is asked for or due at the clock's time (the thread calls this;
    /// tests may too); true if it tried.
    bool run_due();
    BackupState state() const;
    const BackupSettings& settings() const { return settings_; }

private:
    /// The latest configured time of day at or before `now`, nullopt if none can be computed.
    std::optional<std::chrono::system_clock::time_point>
    last_time_of_day(std::chrono::system_clock::time_point now) const;
    /// The earliest configured time of day after `now`.
    std::optional<std::chrono::system_clock::time_point>
    next_time_of_day(std::chrono::system_clock::time_point now) const;
    /// One backup, its pruning and its copy command; the error, or "".
    std::string take();
    /// Runs the copy command on `folder`; the error, or "".
    std::string copy_off_site(const std::string& folder);

    std::string state_dir_;
    BackupSettings settings_;
    const common::Clock& clock_;
    Done done_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::atomic<bool> cancel_ = false; ///< stop() asks a running backup or command to end
    bool requested_ = false;
    BackupState state_;
    std::optional<std::chrono::system_clock::time_point> retry_at_;
    std::thread thread_;
};

/// A backup as the API shows it (docs/api.md, "Backups").
boost::json::object backup_json(const Backup& backup);
/// What the backups did, as backups.list and backup.done show it.
boost::json::object backup_state_json(const BackupState& state);

/// Whether `at` is a local time of day "HH:MM".
bool valid_time_of_day(const std::string& at);

/// Checks `dir` (absolute), `at` ("HH:MM" each), the retention and `after_command` (an absolute
/// program path); the key at fault and what is wrong with it, or nullopt.
std::optional<std::pair<std::string, std::string>>
check_backup_settings(const BackupSettings& settings);

} // namespace loa::server
