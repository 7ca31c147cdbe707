// When backups are taken, and what is done after each: pruning and the off-site copy.

#include "loa/server/backups/backup_scheduler.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <string_view>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loa/common/logging.hpp"
#include "loa/schedules/recurrence.hpp"

extern char** environ;

namespace loa::server {
namespace {

using std::chrono::system_clock;
namespace json = boost::json;

auto log() {
    static auto logger = common::logger("backups");
    return logger;
}

/// "2026-11-30" moved by `days`.
std::string day_after(const std::string& day, int days) {
    int y = 0;
    unsigned m = 0, d = 0;
    if (std::sscanf(day.c_str(), "%d-%u-%u", &y, &m, &d) != 3)
        return day;
    std::chrono::year_month_day date(
        std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)) +
        std::chrono::days(days));
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    return text;
}

/// The configured times of day on the local days before, of and after `now`, in UTC, sorted;
/// none if the time zone cannot say what day it is.
std::vector<system_clock::time_point> times_around(system_clock::time_point now,
                                                   const BackupSettings& settings) {
    std::vector<system_clock::time_point> out;
    auto local = schedules::utc_to_local(std::chrono::floor<std::chrono::seconds>(now),
                                         settings.keep.time_zone);
    if (!local)
        return out;
    auto day = local->substr(0, 10);
    for (int offset : {-1, 0, 1})
        for (const auto& at : settings.at)
            if (auto t = schedules::local_to_utc(day_after(day, offset) + "T" + at + ":00",
                                                 settings.keep.time_zone))
                out.emplace_back(*t);
    std::sort(out.begin(), out.end());
    return out;
}

std::int64_t ms_of(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

json::value optional_ms(const std::optional<std::chrono::system_clock::time_point>& t) {
    return t ? json::value(ms_of(*t)) : json::value(nullptr);
}

/// Starts `command` with `folder` added, without a shell: stdin from /dev/null, none of the
/// server's other descriptors (its listening sockets), no signal blocked or ignored, in a
/// process group of its own (so that a timeout ends what it started too), and the server's
/// environment without its LOA_ variables (the sealing key, the first admin's password).
common::Result<pid_t> spawn_copy_command(const std::vector<std::string>& command,
                                         const std::string& folder) {
    std::vector<std::string> args = command;
    args.push_back(folder);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> env;
    for (char** e = environ; *e != nullptr; ++e)
        if (std::string_view(*e).substr(0, 4) != "LOA_")
            env.push_back(*e);
    env.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGUSR1})
        sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                              POSIX_SPAWN_SETPGROUP);
    pid_t pid = 0;
    int spawned = posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (spawned != 0)
        return common::make_error(common::Errc::io_error, std::strerror(spawned));
    return pid;
}

} // namespace

bool valid_time_of_day(const std::string& at) {
    auto digit = [&](std::size_t i) { return at[i] >= '0' && at[i] <= '9'; };
    if (at.size() != 5 || !digit(0) || !digit(1) || at[2] != ':' || !digit(3) || !digit(4))
        return false;
    return (at[0] - '0') * 10 + (at[1] - '0') < 24 && at[3] < '6';
}

json::object backup_json(const Backup& b) {
    std::uint64_t media_bytes = 0;
    for (const auto& m : b.media)
        media_bytes += m.bytes;
    return {{"name", b.name},
            {"taken_at_ms", b.taken_ms},
            {"database_bytes", b.database_bytes},
            {"media_files", b.media.size()},
            {"media_bytes", media_bytes}};
}

json::object backup_state_json(const BackupState& s) {
    return {{"enabled", s.enabled},
            {"dir", s.dir},
            {"running", s.running},
            {"count", s.count},
            {"newest", s.newest ? json::value(backup_json(*s.newest)) : json::value(nullptr)},
            {"last_attempt_at_ms", optional_ms(s.last_attempt)},
            {"last_seconds", s.last_seconds},
            {"last_error", s.last_error},
            {"failures", s.failures},
            {"next_at_ms", optional_ms(s.next)}};
}

std::optional<std::pair<std::string, std::string>>
check_backup_settings(const BackupSettings& settings) {
    using Fault = std::pair<std::string, std::string>;
    if (settings.dir.empty())
        return std::nullopt;
    if (settings.dir.front() != '/')
        return Fault{"dir", "must be an absolute path"};
    if (settings.at.empty())
        return Fault{"at", "must name at least one time of day (\"HH:MM\")"};
    for (const auto& at : settings.at)
        if (!valid_time_of_day(at))
            return Fault{"at", "\"" + at + R"(" is not a time of day "HH:MM")"};
    if (settings.keep.daily < 1 || settings.keep.weekly < 0 || settings.keep.monthly < 0)
        return Fault{"keep_daily", "keep_daily must be 1 or more, keep_weekly and keep_monthly 0 "
                                   "or more"};
    if (!settings.after_command.empty() && !settings.after_command.front().starts_with('/'))
        return Fault{"after_command",
                     "its program must be an absolute path (it runs without a shell)"};
    return std::nullopt;
}

BackupScheduler::BackupScheduler(std::string state_dir, BackupSettings settings,
                                 const common::Clock& clock, Done done)
    : state_dir_(std::move(state_dir)), settings_(std::move(settings)), clock_(clock),
      done_(std::move(done)) {
    state_.enabled = !settings_.dir.empty();
    state_.dir = settings_.dir;
    if (state_.enabled) {
        auto backups = list_backups(settings_.dir);
        state_.count = backups.size();
        if (!backups.empty())
            state_.newest = std::move(backups.back());
        state_.next = next_time_of_day(clock_.system_now());
    }
}

BackupScheduler::~BackupScheduler() {
    stop();
}

void BackupScheduler::start(std::chrono::milliseconds tick) {
    if (settings_.dir.empty())
        return;
    stopping_ = false;
    cancel_ = false;
    thread_ = std::thread([this, tick] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            run_due();
            lock.lock();
            wake_.wait_for(lock, tick, [this] { return stopping_ || requested_; });
        }
    });
    log()->info("backups into {} at {} ({}), keeping {} daily, {} weekly, {} monthly",
                settings_.dir, settings_.at.front(), settings_.keep.time_zone, settings_.keep.daily,
                settings_.keep.weekly, settings_.keep.monthly);
}

void BackupScheduler::stop() {
    cancel_ = true; // a backup running stops between two media files
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

bool BackupScheduler::request() {
    {
        std::lock_guard lock(mutex_);
        if (!state_.enabled || state_.running || requested_)
            return false;
        requested_ = true;
    }
    wake_.notify_all();
    return true;
}

bool BackupScheduler::run_due() {
    if (settings_.dir.empty())
        return false;
    auto now = clock_.system_now();
    {
        std::lock_guard lock(mutex_);
        if (state_.running)
            return false;
        bool due = requested_;
        if (!due) {
            auto last = last_time_of_day(now);
            bool missed =
                last &&
                (!state_.newest ||
                 state_.newest->taken_ms <
                     std::chrono::duration_cast<std::chrono::milliseconds>(last->time_since_epoch())
                         .count());
            // After a failure: again once retry_after has passed, or at the next time of day.
            // After a failure (the backup, its pruning or its copy command): again once
            // retry_after has passed, or at the next time of day, whichever comes first.
            bool failed_since_last =
                retry_at_ && last && state_.last_attempt && *state_.last_attempt >= *last;
            due = (missed && !failed_since_last) || (retry_at_ && now >= *retry_at_);
        }
        if (!due)
            return false;
        requested_ = false;
        state_.running = true;
    }
    auto started = clock_.steady_now();
    auto error = take();
    auto backups = list_backups(settings_.dir);
    BackupState done;
    {
        std::lock_guard lock(mutex_);
        state_.running = false;
        state_.last_attempt = clock_.system_now();
        state_.last_seconds = std::chrono::duration<double>(clock_.steady_now() - started).count();
        state_.last_error = error;
        state_.count = backups.size();
        state_.newest = backups.empty() ? std::nullopt : std::optional(std::move(backups.back()));
        state_.next = next_time_of_day(*state_.last_attempt);
        if (error.empty()) {
            retry_at_.reset();
        } else {
            ++state_.failures;
            retry_at_ = *state_.last_attempt + settings_.retry_after;
        }
        done = state_;
    }
    if (done_)
        done_(done);
    return true;
}

BackupState BackupScheduler::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

std::optional<system_clock::time_point>
BackupScheduler::last_time_of_day(system_clock::time_point now) const {
    std::optional<system_clock::time_point> last;
    for (auto t : times_around(now, settings_))
        if (t <= now)
            last = t;
    return last;
}

std::optional<system_clock::time_point>
BackupScheduler::next_time_of_day(system_clock::time_point now) const {
    for (auto t : times_around(now, settings_))
        if (t > now)
            return t;
    return std::nullopt;
}

std::string BackupScheduler::take() {
    auto backup = take_backup(state_dir_, settings_.dir, clock_.system_now(), &cancel_);
    if (!backup)
        return backup.error().message;
    if (auto pruned = prune_backups(settings_.dir, settings_.keep); !pruned)
        return "the backup " + backup->name +
               " was taken, but pruning failed: " + pruned.error().message;
    if (!settings_.after_command.empty())
        return copy_off_site(backup->path);
    return "";
}

std::string BackupScheduler::copy_off_site(const std::string& folder) {
    const auto& program = settings_.after_command.front();
    auto child = spawn_copy_command(settings_.after_command, folder);
    if (!child)
        return "the copy command " + program + " could not start: " + child.error().message;
    pid_t pid = *child;
    int status = 0;
    // Waited for in slices of real time, so that a server stopping does not wait it out.
    auto deadline = std::chrono::steady_clock::now() + settings_.after_command_timeout;
    bool timed_out = false, stopping = false;
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    for (;;) {
        if (pidfd >= 0) {
            pollfd exited{pidfd, POLLIN, 0};
            if (::poll(&exited, 1, 200) > 0)
                break;
        } else { // a kernel without pidfd
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                pid = 0;
                break;
            }
            ::poll(nullptr, 0, 200);
        }
        stopping = cancel_;
        timed_out = std::chrono::steady_clock::now() >= deadline;
        if (stopping || timed_out)
            break;
    }
    if (pidfd >= 0)
        ::close(pidfd);
    if (stopping || timed_out) {
        ::kill(-pid, SIGKILL); // its group: what a wrapper script started goes too
        ::waitpid(pid, &status, 0);
        return "the copy command " + program +
               (timed_out ? " was stopped after " +
                                std::to_string(settings_.after_command_timeout.count()) + " s"
                          : std::string(" was stopped with the server"));
    }
    if (pid != 0)
        ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        log()->info("copy command {} done for {}", program, folder);
        return "";
    }
    return "the copy command " + program + " failed (" +
           (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                              : "signal " + std::to_string(WTERMSIG(status))) +
           ")";
}

} // namespace loa::server
