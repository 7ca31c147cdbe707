#pragma once
/// @file
/// Which receivers are online: one definition, for /metrics, stats.history and the console.
/// A provisioned receiver is online while its control channel is connected, and for
/// control.offline_grace_s after it drops (ReceiverView::online). A receiver of the
/// configuration file has no control channel: it is online while its reports arrive, one in
/// the last kReportedWithin.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/server/app/settings.hpp"
#include "loa/server/media/receiver_status.hpp"
#include "loa/server/monitoring/online_history.hpp"
#include "loa/server/receivers/hub.hpp"

namespace loa::server {

/// How recent a configured receiver's last report must be for it to count as online.
inline constexpr std::chrono::seconds kReportedWithin{30};

/// The receivers of one unit, and how many of them are online.
struct UnitPresence {
    std::int64_t receivers = 0;
    std::int64_t online = 0;
};

/// Receivers and those online per unit code: the configured ones (`links` holds their reports)
/// and the provisioned ones.
std::map<std::string, UnitPresence>
presence_by_unit(const std::vector<ReceiverSettings>& configured,
                 const std::vector<ReceiverStatus>& links,
                 const std::vector<ReceiverView>& provisioned);

/// Records how many receivers of each unit are online now (stats.history); a failure is
/// logged.
void sample_online(OnlineHistory& history, const std::map<std::string, UnitPresence>& presence,
                   const common::Clock& clock);

} // namespace loa::server
