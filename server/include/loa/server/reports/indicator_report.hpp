#pragma once
/// @file
/// indicators.get: a unit's indicators and those of the units under it, per day, week, month
/// or year (docs/indicators.md).

#include <boost/json.hpp>
#include <functional>
#include <optional>
#include <string>

#include "loa/server/api/rpc.hpp"
#include "loa/server/reports/indicators.hpp"

namespace loa::server {

/// What indicators.get is asked.
struct IndicatorQuery {
    std::optional<std::string> unit; ///< a unit's code; nullopt: the province (or the key's unit)
    /// day, week (ISO, from Monday), month, year, or all (one period from `from` to `to`)
    std::string period = "day";
    std::string from, to;     ///< reporting days, inclusive
    bool predecessors = true; ///< a unit's rows cover the units merged into it
    bool children = true;     ///< a row for each unit under the unit too
};

/// The query in `params`; throws RpcError naming a bad parameter. `today` is the reporting
/// day under way, the default end.
IndicatorQuery indicator_query(const Params& params, const std::string& today);

/// The rows of `query` for a caller who may read the units `may_read` admits; throws RpcError
/// (unknown unit, a unit outside the caller's).
boost::json::value indicators_report(IndicatorBook& book, const IndicatorQuery& query,
                                     const std::function<bool(std::int64_t)>& may_read);

} // namespace loa::server
