#pragma once
// Shared helpers of the benchmarks.

#include <chrono>
#include <cstdint>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace loa::bench {

/// Resident set size of this process, in bytes.
inline std::uint64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

/// Seconds since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// CPU time of the calling thread, split into user space and kernel.
struct CpuTime {
    double user = 0;
    double system = 0;
};

inline CpuTime thread_cpu() {
    rusage u{};
    ::getrusage(RUSAGE_THREAD, &u);
    return {static_cast<double>(u.ru_utime.tv_sec) + u.ru_utime.tv_usec / 1e6,
            static_cast<double>(u.ru_stime.tv_sec) + u.ru_stime.tv_usec / 1e6};
}

/// CPU time of every thread of a process, in seconds (nanosecond resolution: schedstat).
inline double process_cpu_seconds(pid_t pid) {
    std::string dir = "/proc/" + std::to_string(pid) + "/task";
    double total = 0;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.')
                continue;
            std::ifstream stat(dir + "/" + e->d_name + "/schedstat");
            std::uint64_t ns = 0;
            stat >> ns;
            total += static_cast<double>(ns) / 1e9;
        }
        ::closedir(d);
    }
    return total;
}

/// CPU time of a process, its exited threads included (utime + stime of /proc/PID/stat, in
/// clock ticks: 10 ms resolution), in seconds.
inline double process_cpu_total_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto fields = text.substr(text.rfind(')') + 2); // the name may hold spaces
    std::istringstream in(fields);
    std::string skip;
    for (int i = 3; i < 14; ++i) // fields 3..13
        in >> skip;
    double user = 0, system = 0;
    in >> user >> system;
    return (user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

} // namespace loa::bench
