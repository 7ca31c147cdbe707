#pragma once
// The JSON shapes of the schedule's objects and the parameter checks shared by the schedule's
// methods (schedule_api.cpp, entry_methods.cpp, stats_history.cpp). Internal to loa-server.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loa/schedules/store.hpp"
#include "loa/server/api/rpc.hpp"

namespace loa::server::schedule_json {

/// A time as ISO 8601 UTC with milliseconds, e.g. "2026-11-23T06:30:00.000Z".
std::string iso_utc(schedules::Millis at);
boost::json::object unit_json(const schedules::Unit& u);
boost::json::object program_json(const schedules::Program& p);
boost::json::object entry_json(const schedules::Entry& e, schedules::ScheduleStore& store);
boost::json::object as_run_json(const schedules::AsRunRecord& r);
/// params.duration_s: 1 s to 7 days (longer is a mistake, and would overflow).
std::int64_t duration_s(const Params& p);
/// params.NAME as milliseconds since 1970, within years 1970-9999; nullopt if absent.
std::optional<std::int64_t> time_ms(const Params& p, const char* name);

/// Each item converted to JSON.
template <class T, class F> boost::json::array array_of(const std::vector<T>& items, F&& convert) {
    boost::json::array out;
    for (const auto& item : items)
        out.push_back(convert(item));
    return out;
}

} // namespace loa::server::schedule_json
