#pragma once
/// @file
/// How many clusters of each unit were online, sampled every few minutes and kept in the
/// database, so that the console can chart the last days (stats.history) and a restart loses
/// none of it.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "loa/common/sqlite.hpp"
#include "loa/schedules/store.hpp"

namespace loa::server {

/// One unit's clusters at one sample.
struct OnlineSample {
    schedules::Millis at;
    std::string unit; ///< the unit's code
    int online = 0;   ///< clusters online then
    int clusters = 0; ///< clusters provisioned then
};

/// Clusters online per unit over time (table online_sample of loa.db). Thread-safe.
class OnlineHistory {
public:
    /// How often loa-server samples.
    static constexpr std::chrono::minutes kInterval{5};
    /// Samples older than this are deleted as new ones come.
    static constexpr std::chrono::days kKeep{400};

    /// Opens (creating its table in) the database file.
    explicit OnlineHistory(const std::string& database);

    /// Records one sample: unit code -> {online, clusters}.
    common::Result<void> record(schedules::Millis at,
                                const std::map<std::string, std::pair<int, int>>& units);
    /// The samples in [from, to), oldest first.
    common::Result<std::vector<OnlineSample>> between(schedules::Millis from, schedules::Millis to);

private:
    std::mutex mutex_;
    common::Database db_;
};

} // namespace loa::server
