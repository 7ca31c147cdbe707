#include "loa/server/monitoring/online_sampler.hpp"

#include "loa/common/logging.hpp"

namespace loa::server {

std::map<std::string, std::pair<int, int>> clusters_by_unit(ReceiverHub& hub) {
    std::map<std::string, std::pair<int, int>> units;
    for (const auto& r : hub.list(Scope{})) {
        const auto& o = r.as_object();
        auto& counts = units[std::string(o.at("unit").as_string())];
        ++counts.second;
        if (o.at("online").as_bool())
            ++counts.first;
    }
    return units;
}

void sample_online(OnlineHistory& history, ReceiverHub& hub, const common::Clock& clock) {
    auto units = clusters_by_unit(hub);
    auto now = std::chrono::floor<std::chrono::milliseconds>(clock.system_now());
    if (auto done = history.record(now, units); !done)
        common::logger("server")->warn("could not record clusters online: {}",
                                       done.error().message);
}

} // namespace loa::server
