#include "loa/server/monitoring/presence.hpp"

#include "loa/common/logging.hpp"

namespace loa::server {

std::map<std::string, UnitPresence>
presence_by_unit(const std::vector<ReceiverSettings>& configured,
                 const std::vector<ReceiverStatus>& links,
                 const std::vector<ReceiverView>& provisioned) {
    std::map<std::string, double> since_report;
    for (const auto& l : links)
        since_report[l.id] = l.seconds_since_report;
    std::map<std::string, UnitPresence> units;
    for (const auto& r : configured) {
        auto& unit = units[r.channel];
        ++unit.receivers;
        auto it = since_report.find(r.id);
        if (it != since_report.end() && it->second >= 0 &&
            it->second < static_cast<double>(kReportedWithin.count()))
            ++unit.online;
    }
    for (const auto& r : provisioned) {
        auto& unit = units[r.unit];
        ++unit.receivers;
        unit.online += r.online ? 1 : 0;
    }
    return units;
}

void sample_online(OnlineHistory& history, const std::map<std::string, UnitPresence>& presence,
                   const common::Clock& clock) {
    std::map<std::string, std::pair<int, int>> units;
    for (const auto& [code, p] : presence)
        units[code] = {static_cast<int>(p.online), static_cast<int>(p.receivers)};
    auto now = std::chrono::floor<std::chrono::milliseconds>(clock.system_now());
    if (auto done = history.record(now, units); !done)
        common::logger("server")->warn("could not record clusters online: {}",
                                       done.error().message);
}

} // namespace loa::server
