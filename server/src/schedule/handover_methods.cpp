// handover.*: archives of units exported for another server, and imported from one.
#include "loa/server/handover/handover.hpp"
#include "loa/server/schedule/schedule_api.hpp"
#include "schedule_json.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
using schedule_json::iso_utc;

json::object archive_json(const HandoverArchive& a) {
    json::object counts;
    for (const auto& [kind, n] : a.counts)
        counts[kind] = n;
    return {{"name", a.name},
            {"bytes", a.bytes},
            {"created_at", iso_utc(schedules::Millis(std::chrono::milliseconds(a.created_ms)))},
            {"server", a.server},
            {"units", json::value_from(a.units)},
            {"digest", a.digest},
            {"counts", std::move(counts)}};
}

json::object import_json(const HandoverImport& done) {
    json::array units;
    for (const auto& u : done.units) {
        json::object unit{{"code", u.code}, {"name", u.name}, {"as", u.as}, {"action", u.action}};
        if (!u.reason.empty())
            unit["reason"] = u.reason;
        units.push_back(std::move(unit));
    }
    json::object added;
    for (const auto& [kind, n] : done.added)
        added[kind] = n;
    return {{"archive", archive_json(done.archive)},
            {"units", std::move(units)},
            {"added", std::move(added)},
            {"refused", json::value_from(done.refused)},
            {"dry_run", done.dry_run}};
}

} // namespace

HandoverPlaces ScheduleApi::handover_places() const {
    return {database_file(settings_), media_.dir(), handover_folder(settings_.state_dir)};
}

json::value ScheduleApi::list_handovers() {
    json::array out;
    for (const auto& archive : server::list_handovers(handover_places().folder))
        out.push_back(archive_json(archive));
    return out;
}

json::value ScheduleApi::export_handover(const Params& p) {
    auto codes = p.strings("units");
    if (auto one = p.optional_string("unit"))
        codes.push_back(*one);
    std::string server = settings_.province ? settings_.province->province.name : "";
    auto archive = value_or_throw(
        server::export_handover(handover_places(), codes, server, clock_.system_now()));
    return archive_json(archive);
}

json::value ScheduleApi::import_handover(const Params& p) {
    HandoverMapping mapping;
    if (const auto* codes = p.object().if_contains("codes")) {
        if (!codes->is_object())
            throw RpcError(rpc_code::kInvalidParams,
                           R"(params.codes: expected {"archive's code": "code here"})");
        for (const auto& [from, to] : codes->as_object()) {
            if (!to.is_string())
                throw RpcError(rpc_code::kInvalidParams,
                               "params.codes." + std::string(from) + ": expected a code");
            mapping.codes[std::string(from)] = std::string(to.as_string());
        }
    }
    mapping.date = effective_date(p, "a handover");
    mapping.now_ms = now().time_since_epoch().count();
    mapping.dry_run = p.optional_boolean("dry_run").value_or(false);
    mapping.receiver_key = view_.receiver_key;
    auto done =
        value_or_throw(server::import_handover(handover_places(), p.string("archive"), mapping));
    if (!done.refused.empty() && !mapping.dry_run) {
        std::string reasons;
        for (const auto& reason : done.refused)
            reasons += (reasons.empty() ? "" : "; ") + reason;
        throw RpcError(rpc_code::kConflict,
                       "nothing was imported from " + done.archive.name + ": " + reasons);
    }
    auto answer = import_json(done);
    json::array collisions;
    if (!mapping.dry_run) {
        changed_();
        if (units_changed_)
            units_changed_({done.added_units, {}, 0, done.clusters, std::nullopt, {}});
        // Entries that arrived beside this server's own may overlap them: for a person.
        for (const auto& c : value_or_throw(store_.collisions_of(
                 done.entries, std::chrono::floor<std::chrono::seconds>(now()))))
            collisions.push_back(json::object{{"entry", c.entry}, {"problem", c.problem}});
    }
    answer["collisions"] = std::move(collisions);
    return answer;
}

} // namespace loa::server
