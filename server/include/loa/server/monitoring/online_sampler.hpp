#pragma once
/// @file
/// Clusters online per unit, as the receivers' control channels show them: sampled into the
/// online history (stats.history) and counted in /metrics.

#include <map>
#include <string>
#include <utility>

#include "loa/common/clock.hpp"
#include "loa/server/monitoring/online_history.hpp"
#include "loa/server/receivers/hub.hpp"

namespace loa::server {

/// Provisioned receivers per unit code: {online, all}.
std::map<std::string, std::pair<int, int>> clusters_by_unit(ReceiverHub& hub);

/// Records how many clusters of each unit are online now; a failure is logged.
void sample_online(OnlineHistory& history, ReceiverHub& hub, const common::Clock& clock);

} // namespace loa::server
