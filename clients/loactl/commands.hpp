#pragma once
/// @file
/// loactl's commands. Each takes its checked words, talks to the server and returns the exit
/// status (0); failures throw (UsageError, loa::clients::ApiError, std::runtime_error).

#include "cli.hpp"

namespace loactl {

// Account, units and receivers (account_commands.cpp).
int login(Context& c, const Args& a);
int logout(Context& c, const Args& a);
int units(Context& c, const Args& a);
int receivers(Context& c, const Args& a);
int volume(Context& c, const Args& a);
int provision(Context& c, const Args& a);

/// --unit CODE... and --cluster ID... into params; at least one when `required`.
void add_targets(const Args& a, json::object& params, bool required);

// Programs, schedule, overrides and the as-run log (air_commands.cpp).
int programs(Context& c, const Args& a);
int program_create(Context& c, const Args& a);
int program_decide(Context& c, const Args& a);
int entries(Context& c, const Args& a);
int schedule(Context& c, const Args& a);
int unschedule(Context& c, const Args& a);
int emergency_start(Context& c, const Args& a);
int emergency_stop(Context& c, const Args& a);
int stop_all(Context& c, const Args& a);
int release(Context& c, const Args& a);
int overrides(Context& c, const Args& a);
int as_run(Context& c, const Args& a);
int call(Context& c, const Args& a);

// Speaking live (live_command.cpp).
int live(Context& c, const Args& a);

} // namespace loactl
