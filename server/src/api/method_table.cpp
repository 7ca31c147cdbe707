#include "loa/server/api/method_table.hpp"

#include <algorithm>
#include <array>

#include "loa/server/api/gateway.hpp"

namespace loa::server {
namespace {

using P = Permission;
using U = UnitRule;
using C = MethodCall;
using Kind = schedules::Override::Kind;

ApiGateway& gateway(C& c) {
    if (c.gateway == nullptr)
        throw RpcError(rpc_code::kMethodNotFound, "this method needs the API gateway");
    return *c.gateway;
}

// clang-format off
const std::array kMethods = {
    // Anyone: the login itself, and what the login page shows.
    Method{"auth.login", P::anyone, U::none,
           [](C& c) { return gateway(c).login(c.params, c.caller); },
           "{name, password} → {token, expires_at, expires_in_s, user}", Channel::confidential},
    Method{"auth.resume", P::anyone, U::none,
           [](C& c) { return gateway(c).login(c.params, c.caller); },
           "{token} → {user}: the session of an earlier login", Channel::confidential},
    Method{"server.info", P::anyone, U::none,
           [](C& c) { return gateway(c).server_info(); },
           "→ {name, version, time_zone, province}"},
    // Every role, and the reporters' API keys.
    Method{"indicators.get", P::report, U::listing,
           [](C& c) { return gateway(c).indicators(c.params, c.caller); },
           "{unit?, period?, from?, to?, predecessors?, children?} → {time_zone, cutoff, period, "
           "from, to, rows, corrections}: docs/indicators.md"},
    // Every role.
    Method{"auth.logout", P::read, U::none,
           [](C& c) { return gateway(c).logout(c.caller); }, "ends the session"},
    Method{"auth.whoami", P::read, U::none,
           [](C& c) { return gateway(c).whoami(c.caller); }, "→ {name, role, units, disabled}"},
    Method{"auth.ticket", P::read, U::none,
           [](C& c) { return gateway(c).ticket(c.params, c.caller); },
           "{path} → {ticket, expires_in_s}: one GET of a REST path without the token",
           Channel::session},
    Method{"subscribe", P::read, U::listing, nullptr,
           "{topics?} → {topics}: notifications on this WebSocket", Channel::websocket},
    Method{"unsubscribe", P::read, U::none, nullptr, "no more notifications", Channel::websocket},
    Method{"units.list", P::read, U::none, [](C& c) { return c.schedule.list_units(); },
           "→ [{id, code, name, parent, valid_from, valid_to, merged_into, named_from, "
           "former_names, approval_required, quiet_hours}]",
           Channel::any, MediaWork::none, true},
    Method{"units.lineage", P::read, U::none,
           [](C& c) { return c.schedule.unit_lineage(c.params); },
           "{unit} → {unit, names, predecessors, became, split_into, split_on, split_from}: "
           "what it was made of and became",
           Channel::any, MediaWork::none, true},
    Method{"units.find", P::read, U::none, [](C& c) { return c.schedule.find_units(c.params); },
           "{text} → [{unit, matched, now}]: by any code or name, now or before",
           Channel::any, MediaWork::none, true},
    Method{"clusters.list", P::read, U::listing,
           [](C& c) { return c.schedule.list_clusters(c.caller.scope); },
           "→ [{id, unit, name}] of the units one acts for", Channel::any, MediaWork::none, true},
    Method{"programs.list", P::read, U::listing,
           [](C& c) { return c.schedule.list_programs(c.caller.scope); }, "→ [program]",
           Channel::any, MediaWork::none, true},
    Method{"entries.list", P::read, U::listing,
           [](C& c) { return c.schedule.list_entries(c.caller.scope); }, "→ [entry]",
           Channel::any, MediaWork::none, true},
    Method{"entries.occurrences", P::read, U::listing,
           [](C& c) { return c.schedule.list_occurrences(c.params, c.caller.scope); },
           "{from_ms, to_ms} → [occurrence]: the calendar", Channel::any, MediaWork::none, true},
    Method{"stats.history", P::read, U::listing,
           [](C& c) { return c.schedule.stats_history(c.params, c.caller.scope); },
           "{days?, predecessors?} → per unit and day: clusters online, minutes on air", Channel::any,
           MediaWork::none, true},
    Method{"schedule.export", P::read, U::named,
           [](C& c) { return c.schedule.export_schedule(c.params, c.caller.scope); },
           "{unit} → {ics}", Channel::any, MediaWork::none, true},
    Method{"overrides.list", P::read, U::listing,
           [](C& c) { return c.schedule.list_overrides(c.caller.scope); },
           "→ [override] active now", Channel::any, MediaWork::none, true},
    Method{"live.list", P::read, U::listing,
           [](C& c) { return gateway(c).list_live(c.caller); },
           "→ [{session, program, speaker, priority, channels, started_at, seconds, ice, "
           "level_dbfs}]: the live broadcasts on now"},
    Method{"as_run.list", P::read, U::listing,
           [](C& c) { return c.schedule.list_as_run(c.params, c.caller.scope); },
           "{from_ms?, to_ms?, unit?, predecessors?} → [as-run row], each with its unit as it was", Channel::any, MediaWork::none, true},
    Method{"status", P::read, U::listing,
           [](C& c) { return c.schedule.status(c.caller.scope); },
           "→ {on_air, receivers}", Channel::any, MediaWork::none, true},
    Method{"receivers.list", P::read, U::listing,
           [](C& c) { return gateway(c).list_receivers(c.params, c.caller); },
           "{unit?} → [receiver] of the units one acts for"},
    Method{"alarms.list", P::read, U::listing,
           [](C& c) { return gateway(c).list_alarms(c.params, c.caller); },
           "{unit?, kind?, severity?} → [alarm] active, of the units one acts for"},
    Method{"alarms.history", P::read, U::listing,
           [](C& c) { return gateway(c).alarm_history(c.params, c.caller); },
           "{unit?, kind?, severity?, from_ms?, to_ms?, limit?} → [alarm], newest first"},
    Method{"live_inputs.list", P::read, U::none,
           [](C& c) -> boost::json::value { return c.schedule.live_inputs(); },
           "→ [{id, name}]"},
    Method{"users.set_password", P::read, U::own_account,
           [](C& c) { return gateway(c).set_password(c.params, c.caller); },
           "{name, password, current?} → {name}", Channel::any, MediaWork::none, false, true},
    // Managers, approvers and admins, within their units.
    Method{"programs.create", P::change, U::named,
           [](C& c) { return c.schedule.create_program(c.params, c.caller.scope, *c.input); },
           "{unit, title, kind, ...} → program", Channel::any, MediaWork::program, true, true,
           true},
    Method{"programs.decide", P::change, U::named,
           [](C& c) { return c.schedule.decide(c.params, c.caller.name(), c.caller.scope); },
           "{id, approval} → program; approved or rejected needs an approver",
           Channel::any, MediaWork::none, true, true, true},
    Method{"entries.create", P::change, U::named,
           [](C& c) { return c.schedule.create_entry(c.params, c.caller.scope); },
           "{program, units|clusters, start, ...} → entry (dry_run: checked, not saved)",
           Channel::any, MediaWork::none, true, true, true},
    Method{"entries.update", P::change, U::named,
           [](C& c) { return c.schedule.update_entry(c.params, c.caller.scope); },
           "{id, ...} → entry (dry_run: checked, not saved)", Channel::any, MediaWork::none, true,
           true, true},
    Method{"entries.delete", P::change, U::named,
           [](C& c) { return c.schedule.delete_entry(c.params, c.caller.scope); }, "{id}",
           Channel::any, MediaWork::none, true, true, true},
    Method{"schedule.import", P::change, U::named,
           [](C& c) { return c.schedule.import_schedule(c.params, c.caller.scope); },
           "{unit, ics, program?, match_titles?, dry_run?} → {entries} (dry_run: nothing saved)", Channel::any, MediaWork::none, true, true, true},
    Method{"emergency.start", P::change, U::named,
           [](C& c) {
               return c.schedule.start_emergency(c.params, c.caller.name(), c.caller.scope,
                                                 c.input);
           },
           "{units|clusters, program|text|...} → override", Channel::any, MediaWork::emergency,
           true, true},
    Method{"emergency.stop", P::change, U::named,
           [](C& c) {
               return c.schedule.end_override(c.params, c.caller.name(), Kind::emergency,
                                              c.caller.scope);
           },
           "{id} → override", Channel::any, MediaWork::none, true, true},
    Method{"live.start", P::change, U::named,
           [](C& c) { return gateway(c).start_live(c.params, c.caller); },
           "{units|clusters, priority?, title?, sdp} → {session, program, priority, channels, "
           "sdp}: speak live over WebRTC, docs/live.md", Channel::session, MediaWork::none, false,
           true},
    Method{"live.stop", P::change, U::named,
           [](C& c) { return gateway(c).stop_live(c.params, c.caller); },
           "{session} → {ended, program}: the recording is the program", Channel::any,
           MediaWork::none, false, true},
    Method{"stop_all.start", P::change, U::named,
           [](C& c) {
               return c.schedule.start_stop_all(c.params, c.caller.name(), c.caller.scope);
           },
           "{units|clusters} → override", Channel::any, MediaWork::none, true, true},
    Method{"stop_all.release", P::change, U::named,
           [](C& c) {
               return c.schedule.end_override(c.params, c.caller.name(), Kind::stop_all,
                                              c.caller.scope);
           },
           "{id} → override", Channel::any, MediaWork::none, true, true},
    Method{"receivers.set_volume", P::change, U::receiver,
           [](C& c) { return gateway(c).set_volume(c.params); },
           "{id, volume?, muted?} → {id, volume, muted}", Channel::any, MediaWork::none, false,
           true},
    Method{"alarms.acknowledge", P::change, U::alarm,
           [](C& c) { return gateway(c).acknowledge_alarm(c.params, c.caller); },
           "{id} → alarm: records who saw it", Channel::any, MediaWork::none, false,
           true},
    // Admins.
    Method{"units.merge", P::admin, U::province,
           [](C& c) { return c.schedule.merge_units(c.params, c.caller.scope); },
           "{units, into, name?, date?, dry_run?} → {unit, merged, moved, collisions}: what "
           "was theirs moves to `into`",
           Channel::any, MediaWork::none, true, true, true},
    Method{"units.split", P::admin, U::province,
           [](C& c) { return c.schedule.split_unit(c.params, c.caller.scope); },
           "{unit, parts: [{code, name?, clusters?, units?}], date?, dry_run?} → {unit, parts, "
           "added, moved, collisions}: what targeted it reaches what it gave each part",
           Channel::any, MediaWork::none, true, true, true},
    Method{"units.recode", P::admin, U::province,
           [](C& c) { return c.schedule.recode_unit(c.params, c.caller.scope); },
           "{unit, code, date?} → unit: its former code kept, its receivers on the new channel",
           Channel::any, MediaWork::none, true, true, true},
    Method{"units.import", P::admin, U::province,
           [](C& c) { return c.schedule.import_units(c.params, c.caller.scope); },
           "{csv, date?, dry_run?} → {changes, unchanged, other_provinces, problems}: the "
           "national list of units applied",
           Channel::any, MediaWork::none, true, true, true},
    Method{"units.rename", P::admin, U::province,
           [](C& c) { return c.schedule.rename_unit(c.params, c.caller.scope); },
           "{unit, name, date?} → unit: its former name kept", Channel::any, MediaWork::none,
           true, true, true},
    Method{"users.list", P::admin, U::none, [](C& c) { return gateway(c).list_users(); },
           "→ [user]", Channel::any, MediaWork::none, false, true},
    Method{"users.create", P::admin, U::none,
           [](C& c) { return gateway(c).create_user(c.params); },
           "{name, password, role, units?} → user", Channel::any, MediaWork::none, false, true},
    Method{"users.disable", P::admin, U::none,
           [](C& c) { return gateway(c).disable_user(c.params); }, "{name} → {name, disabled}",
           Channel::any, MediaWork::none, false, true},
    Method{"api_keys.create", P::admin, U::none,
           [](C& c) { return gateway(c).create_key(c.params, c.caller); },
           "{name, units?} → key with its secret `key`, shown once: a reporter's machine account",
           Channel::confidential, MediaWork::none, false, true},
    Method{"api_keys.list", P::admin, U::none, [](C& c) { return gateway(c).list_keys(); },
           "→ [{id, name, role, units, prefix, created_at_ms, created_by, rotated_at_ms, "
           "last_used_at_ms, uses, revoked_at_ms}]",
           Channel::any, MediaWork::none, false, true},
    Method{"api_keys.rotate", P::admin, U::none,
           [](C& c) { return gateway(c).rotate_key(c.params); },
           "{id} → key with a new secret `key`, shown once; the old one opens nothing",
           Channel::confidential, MediaWork::none, false, true},
    Method{"api_keys.revoke", P::admin, U::none,
           [](C& c) { return gateway(c).revoke_key(c.params); },
           "{id} → key: it opens nothing from now on", Channel::any, MediaWork::none, false,
           true},
    Method{"indicators.deliveries", P::admin, U::none,
           [](C& c) { return gateway(c).indicator_deliveries(); },
           "→ [{url, unit, emergencies, pending, delivered, failed_attempts, last_error, "
           "last_delivered_at_ms, oldest_pending_at_ms, recent}]: the indicators' pushes",
           Channel::any, MediaWork::none, false, true},
    Method{"audit.list", P::admin, U::none, [](C& c) { return gateway(c).list_audit(c.params); },
           "{from_ms?, to_ms?} → [{id, at_ms, who, from, what, summary}]", Channel::any,
           MediaWork::none, false, true},
    Method{"receivers.provision", P::admin, U::none,
           [](C& c) { return gateway(c).provision(c.params, c.caller); },
           "{id, unit, name?} → {id, unit, bundle}", Channel::confidential, MediaWork::none,
           false, true},
    Method{"receivers.unprovision", P::admin, U::receiver,
           [](C& c) { return gateway(c).unprovision(c.params); }, "{id} → {id, unprovisioned}",
           Channel::any, MediaWork::none, false, true},
    Method{"receivers.rekey", P::admin, U::receiver,
           [](C& c) { return gateway(c).rekey(c.params); }, "{id} → {id, rekeyed, online}",
           Channel::any, MediaWork::none, false, true},
    Method{"handover.list", P::admin, U::province,
           [](C& c) { return c.schedule.list_handovers(); },
           "→ [archive]: the handover archives in state_dir/handover, verified", Channel::any,
           MediaWork::none, false, true},
    Method{"handover.export", P::admin, U::province,
           [](C& c) { return c.schedule.export_handover(c.params); },
           "{units? or unit?} → archive: those units (none: every unit) with all that is theirs",
           Channel::any, MediaWork::none, false, true},
    Method{"handover.import", P::admin, U::province,
           [](C& c) { return c.schedule.import_handover(c.params); },
           "{archive, codes?, date?, dry_run?} → {archive, units, added, refused}: all or "
           "nothing",
           Channel::any, MediaWork::none, true, true, true},
    Method{"receivers.move", P::admin, U::province,
           [](C& c) { return gateway(c).move_receivers(c.params); },
           "{ids or unit, server_url, ca?} → {moved, stayed}: to a server that imported them",
           Channel::any, MediaWork::none, false, true},
    Method{"backups.list", P::admin, U::province,
           [](C& c) { return gateway(c).list_backups(); },
           "→ {enabled, dir, running, last_*, next_at_ms, backups: [backup]}", Channel::any,
           MediaWork::none, false, true},
    Method{"backups.run", P::admin, U::province,
           [](C& c) { return gateway(c).run_backup(); },
           "→ {started}: a backup now; backup.done tells how it went", Channel::any,
           MediaWork::none, false, true},
};
// clang-format on

} // namespace

std::span<const Method> method_table() {
    return kMethods;
}

const Method* find_method(std::string_view name) {
    auto it = std::find_if(kMethods.begin(), kMethods.end(),
                           [&](const Method& m) { return m.name == name; });
    return it == kMethods.end() ? nullptr : &*it;
}

Permission permission_of(const Method& method, const Params& params) {
    if (method.name == "programs.decide") {
        auto approval = params.optional_string("approval");
        if (approval && (*approval == "approved" || *approval == "rejected"))
            return Permission::approve;
    }
    return method.permission;
}

std::optional<Permission> permission_of(const std::string& method, const Params& params) {
    const auto* m = find_method(method);
    if (m == nullptr)
        return std::nullopt;
    return permission_of(*m, params);
}

bool may_call(Role role, Permission needed) {
    switch (needed) {
    case Permission::anyone:
    case Permission::report:
        return true;
    case Permission::read:
        return role != Role::reporter;
    case Permission::change:
        return role != Role::viewer && role != Role::reporter;
    case Permission::approve:
        return role == Role::admin || role == Role::approver;
    case Permission::admin:
        return role == Role::admin;
    }
    return false;
}

const char* needed_role(Permission needed) {
    switch (needed) {
    case Permission::read:
        return "a user (an API key reads the indicators only)";
    case Permission::change:
        return "a manager, approver or admin";
    case Permission::approve:
        return "an approver or admin";
    case Permission::admin:
        return "an admin";
    default:
        return "a user";
    }
}

std::optional<ProgramInput> media_work(const Method& method, const ScheduleApi& schedule,
                                       const Params& params, const CallFiles& files) {
    if (method.media == MediaWork::program)
        return schedule.prepare_program(params, files, MediaUse::program);
    if (method.media == MediaWork::emergency && !params.has("program"))
        return schedule.prepare_program(params, files, MediaUse::emergency);
    return std::nullopt;
}

boost::json::value run_schedule_method(ScheduleApi& schedule, const std::string& method,
                                       const Params& params, const std::string& who,
                                       const Scope& scope, const CallFiles& files) {
    const auto* m = find_method(method);
    if (m == nullptr || !m->serialised)
        throw RpcError(rpc_code::kMethodNotFound, "no method \"" + method + "\"; see docs/api.md");
    auto input = media_work(*m, schedule, params, files);
    Caller caller;
    caller.local = true;
    caller.local_name = who;
    caller.scope = scope;
    MethodCall call{schedule, nullptr, caller, params, input};
    auto lock = schedule.lock();
    return m->handler(call);
}

} // namespace loa::server
