// indicators.get: the indicators of the caller's units (docs/indicators.md).
#include "loa/server/api/gateway.hpp"
#include "loa/server/reports/indicator_report.hpp"

namespace loa::server {

boost::json::value ApiGateway::indicators(const Params& p, const Caller& caller) {
    if (indicators_ == nullptr)
        throw RpcError(rpc_code::kInternalError, "this server keeps no indicators");
    auto query = indicator_query(p, indicators_->today());
    const auto& scope = caller.scope;
    return indicators_report(*indicators_, query, [&scope](std::int64_t unit) {
        return scope.all || scope.units.count(unit) != 0;
    });
}

boost::json::value ApiGateway::indicator_deliveries() {
    if (push_ == nullptr)
        return boost::json::array{};
    return push_->state();
}

} // namespace loa::server
