// The units as the history names them: a code on a day, and the codes of a unit's lineage.
#include "unit_history.hpp"

#include "loa/server/api/rpc.hpp"

namespace loa::server {

UnitHistory::UnitHistory(schedules::ScheduleStore& store)
    : units_(value_or_throw(store.units())), names_(value_or_throw(store.former_unit_names())) {
    for (const auto& u : units_)
        names_[u.id].push_back({u.code, u.name, u.named_from, u.valid_to});
}

std::optional<UnitThen> UnitHistory::at(const std::string& code, const std::string& date) const {
    std::optional<UnitThen> fallback;
    for (const auto& [unit, names] : names_)
        for (const auto& n : names) {
            if (n.code != code)
                continue;
            if (n.valid_from <= date && (!n.valid_to || date < *n.valid_to))
                return UnitThen{unit, n.code, n.name};
            // The name it bore last under this code (names are oldest first).
            fallback = UnitThen{unit, n.code, n.name};
        }
    return fallback;
}

std::optional<std::int64_t> UnitHistory::unit_of(const std::string& code) const {
    for (const auto& [unit, names] : names_)
        for (const auto& n : names)
            if (n.code == code)
                return unit;
    return std::nullopt;
}

std::set<std::string> UnitHistory::codes_of(std::int64_t unit, bool predecessors) const {
    std::set<std::string> codes;
    std::set<std::int64_t> lineage{unit};
    // The units merged into it, at any depth (bounded: each unit joins once).
    for (bool grew = predecessors; grew;) {
        grew = false;
        for (const auto& u : units_)
            if (u.merged_into && lineage.count(*u.merged_into) != 0 && lineage.insert(u.id).second)
                grew = true;
    }
    for (auto id : lineage)
        if (auto it = names_.find(id); it != names_.end())
            for (const auto& n : it->second)
                codes.insert(n.code);
    return codes;
}

} // namespace loa::server
