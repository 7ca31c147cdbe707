#include "authorization_cases.hpp"

#include <chrono>
#include <cstdio>

namespace loa::test::authz {
namespace {

namespace json = boost::json;

json::object no_params(World&, const CallerSpec&) {
    return {};
}

/// Whether an array of objects has one whose `key` is `value`.
bool any_of(const json::value& v, const char* key, const json::value& value) {
    if (!v.is_array())
        return false;
    for (const auto& item : v.as_array())
        if (const auto* found = item.as_object().if_contains(key); found && *found == value)
            return true;
    return false;
}

/// Undoes with a control-socket call made of the params or the result; errors ignored (the
/// call may have been refused, or the thing may have ended by itself).
Undo undo_by(std::string method, std::string key, bool from_result) {
    return [=](World& w, const json::object& params, const json::value& result) {
        const json::value* id =
            from_result ? (result.is_object() ? result.as_object().if_contains(key) : nullptr)
                        : params.if_contains(key);
        if (id)
            (void)w.control_raw(method, {{from_result ? "id" : key, *id}});
    };
}

/// A read, listing or not, answered alike everywhere.
Case read(std::string method, MakeParams params = no_params) {
    return {std::move(method), "-", Where::none, Phase::reads, std::move(params)};
}

Case listing(std::string method, MakeParams params, Shows shows) {
    Case c(std::move(method), "70-002/70-003 hidden", Where::listing, Phase::reads,
           std::move(params));
    c.shows_outside = std::move(shows);
    return c;
}

std::vector<Case> session_cases() {
    auto self = [](World&, const CallerSpec& c) {
        return json::object{{"name", c.user.empty() ? "resumer" : c.user}, {"password", kPassword}};
    };
    auto token = [](World& w, const CallerSpec& c) {
        return json::object{{"token", w.tokens[c.user.empty() ? "resumer" : c.user]}};
    };
    std::vector<Case> out = {
        Case("auth.login", "own name", Where::none, Phase::reads, self).on(Conn::fresh_bearer),
        Case("auth.resume", "own token", Where::none, Phase::reads, token).on(Conn::fresh_bearer),
        read("server.info"),
        read("auth.whoami"),
        read("auth.ticket",
             [](World&, const CallerSpec&) {
                 return json::object{{"path", "/api/v1/as-run.json"}};
             }),
        read("subscribe",
             [](World&, const CallerSpec&) {
                 return json::object{{"topics", json::array{"schedule"}}};
             }),
        read("unsubscribe"),
        Case("auth.logout", "own session", Where::none, Phase::session_end, no_params)
            .on(Conn::fresh_login),
        // One's own password (the current one given) ends every session of the user: last.
        {"users.set_password", "own account", Where::inside, Phase::session_end,
         [](World&, const CallerSpec& c) {
             return json::object{{"name", c.who == Who::anonymous ? "viewer1"
                                          : c.user.empty()        ? "resumer"
                                                                  : c.user},
                                 {"password", kPassword},
                                 {"current", kPassword}};
         }},
        Case("users.set_password", "another's account", Where::outside, Phase::changes,
             [](World& w, const CallerSpec&) {
                 auto name = "victim-" + std::to_string(w.next());
                 w.control("users.create",
                           {{"name", name}, {"password", kPassword}, {"role", "viewer"}});
                 return json::object{{"name", name}, {"password", "another-long-password"}};
             })
            .reaching(Reach::account),
    };
    return out;
}

std::vector<Case> read_cases() {
    auto unit = [](const char* code) {
        return [code](World&, const CallerSpec&) { return json::object{{"unit", code}}; };
    };
    auto window = [](World&, const CallerSpec&) {     // 2031-01, where the entries are
        constexpr std::int64_t kFrom = 1924905600000; // 2030-12-31T00:00:00Z
        return json::object{{"from_ms", kFrom}, {"to_ms", kFrom + 40LL * 86400000}};
    };
    return {
        read("units.list"),
        read("units.lineage",
             [](World&, const CallerSpec&) {
                 return json::object{{"unit", "70"}};
             }),
        read("units.find",
             [](World&, const CallerSpec&) {
                 return json::object{{"text", "xa"}};
             }),
        read("live_inputs.list"),
        read("live.list"),
        listing("clusters.list", no_params,
                [](World&, const json::value& r) { return any_of(r, "id", "box-out"); }),
        listing("programs.list", no_params,
                [](World& w, const json::value& r) { return any_of(r, "id", w.program_out); }),
        listing("entries.list", no_params,
                [](World& w, const json::value& r) { return any_of(r, "id", w.entry_out); }),
        listing("entries.occurrences", window,
                [](World& w, const json::value& r) { return any_of(r, "entry", w.entry_out); }),
        listing(
            "stats.history", no_params,
            [](World&, const json::value& r) { return any_of(r.at("units"), "unit", "70-002"); }),
        listing("overrides.list", no_params,
                [](World& w, const json::value& r) { return any_of(r, "id", w.background); }),
        {"indicators.get", "70-001", Where::inside, Phase::reads,
         [](World&, const CallerSpec&) {
             return json::object{{"unit", "70-001"}};
         }},
        {"indicators.get", "70-002", Where::outside, Phase::reads,
         [](World&, const CallerSpec&) {
             return json::object{{"unit", "70-002"}};
         }},
        listing("as_run.list", no_params,
                [](World&, const json::value& r) { return any_of(r, "channel", "70-003"); }),
        listing("status", no_params,
                [](World&, const json::value& r) {
                    return r.at("on_air").as_object().contains("70-003");
                }),
        listing("receivers.list", no_params,
                [](World&, const json::value& r) { return any_of(r, "id", "box-out"); }),
        listing("receivers.list", unit("70-002"),
                [](World&, const json::value& r) { return any_of(r, "id", "box-out"); }),
        listing("alarms.list", no_params,
                [](World&, const json::value& r) { return any_of(r, "subject", "box-out"); }),
        listing("alarms.history", no_params,
                [](World&, const json::value& r) { return any_of(r, "subject", "box-out"); }),
        {"receivers.list", "unit 70-001", Where::inside, Phase::reads, unit("70-001")},
        {"schedule.export", "unit 70-001", Where::inside, Phase::reads, unit("70-001")},
        {"schedule.export", "unit 70-002", Where::outside, Phase::reads, unit("70-002")},
    };
}

/// Programs, entries and imports: inside 70-001, on 70-002, and reaching out through a target
/// or a program of 70-002.
std::vector<Case> schedule_cases() {
    auto relay = [](const char* unit) {
        return [unit](World&, const CallerSpec&) {
            return json::object{
                {"unit", unit}, {"title", "relay"}, {"url", "http://127.0.0.1:9/r"}};
        };
    };
    auto decide = [](const char* unit, const char* approval) {
        return [unit, approval](World& w, const CallerSpec&) {
            return json::object{{"id", w.draft_program(unit)}, {"approval", approval}};
        };
    };
    // An entry on `units` of the program of `owner`.
    auto entry = [](const char* owner, json::array units) {
        return [owner, units](World& w, const CallerSpec&) {
            return json::object{{"program", w.program_of(owner)},
                                {"start", w.next_start()},
                                {"duration_s", 60},
                                {"units", units}};
        };
    };
    // entries.update: an entry of `from` moved to `to`.
    auto update = [](const char* from, const char* to) {
        return [from, to](World& w, const CallerSpec&) {
            return json::object{{"id", w.entry(w.program_of(from), from)},
                                {"program", w.program_of(to)},
                                {"start", w.next_start()},
                                {"duration_s", 60},
                                {"units", json::array{to}}};
        };
    };
    auto remove = [](const char* unit) {
        return [unit](World& w, const CallerSpec&) {
            return json::object{{"id", w.entry(w.program_of(unit), unit)}};
        };
    };
    auto import = [](const char* unit, const char* owner) {
        return [unit, owner](World& w, const CallerSpec&) {
            return json::object{{"unit", unit}, {"ics", w.ics_of(w.program_of(owner))}};
        };
    };
    Undo undo_import = [](World& w, const json::object&, const json::value& result) {
        if (result.is_object())
            for (const auto& id : result.at("entries").as_array())
                (void)w.control_raw("entries.delete", {{"id", id}});
    };
    auto undo_entry = undo_by("entries.delete", "id", true);
    auto undo_moved = undo_by("entries.delete", "id", false);
    using W = Where;
    return {
        {"programs.create", "unit 70-001", W::inside, Phase::changes, relay("70-001")},
        {"programs.create", "unit 70-002", W::outside, Phase::changes, relay("70-002")},
        {"programs.decide", "pending, 70-001", W::inside, Phase::changes,
         decide("70-001", "pending")},
        {"programs.decide", "pending, 70-002", W::outside, Phase::changes,
         decide("70-002", "pending")},
        {"programs.decide", "approved, 70-001", W::inside, Phase::changes,
         decide("70-001", "approved")},
        {"programs.decide", "approved, 70-002", W::outside, Phase::changes,
         decide("70-002", "approved")},
        {"programs.decide", "rejected, 70-001", W::inside, Phase::changes,
         decide("70-001", "rejected")},
        {"programs.decide", "approved, 70", W::outside, Phase::changes, decide("70", "approved")},
        {"entries.create", "70-001", W::inside, Phase::changes, entry("70-001", {"70-001"}),
         undo_entry},
        {"entries.create", "70-002", W::outside, Phase::changes, entry("70-002", {"70-002"}),
         undo_entry},
        {"entries.create", "70-001 and 70-002", W::outside, Phase::changes,
         entry("70-001", {"70-001", "70-002"}), undo_entry},
        {"entries.create", "70-001, program of 70-002", W::outside, Phase::changes,
         entry("70-002", {"70-001"}), undo_entry},
        // What the province sends is the communes' to schedule; the province is not theirs.
        {"entries.create", "70-001, program of 70", W::inside, Phase::changes,
         entry("70", {"70-001"}), undo_entry},
        {"entries.create", "province 70", W::outside, Phase::changes, entry("70", {"70"}),
         undo_entry},
        {"entries.create", "cluster box-out", W::outside, Phase::changes,
         [](World& w, const CallerSpec&) {
             return json::object{{"program", w.program_out},
                                 {"start", w.next_start()},
                                 {"duration_s", 60},
                                 {"clusters", json::array{"box-out"}}};
         },
         undo_entry},
        {"entries.update", "70-001", W::inside, Phase::changes, update("70-001", "70-001"),
         undo_moved},
        {"entries.update", "70-002", W::outside, Phase::changes, update("70-002", "70-002"),
         undo_moved},
        {"entries.update", "70-001 to 70-002", W::outside, Phase::changes,
         update("70-001", "70-002"), undo_moved},
        {"entries.update", "70-002 to 70-001", W::outside, Phase::changes,
         update("70-002", "70-001"), undo_moved},
        {"entries.delete", "70-001", W::inside, Phase::changes, remove("70-001"), undo_moved},
        {"entries.delete", "70-002", W::outside, Phase::changes, remove("70-002"), undo_moved},
        {"schedule.import", "70-001", W::inside, Phase::changes, import("70-001", "70-001"),
         undo_import},
        {"schedule.import", "70-002", W::outside, Phase::changes, import("70-002", "70-002"),
         undo_import},
        {"schedule.import", "70-001, program of 70-002", W::outside, Phase::changes,
         import("70-001", "70-002"), undo_import},
    };
}

/// Emergencies, stop-alls and receivers' volume: inside 70-001 and outside it.
std::vector<Case> override_cases() {
    // An emergency on `t` playing the program of `owner`.
    auto targets = [](json::object t, const char* owner) {
        return [t, owner](World& w, const CallerSpec&) {
            auto out = t;
            out["program"] = w.program_of(owner);
            return out;
        };
    };
    auto started = [](const char* method, const char* unit) {
        return [method, unit](World& w, const CallerSpec&) {
            json::object params{{"units", json::array{unit}}};
            if (std::string(method) == "emergency.start")
                params["program"] = w.program_of(unit);
            return json::object{{"id", w.control(method, params).at("override")}};
        };
    };
    auto inline_file = [](const char* unit) {
        return [unit](World& w, const CallerSpec&) {
            return json::object{{"units", json::array{unit}},
                                {"path", w.s.dir().file("short.wav")}};
        };
    };
    auto silence = [](json::object t) { return [t](World&, const CallerSpec&) { return t; }; };
    auto volume = [](const char* id) {
        return [id](World&, const CallerSpec&) {
            return json::object{{"id", id}, {"volume", 1.0}};
        };
    };
    // A live broadcast on `t`, offered as a real speaker would (webrtcbin's offer).
    auto live_on = [](json::object t) {
        return [t](World& w, const CallerSpec&) {
            auto out = t;
            out["sdp"] = w.offer;
            return out;
        };
    };
    auto undo_live = [](World& w, const json::object&, const json::value& result) {
        if (const auto* session =
                result.is_object() ? result.as_object().if_contains("session") : nullptr)
            (void)w.control_raw("live.stop", {{"session", *session}});
    };
    auto live_started = [](const char* unit) {
        return [unit](World& w, const CallerSpec&) {
            return json::object{{"session", w.go_live(unit)}};
        };
    };
    auto undo_live_stop = [](World& w, const json::object& params, const json::value&) {
        (void)w.control_raw("live.stop", {{"session", params.at("session")}});
    };
    auto undo_emergency = undo_by("emergency.stop", "override", true);
    auto undo_silence = undo_by("stop_all.release", "override", true);
    using W = Where;
    const json::object in{{"units", json::array{"70-001"}}}, out{{"units", json::array{"70-002"}}},
        both{{"units", json::array{"70-001", "70-002"}}}, box{{"clusters", json::array{"box-out"}}},
        province{{"units", json::array{"70"}}};
    return {
        {"emergency.start", "70-001", W::inside, Phase::changes, targets(in, "70-001"),
         undo_emergency},
        {"emergency.start", "70-002", W::outside, Phase::changes, targets(out, "70-002"),
         undo_emergency},
        {"emergency.start", "70-001 and 70-002", W::outside, Phase::changes,
         targets(both, "70-001"), undo_emergency},
        {"emergency.start", "cluster box-out", W::outside, Phase::changes, targets(box, "70-002"),
         undo_emergency},
        {"emergency.start", "70-001, program of 70-002", W::outside, Phase::changes,
         targets(in, "70-002"), undo_emergency},
        {"emergency.start", "70-001, program of 70", W::inside, Phase::changes, targets(in, "70"),
         undo_emergency},
        {"emergency.start", "province 70", W::outside, Phase::changes, targets(province, "70"),
         undo_emergency},
        {"emergency.start", "70-001, inline file", W::inside, Phase::changes, inline_file("70-001"),
         undo_emergency},
        {"emergency.start", "70-002, inline file", W::outside, Phase::changes,
         inline_file("70-002"), undo_emergency},
        {"emergency.stop", "70-001", W::inside, Phase::changes,
         started("emergency.start", "70-001"), undo_by("emergency.stop", "id", false)},
        {"emergency.stop", "70-002", W::outside, Phase::changes,
         started("emergency.start", "70-002"), undo_by("emergency.stop", "id", false)},
        // A commune's manager cannot stop a province emergency.
        {"emergency.stop", "province 70", W::outside, Phase::changes,
         started("emergency.start", "70"), undo_by("emergency.stop", "id", false)},
        {"live.start", "70-001", W::inside, Phase::changes, live_on(in), undo_live},
        {"live.start", "70-002", W::outside, Phase::changes, live_on(out), undo_live},
        {"live.start", "cluster box-out", W::outside, Phase::changes, live_on(box), undo_live},
        {"live.start", "province 70", W::outside, Phase::changes, live_on(province), undo_live},
        {"live.stop", "70-001", W::inside, Phase::changes, live_started("70-001"), undo_live_stop},
        {"live.stop", "70-002", W::outside, Phase::changes, live_started("70-002"), undo_live_stop},
        {"stop_all.start", "70-001", W::inside, Phase::changes, silence(in), undo_silence},
        {"stop_all.start", "70-002", W::outside, Phase::changes, silence(out), undo_silence},
        {"stop_all.start", "70-001 and 70-002", W::outside, Phase::changes, silence(both),
         undo_silence},
        {"stop_all.start", "cluster box-out", W::outside, Phase::changes, silence(box),
         undo_silence},
        {"stop_all.start", "province 70", W::outside, Phase::changes, silence(province),
         undo_silence},
        {"stop_all.release", "70-001", W::inside, Phase::changes,
         started("stop_all.start", "70-001"), undo_by("stop_all.release", "id", false)},
        {"stop_all.release", "70-002", W::outside, Phase::changes,
         started("stop_all.start", "70-002"), undo_by("stop_all.release", "id", false)},
        {"alarms.acknowledge", "box-in's alarm", W::inside, Phase::changes,
         [](World& w, const CallerSpec&) {
             return json::object{{"id", w.alarm_in}};
         }},
        {"alarms.acknowledge", "box-out's alarm", W::outside, Phase::changes,
         [](World& w, const CallerSpec&) {
             return json::object{{"id", w.alarm_out}};
         }},
        {"receivers.set_volume", "box-in", W::inside, Phase::changes, volume("box-in")},
        {"receivers.set_volume", "box-out", W::outside, Phase::changes, volume("box-out")},
    };
}

/// The admins' methods: users, the audit log, backups, receivers' provisioning and keys, merging
/// units.
std::vector<Case> admin_cases() {
    auto receiver = [](const char* unit, bool provisioned) {
        return [unit, provisioned](World& w, const CallerSpec&) {
            auto id = "rx-" + std::to_string(w.next());
            if (provisioned)
                w.control("receivers.provision", {{"id", id}, {"unit", unit}});
            return json::object{{"id", id}, {"unit", unit}};
        };
    };
    auto key = [](const char* id) {
        return [id](World&, const CallerSpec&) { return json::object{{"id", id}}; };
    };
    auto undo_receiver = undo_by("receivers.unprovision", "id", false);
    using W = Where;
    auto made_key = [](World& w, const CallerSpec&) {
        auto made = w.control("api_keys.create", {{"name", "key-" + std::to_string(w.next())}});
        return json::object{{"id", made.at("id")}};
    };
    return {
        read("users.list"),
        read("audit.list"),
        read("api_keys.list"),
        read("indicators.deliveries"),
        {"api_keys.create", "-", W::none, Phase::changes,
         [](World& w, const CallerSpec&) {
             return json::object{{"name", "made-key-" + std::to_string(w.next())}};
         }},
        {"api_keys.rotate", "a key", W::none, Phase::changes, made_key},
        {"api_keys.revoke", "a key", W::none, Phase::changes, made_key},
        read("backups.list"),
        {"backups.run", "-", W::none, Phase::changes, no_params},
        {"users.create", "-", W::none, Phase::changes,
         [](World& w, const CallerSpec&) {
             return json::object{{"name", "made-" + std::to_string(w.next())},
                                 {"password", kPassword},
                                 {"role", "viewer"}};
         }},
        {"users.disable", "another user", W::none, Phase::changes,
         [](World& w, const CallerSpec&) {
             auto name = "leaver-" + std::to_string(w.next());
             w.control("users.create",
                       {{"name", name}, {"password", kPassword}, {"role", "viewer"}});
             return json::object{{"name", name}};
         }},
        {"units.merge", "70-098 or 70-099", W::none, Phase::changes,
         [](World&, const CallerSpec& c) {
             return json::object{{"unit", c.who == Who::local ? "70-099" : "70-098"},
                                 {"into", "70-002"}};
         }},
        {"units.recode", "70-096 or 70-097", W::none, Phase::changes,
         [](World&, const CallerSpec& c) {
             bool local = c.who == Who::local;
             return json::object{{"unit", local ? "70-096" : "70-097"},
                                 {"code", local ? "96001" : "97001"}};
         }},
        // A preview: 70-001 divided between 70-002 (all its clusters) and a new commune.
        {"units.split", "70-001", W::none, Phase::changes,
         [](World& w, const CallerSpec&) {
             json::array clusters;
             auto listed = w.control("clusters.list");
             for (const auto& c : listed.as_array())
                 if (c.at("unit") == "70-001")
                     clusters.push_back(c.at("id"));
             return json::object{
                 {"unit", "70-001"},
                 {"parts", json::array{json::object{{"code", "70-002"}, {"clusters", clusters}},
                                       json::object{{"code", "25990"}, {"name", "Xã Thử"}}}},
                 {"dry_run", true}};
         }},
        // A preview: the world's communes have no official codes to list.
        {"units.import", "70", W::none, Phase::changes,
         [](World&, const CallerSpec&) {
             return json::object{{"csv", "Mã,Tên\n70,Tỉnh\n"}, {"dry_run", true}};
         }},
        // Each rename a day later than the one before (none after today).
        {"units.rename", "70-001", W::none, Phase::changes,
         [](World& w, const CallerSpec&) {
             using namespace std::chrono;
             year_month_day day{sys_days(2026y / January / 1) + days(w.next())};
             char date[32];
             std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(day.year()),
                           static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
             return json::object{
                 {"unit", "70-001"}, {"name", "Xã A " + std::to_string(w.next())}, {"date", date}};
         }},
        {"receivers.provision", "70-001", W::inside, Phase::changes, receiver("70-001", false),
         undo_receiver},
        {"receivers.provision", "70-002", W::outside, Phase::changes, receiver("70-002", false),
         undo_receiver},
        {"receivers.unprovision", "70-001", W::inside, Phase::changes, receiver("70-001", true),
         undo_receiver},
        {"receivers.unprovision", "70-002", W::outside, Phase::changes, receiver("70-002", true),
         undo_receiver},
        {"receivers.rekey", "box-in", W::inside, Phase::changes, key("box-in")},
        {"receivers.rekey", "box-out", W::outside, Phase::changes, key("box-out")},
        // To a server nobody answers on: it stays.
        {"receivers.move", "box-in", W::none, Phase::changes,
         [](World&, const CallerSpec&) {
             return json::object{{"ids", json::array{"box-in"}},
                                 {"server_url", "ws://127.0.0.1:9"}};
         }},
        read("handover.list"),
        {"handover.export", "70-001", W::none, Phase::changes,
         [](World&, const CallerSpec&) {
             return json::object{{"unit", "70-001"}};
         }},
        // A preview of the server's own archive, made by its administrator.
        {"handover.import", "70-001", W::none, Phase::changes,
         [](World& w, const CallerSpec&) {
             auto archive = w.control("handover.export", {{"unit", "70-001"}});
             return json::object{{"archive", archive.at("name")}, {"dry_run", true}};
         }},
    };
}

} // namespace

std::vector<Case> all_cases() {
    std::vector<Case> out;
    for (auto part :
         {session_cases(), read_cases(), schedule_cases(), override_cases(), admin_cases()})
        out.insert(out.end(), part.begin(), part.end());
    return out;
}

} // namespace loa::test::authz
