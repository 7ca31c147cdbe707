#pragma once
/// @file
/// The supervisor's checks: from what the server observes now, the faults present. Each check
/// is a pure function of its observations and thresholds, so that tests drive it with a
/// manual clock and made-up figures; the probes that observe the real machine are in
/// health.hpp.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loa/server/backups/backup_scheduler.hpp"
#include "loa/server/receivers/hub.hpp"
#include "loa/server/supervision/alarm.hpp"
#include "loa/server/supervision/thresholds.hpp"

namespace loa::server {

/// Free and total space of a file system, in bytes.
struct DiskSpace {
    std::uint64_t free = 0;
    std::uint64_t total = 0;
};

/// Provisioned clusters that are not online (ReceiverView::online, which already waits out
/// the offline grace). A cluster not seen since the server started counts only once the
/// server has been up for `grace` and the cluster provisioned for as long: receivers need a
/// moment to come back after a restart, or to say their first hello; until then they are
/// added to `undetermined` (an alarm they had stays). `unit_of` gives each cluster's unit id;
/// `now` is the wall clock.
std::vector<Fault> offline_faults(const std::vector<ReceiverView>& receivers,
                                  const std::map<std::string, std::int64_t>& unit_of,
                                  std::chrono::seconds up, std::chrono::seconds grace,
                                  std::chrono::system_clock::time_point now,
                                  std::set<std::string>& undetermined);

/// The state folder's disk below either threshold; `server_unit` is the province's unit.
std::vector<Fault> disk_faults(const std::optional<DiskSpace>& space, const std::string& state_dir,
                               const SupervisionSettings& settings,
                               std::optional<std::int64_t> server_unit);

/// The system clock not synchronised (nullopt: cannot tell, no fault).
std::vector<Fault> clock_faults(std::optional<bool> synchronised,
                                const SupervisionSettings& settings,
                                std::optional<std::int64_t> server_unit);

/// The HTTPS certificate expiring within the warning time (a warning), or expired (critical).
std::vector<Fault> certificate_faults(std::optional<std::chrono::system_clock::time_point> expiry,
                                      std::chrono::system_clock::time_point now,
                                      const SupervisionSettings& settings,
                                      std::optional<std::int64_t> server_unit);

/// The backups: the last attempt failed (major, until one works), or the newest backup is
/// older than `late_after` (minor; counted from `up_since` when there is none yet).
std::vector<Fault> backup_faults(const BackupState& state,
                                 std::chrono::system_clock::time_point now,
                                 std::chrono::system_clock::time_point up_since,
                                 std::chrono::hours late_after,
                                 std::optional<std::int64_t> server_unit);

} // namespace loa::server
