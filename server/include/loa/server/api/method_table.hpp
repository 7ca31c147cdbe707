#pragma once
/// @file
/// The one method table: every method of the API with its name, the role it needs, how the
/// caller's units limit it, what it asks of the connection, whether it is audited, and the
/// handler that runs it. The gateway dispatches by it, the REST routes take their rules from
/// it, the authorization test is generated from it and docs/api.md's list of methods is
/// checked against it. A method missing from it does not exist.

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "loa/server/api/auth_store.hpp"
#include "loa/server/api/caller.hpp"
#include "loa/server/api/rpc.hpp"
#include "loa/server/schedule/schedule_api.hpp"

namespace loa::server {

class ApiGateway;

/// How far each method reaches.
enum class Permission {
    anyone,  ///< auth.login, auth.resume, server.info
    report,  ///< every role and the reporters' API keys: the indicators
    read,    ///< every role of a user (not a reporter's key)
    change,  ///< managers, approvers, admins
    approve, ///< approvers, admins
    admin,   ///< admins only
};

/// How the caller's units limit a method, on top of the role.
enum class UnitRule {
    none,        ///< touches no unit's data (or every unit's names, units.list)
    listing,     ///< shows only what the caller's units see
    named,       ///< every unit, cluster or program named must be within the caller's units
    receiver,    ///< params.id is a receiver of a unit the caller acts for (checked first)
    alarm,       ///< params.id is an alarm of a unit the caller acts for (checked first)
    own_account, ///< one's own account (with the current password), or an admin's
    province,    ///< province-wide callers only
};

/// What a method asks of the connection it comes over.
enum class Channel {
    any,
    confidential, ///< secrets cross it: TLS, 127.0.0.1 or the control socket
    session,      ///< stands for a logged-in session: not the control socket
    websocket,    ///< belongs to an operator's WebSocket (subscriptions)
};

/// Media work a method needs before it runs (done without any lock held).
enum class MediaWork {
    none,
    program,   ///< programs.create: the program's audio
    emergency, ///< emergency.start without a stored program: the emergency's audio
};

/// What a handler is given.
struct MethodCall {
    ScheduleApi& schedule;
    ApiGateway* gateway; ///< null where the schedule's methods run alone (its tests)
    Caller& caller;
    const Params& params;
    const std::optional<ProgramInput>& input; ///< the media work's result, if any
};

/// Runs one method; throws RpcError.
using MethodHandler = boost::json::value (*)(MethodCall& call);

/// One method of the API.
struct Method {
    std::string_view name;
    Permission permission;
    UnitRule units;
    MethodHandler handler;
    std::string_view summary; ///< one line for docs/api.md
    Channel channel = Channel::any;
    MediaWork media = MediaWork::none;
    bool serialised = false;       ///< runs under ScheduleApi::lock()
    bool audited = false;          ///< recorded in the audit log (a dry run never is)
    bool changes_schedule = false; ///< publishes schedule.changed when it succeeds
};

/// Every method, by permission from anyone to admin.
std::span<const Method> method_table();

/// The method called `name`, or null.
const Method* find_method(std::string_view name);

/// The permission a call needs: programs.decide needs Permission::approve to approve or reject.
Permission permission_of(const Method& method, const Params& params);

/// The same by name; nullopt for an unknown method.
std::optional<Permission> permission_of(const std::string& method, const Params& params);

/// Whether `role` has `needed` (unit rules come on top).
bool may_call(Role role, Permission needed);

/// Who has `needed`, in words: "a manager, approver or admin".
const char* needed_role(Permission needed);

/// Names of the table's enums as docs/api.md shows them.
std::string_view to_string(Permission permission);
std::string_view to_string(UnitRule rule);
std::string_view to_string(Channel channel);

/// The table as the Markdown rows docs/api.md holds between its methods markers.
std::string methods_markdown();

/// The media work `method` needs for `params`, done with no lock held (an emergency.start
/// naming a stored program needs none); nullopt when there is none.
std::optional<ProgramInput> media_work(const Method& method, const ScheduleApi& schedule,
                                       const Params& params, const CallFiles& files);

/// Runs one of the schedule's methods (`serialised` ones) without the gateway: its media work,
/// then the handler under ScheduleApi::lock(), for `who` within `scope`. For the schedule's
/// tests and fuzzing; throws RpcError (kMethodNotFound for any other method).
boost::json::value run_schedule_method(ScheduleApi& schedule, const std::string& method,
                                       const Params& params, const std::string& who,
                                       const Scope& scope = Scope{}, const CallFiles& files = {});

} // namespace loa::server
