#pragma once
// The units as the history names them (stats_history.cpp, the as-run log in
// override_methods.cpp): which unit bore a code on a day and its name then, and the codes a
// unit's reports cover, its predecessors' too if asked. Internal to loa-server.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loa/schedules/store.hpp"

namespace loa::server {

/// The unit that bore a code on a day, as it was named then.
struct UnitThen {
    std::int64_t unit = 0;
    std::string code;
    std::string name;
};

/// Every unit with every code and name it bore, read once for a report.
class UnitHistory {
public:
    /// Reads the units and their former names through `store`; throws RpcError on failure.
    explicit UnitHistory(schedules::ScheduleStore& store);

    /// The unit that bore `code` on `date` (YYYY-MM-DD, local), named as it was then; if no
    /// name's dates hold `date` (a row from before the unit's first day), the unit that bears
    /// the code now, or bore it last. nullopt: no unit ever bore it.
    std::optional<UnitThen> at(const std::string& code, const std::string& date) const;
    /// The unit that bears `code` now or bore it before; nullopt if none.
    std::optional<std::int64_t> unit_of(const std::string& code) const;
    /// Every code `unit` bore; with `predecessors`, also every code the units merged into it
    /// bore, at any depth.
    std::set<std::string> codes_of(std::int64_t unit, bool predecessors) const;
    /// Every unit, in id order, as read.
    const std::vector<schedules::Unit>& units() const { return units_; }

private:
    std::vector<schedules::Unit> units_;
    /// By unit: every code and name it bore, the current one last.
    std::map<std::int64_t, std::vector<schedules::UnitName>> names_;
};

} // namespace loa::server
