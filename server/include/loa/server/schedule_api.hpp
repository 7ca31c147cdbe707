#pragma once
/// @file
/// The schedule's methods over JSON-RPC: units, clusters, programs and their approval,
/// schedule entries, .ics export and import, emergencies, stop-alls and the as-run log.
/// docs/api.md lists them with their parameters and errors.

#include <boost/json.hpp>
#include <functional>
#include <mutex>
#include <string>

#include "loa/common/clock.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/program_media.hpp"
#include "loa/server/rpc.hpp"
#include "loa/server/settings.hpp"

namespace loa::server {

/// What the API reads from the running server besides the store.
struct ServerView {
    std::function<std::map<std::string, std::string>()> on_air;
    std::function<boost::json::array()> receivers;
};

/// The methods, with their own connection to the store. Thread-safe (calls are serialised).
class ScheduleApi {
public:
    /// `changed` is called after every change to the schedule or the overrides.
    ScheduleApi(const Settings& settings, const ProgramMedia& media, const common::Clock& clock,
                ServerView view, std::function<void()> changed);

    /// Calls `method` for `caller` (recorded as who decided, started or stopped); throws
    /// RpcError.
    boost::json::value call(const std::string& method, const Params& params,
                            const std::string& caller);

private:
    boost::json::value create_program(const Params& p, const std::string& caller);
    std::int64_t make_program(std::int64_t unit, const Params& p, const std::string& title);
    boost::json::value create_entry(const Params& p);
    boost::json::value start_emergency(const Params& p, const std::string& caller);
    boost::json::value start_stop_all(const Params& p, const std::string& caller);
    boost::json::value end_override(const Params& p, const std::string& caller,
                                    schedules::Override::Kind kind);
    boost::json::value list_as_run(const Params& p);
    std::vector<std::int64_t> unit_ids(const std::vector<std::string>& codes);
    std::int64_t unit_id(const std::string& code);
    schedules::Millis now() const;

    const Settings& settings_;
    const ProgramMedia& media_;
    const common::Clock& clock_;
    ServerView view_;
    std::function<void()> changed_;
    std::mutex mutex_;
    schedules::ScheduleStore store_;
};

} // namespace loa::server
