#pragma once
/// @file
/// Reading the counters loa-swarm writes to its stats file (loa-swarm run --stats FILE).

#include <cstdint>
#include <string>

namespace loa::test {

/// A counter of the stats file ("connected", "statuses", ...); -1 before the first write or if
/// the file has no such counter.
std::int64_t swarm_counter(const std::string& stats_path, const char* name);

} // namespace loa::test
