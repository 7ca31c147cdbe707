#pragma once
/// @file
/// Test helpers: real child processes with their output captured to files, and temp folders.

#include <chrono>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace loa::test {

/// A child process; killed (SIGKILL) on destruction if still running.
class Process {
public:
    /// Starts `argv` with stdout and stderr appended to `log_path`.
    Process(const std::vector<std::string>& argv, const std::string& log_path);
    Process(Process&& other) noexcept;
    Process& operator=(Process&&) = delete;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();

    pid_t pid() const { return pid_; }
    void signal(int sig) const;
    /// Waits up to `timeout` for exit; returns the exit status, or -1 on timeout.
    int wait(std::chrono::milliseconds timeout);
    bool running();

private:
    pid_t pid_ = -1;
    int status_ = -1;
};

/// A fresh folder under the system temp dir, removed on destruction unless LOA_KEEP_TEST_FILES.
class TempDir {
public:
    explicit TempDir(const std::string& name);
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/// Polls `condition` every 20 ms until true or `timeout`; returns whether it became true.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

/// Reads a whole file ("" if missing).
std::string read_file(const std::string& path);

/// A UDP port that was free a moment ago on 127.0.0.1.
int free_udp_port();
/// A TCP port that was free a moment ago on 127.0.0.1.
int free_tcp_port();

} // namespace loa::test
