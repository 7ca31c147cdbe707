#include "loa/server/api/rest_route_table.hpp"

#include <array>

#include "loa/server/api/rest_routes.hpp"

namespace loa::server::rest {
namespace {

// clang-format off
const std::array kRoutes = {
    RestRoute{"POST", kUploadPath, "", "programs.create", {}, {}, {}, upload_program},
    RestRoute{"GET", "/api/v1/as-run.csv", "", "as_run.list", {}, {}, {}, as_run},
    RestRoute{"GET", "/api/v1/as-run.json", "", "as_run.list", {}, {}, {}, as_run},
    RestRoute{"GET", "/api/v1/indicators.json", "", "indicators.get", {}, {}, {}, indicators},
    RestRoute{"GET", "/api/v1/indicators.csv", "", "indicators.get", {}, {}, {}, indicators},
    RestRoute{"GET", "/api/v1/reports/stations.xlsx", "", "indicators.get", {}, {}, {},
              stations_report},
    RestRoute{"GET", "/api/v1/reports/operations.xlsx", "", "indicators.get", {}, {}, {},
              operations_report},
    RestRoute{"GET", "/api/v1/units/", "/schedule.ics", "schedule.export", {}, {}, {},
              unit_calendar},
    // Any role, for a channel its units may read (the handler checks the channel).
    RestRoute{"GET", "/api/v1/channels/", "/listen.ogg", "", Permission::read, Channel::any, {},
              listen_in},
    // The key is in it: as for provisioning, admins only, and over TLS or on 127.0.0.1.
    RestRoute{"GET", "/api/v1/receivers/", "/sdp", "", Permission::admin, Channel::confidential,
              "a receiver's SDP holds its key: admins only", receiver_sdp},
};
// clang-format on

} // namespace

std::span<const RestRoute> rest_routes() {
    return kRoutes;
}

const RestRoute* find_route(const std::string& path, std::string& name) {
    for (const auto& route : kRoutes) {
        if (route.suffix.empty()) {
            if (path == route.prefix)
                return &route;
            continue;
        }
        if (path.size() > route.prefix.size() + route.suffix.size() &&
            path.starts_with(route.prefix) && path.ends_with(route.suffix)) {
            name = path.substr(route.prefix.size(),
                               path.size() - route.prefix.size() - route.suffix.size());
            return &route;
        }
    }
    return nullptr;
}

} // namespace loa::server::rest
