#pragma once
// Shared helpers of the benchmarks.

#include <chrono>
#include <cstdint>
#include <fstream>
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

} // namespace loa::bench
