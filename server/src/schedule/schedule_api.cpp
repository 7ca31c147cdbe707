#include "loa/server/schedule/schedule_api.hpp"

#include "schedule_json.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "loa/schedules/ics.hpp"
#include "loa/server/schedule/relay_url.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
using schedules::Millis;

} // namespace

using namespace schedule_json; // NOLINT(google-build-using-namespace)

ScheduleApi::ScheduleApi(const Settings& settings, const ProgramStore& media,
                         const common::Clock& clock, ServerView view, std::function<void()> changed)
    : settings_(settings), media_(media), clock_(clock), view_(std::move(view)),
      changed_(std::move(changed)), store_(database_file(settings)),
      units_(database_file(settings)) {}

Millis ScheduleApi::now() const {
    return std::chrono::floor<std::chrono::milliseconds>(clock_.system_now());
}

std::int64_t ScheduleApi::unit_id(const std::string& code) {
    return value_or_throw(store_.unit_by_code(code)).id;
}

std::vector<std::int64_t> ScheduleApi::unit_ids(const std::vector<std::string>& codes) {
    std::lock_guard lock(units_mutex_);
    std::vector<std::int64_t> out;
    out.reserve(codes.size());
    for (const auto& c : codes)
        out.push_back(value_or_throw(units_.unit_by_code(c)).id);
    return out;
}

std::vector<std::string> ScheduleApi::unit_codes(const std::vector<std::int64_t>& ids) {
    std::lock_guard lock(units_mutex_);
    std::vector<std::string> out;
    for (auto id : ids)
        if (auto u = units_.unit(id))
            out.push_back(u->code);
    return out;
}

std::vector<std::string> ScheduleApi::all_unit_codes() {
    std::lock_guard lock(units_mutex_);
    std::vector<std::string> out;
    for (const auto& u : value_or_throw(units_.units()))
        out.push_back(u.code);
    return out;
}

std::vector<std::int64_t> ScheduleApi::ids_of(const std::vector<std::string>& codes) {
    std::vector<std::int64_t> out;
    out.reserve(codes.size());
    for (const auto& c : codes)
        out.push_back(unit_id(c));
    return out;
}

std::vector<std::string> ScheduleApi::codes_of(const std::vector<std::int64_t>& ids) {
    std::vector<std::string> out;
    for (auto id : ids)
        if (auto u = store_.unit(id))
            out.push_back(u->code);
    return out;
}

std::map<std::string, std::int64_t> ScheduleApi::cluster_units() {
    std::map<std::string, std::int64_t> out;
    for (const auto& c : value_or_throw(store_.clusters()))
        out[c.id] = c.unit;
    return out;
}

std::int64_t ScheduleApi::cluster_unit(const std::string& cluster) {
    std::lock_guard lock(mutex_);
    auto units = cluster_units();
    auto it = units.find(cluster);
    if (it == units.end())
        throw RpcError(rpc_code::kNotFound, "no cluster \"" + cluster + "\"");
    return it->second;
}

void ScheduleApi::put_cluster(const schedules::Cluster& cluster) {
    std::lock_guard lock(mutex_);
    value_or_throw(store_.put_cluster(cluster));
}

Scope ScheduleApi::scope_of(const std::vector<std::int64_t>& units) {
    Scope scope;
    if (units.empty())
        return scope;
    std::lock_guard lock(mutex_);
    scope.all = false;
    auto all = value_or_throw(store_.units());
    std::map<std::int64_t, std::optional<std::int64_t>> parent;
    for (const auto& u : all)
        parent[u.id] = u.parent;
    for (const auto& u : all)
        for (std::optional<std::int64_t> at = u.id; at; at = parent[*at])
            if (std::find(units.begin(), units.end(), *at) != units.end()) {
                scope.units.insert(u.id);
                break;
            }
    for (auto id : scope.units)
        for (std::optional<std::int64_t> at = id; at; at = parent[*at])
            scope.seen.insert(*at);
    return scope;
}

void ScheduleApi::require(const Scope& scope, const std::vector<std::int64_t>& units,
                          const std::vector<std::string>& clusters) {
    if (scope.all)
        return;
    auto outside = [&](const std::string& what) {
        auto mine = codes_of({scope.units.begin(), scope.units.end()});
        std::string list;
        for (const auto& code : mine)
            list += (list.empty() ? "" : ", ") + code;
        throw RpcError(rpc_code::kUnauthorized,
                       what + " is outside the units you act for (" + list + ")");
    };
    for (auto u : units)
        if (!scope.may_change(u))
            outside("unit \"" + value_or_throw(store_.unit(u)).code + "\"");
    if (clusters.empty())
        return;
    auto of = cluster_units();
    for (const auto& c : clusters) {
        auto it = of.find(c);
        if (it == of.end())
            throw RpcError(rpc_code::kNotFound, "no cluster \"" + c + "\"");
        if (!scope.may_change(it->second))
            outside("cluster \"" + c + "\"");
    }
}

void ScheduleApi::require_read(const Scope& scope, std::int64_t unit) {
    if (!scope.may_read(unit))
        throw RpcError(rpc_code::kUnauthorized, "unit \"" + value_or_throw(store_.unit(unit)).code +
                                                    "\" is outside the units you act for");
}

bool ScheduleApi::may_read_channel(const Scope& scope, const std::string& channel) {
    std::lock_guard lock(mutex_);
    return sees_channel(scope, channel);
}

bool ScheduleApi::sees_channel(const Scope& scope, const std::string& channel) {
    if (scope.all)
        return true;
    if (auto cluster = schedules::cluster_of(channel)) {
        auto units = cluster_units();
        auto it = units.find(*cluster);
        return it != units.end() && scope.may_change(it->second);
    }
    // A channel of the history may bear a code its unit bore before (a recode, a handover).
    auto unit = store_.unit_by_code(channel);
    if (!unit)
        if (auto bore = store_.unit_that_bore(channel); bore && *bore)
            return scope.may_read((*bore)->id);
    return unit && scope.may_read(unit->id);
}

std::string ScheduleApi::program_audio(std::int64_t id, const Scope& scope) {
    std::lock_guard lock(mutex_);
    auto program = value_or_throw(store_.program(id));
    require_read(scope, program.unit);
    if (program.media.empty())
        throw RpcError(rpc_code::kNotFound, "program #" + std::to_string(id) +
                                                " has no stored audio (a relay or live input)");
    return media_.media_path(program.media);
}

json::value ScheduleApi::list_clusters(const Scope& scope) {
    json::array out;
    for (const auto& c : value_or_throw(store_.clusters()))
        if (scope.may_change(c.unit))
            out.push_back(json::object{{"id", c.id},
                                       {"unit", value_or_throw(store_.unit(c.unit)).code},
                                       {"name", c.name}});
    return out;
}

json::value ScheduleApi::list_programs(const Scope& scope) {
    json::array out;
    for (const auto& program : value_or_throw(store_.programs()))
        if (scope.may_read(program.unit))
            out.push_back(program_json(program));
    return out;
}

json::value ScheduleApi::export_schedule(const Params& p, const Scope& scope) {
    auto unit = unit_id(p.string("unit"));
    require_read(scope, unit);
    return json::object{{"ics", value_or_throw(schedules::export_ics(store_, unit))}};
}

json::value ScheduleApi::decide(const Params& p, const std::string& caller, const Scope& scope) {
    auto state = schedules::parse_approval(p.string("approval"));
    if (!state)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.approval: expected draft, pending, approved or rejected");
    auto before = value_or_throw(store_.program(p.integer("id")));
    require(scope, {before.unit});
    value_or_throw(store_.decide(before.id, *state, caller));
    changed_();
    auto out = program_json(value_or_throw(store_.program(before.id)));
    out["was"] = schedules::to_string(before.approval);
    return out;
}

json::value ScheduleApi::list_entries(const Scope& scope) {
    json::array out;
    auto clusters = scope.all ? std::map<std::string, std::int64_t>{} : cluster_units();
    for (const auto& e : value_or_throw(store_.entries())) {
        bool visible = scope.all;
        for (auto u : e.units)
            visible = visible || scope.may_read(u);
        for (const auto& c : e.receivers)
            visible = visible || (clusters.count(c) != 0 && scope.may_change(clusters[c]));
        if (visible)
            out.push_back(entry_json(e, store_));
    }
    return out;
}

json::value ScheduleApi::delete_entry(const Params& p, const Scope& scope) {
    auto id = p.integer("id");
    schedules::Entry before;
    for (auto& e : value_or_throw(store_.entries()))
        if (e.id == id)
            before = std::move(e);
    if (before.id == 0)
        throw RpcError(rpc_code::kNotFound, "no schedule entry #" + std::to_string(id));
    require(scope, before.units, before.receivers);
    auto was = entry_json(before, store_);
    value_or_throw(store_.remove_entry(id));
    changed_();
    return json::object{{"deleted", id}, {"entry", std::move(was)}};
}

ProgramInput ScheduleApi::prepare_program(const Params& p, const CallFiles& files,
                                          MediaUse use) const {
    // The cheap checks first: a malformed call spends no media work.
    if (use == MediaUse::program) {
        (void)p.string("unit");
        (void)p.string("title");
    } else if (use == MediaUse::emergency) {
        if (p.strings("units").empty() && p.strings("clusters").empty())
            throw RpcError(rpc_code::kInvalidParams,
                           "an emergency needs a target: params.units and/or params.clusters");
        (void)p.optional_string("title");
    }
    ProgramInput in;
    std::string kind = p.optional_string("kind").value_or(p.has("text")          ? "tts"
                                                          : p.has("path")        ? "file"
                                                          : p.has("url")         ? "relay"
                                                          : files.upload.empty() ? "live"
                                                                                 : "file");
    auto parsed = schedules::parse_program_kind(kind);
    if (!parsed)
        throw RpcError(rpc_code::kInvalidParams, "params.kind: expected file, tts, relay or live");
    in.kind = *parsed;
    switch (in.kind) {
    case schedules::ProgramKind::file: {
        std::string file =
            files.upload.empty() ? importable(p.string("path"), files) : files.upload;
        in.source = files.upload.empty() ? file : "upload";
        auto stored = value_or_throw(media_.store_file(file, use));
        in.media = std::filesystem::path(stored.path).filename().string();
        in.duration = stored.duration;
        break;
    }
    case schedules::ProgramKind::tts: {
        in.source = p.string("text");
        in.voice = p.optional_string("voice").value_or(settings_.speech_voice);
        in.rate_wpm =
            static_cast<int>(p.optional_integer("rate_wpm").value_or(settings_.speech_rate_wpm));
        auto stored = value_or_throw(media_.speak(in.source, in.voice, in.rate_wpm, use));
        in.media = std::filesystem::path(stored.path).filename().string();
        in.duration = stored.duration;
        break;
    }
    case schedules::ProgramKind::relay:
        in.source = p.string("url");
        if (auto checked = check_relay_url(in.source, settings_.allow_private_relays); !checked)
            throw RpcError(rpc_code::kInvalidParams, "params.url: " + checked.error().message);
        if (p.has("duration_s"))
            in.duration = std::chrono::seconds(duration_s(p));
        break;
    case schedules::ProgramKind::live:
        in.source = live_input(p);
        break;
    }
    return in;
}

std::string ScheduleApi::importable(const std::string& path, const CallFiles& files) const {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (files.local)
        return path; // the server's own administrator, on its own machine
    if (settings_.import_dir.empty())
        throw RpcError(
            rpc_code::kInvalidParams,
            "params.path: files come by upload (POST /api/v1/programs?unit=CODE&title=TITLE); "
            "this server has no import folder (programs.import_dir)");
    auto root = fs::canonical(settings_.import_dir, ec);
    if (ec)
        throw RpcError(rpc_code::kMediaError,
                       "the import folder " + settings_.import_dir + " cannot be read");
    fs::path given(path);
    auto file = fs::canonical(given.is_absolute() ? given : root / given, ec);
    auto [in_root, in_file] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
    if (ec || in_root != root.end() || !fs::is_regular_file(file, ec))
        throw RpcError(rpc_code::kInvalidParams,
                       "params.path: not a file in the import folder " + root.string() +
                           "; name a file there (links out of it are refused), or upload it");
    return file.string();
}

std::string ScheduleApi::live_input(const Params& p) const {
    std::string known;
    for (const auto& in : settings_.live_inputs)
        known += (known.empty() ? "" : ", ") + in.id;
    if (known.empty())
        known = "none: the server's configuration has no live_inputs";
    if (p.has("device"))
        throw RpcError(rpc_code::kInvalidParams,
                       "params.device: live inputs are named by id (params.input), never by "
                       "device; this server's: " +
                           known);
    auto id = p.optional_string("input");
    if (!id && settings_.live_inputs.size() == 1)
        return settings_.live_inputs.front().id;
    for (const auto& in : settings_.live_inputs)
        if (id && in.id == *id)
            return in.id;
    throw RpcError(rpc_code::kInvalidParams,
                   "params.input: expected the id of a live input; this server's: " + known);
}

json::array ScheduleApi::live_inputs() const {
    json::array out;
    for (const auto& in : settings_.live_inputs)
        out.push_back(json::object{{"id", in.id}, {"name", in.name}});
    return out;
}

std::int64_t ScheduleApi::make_program(std::int64_t unit, const ProgramInput& input,
                                       const std::string& title, bool emergency_record) {
    schedules::Program program;
    program.unit = unit;
    program.title = title;
    program.kind = input.kind;
    program.source = input.source;
    program.media = input.media;
    program.duration = input.duration;
    if (input.kind == schedules::ProgramKind::tts) {
        program.voice = input.voice;
        program.rate_wpm = input.rate_wpm;
    }
    program.emergency_record = emergency_record;
    return value_or_throw(store_.add_program(program));
}

json::value ScheduleApi::create_program(const Params& p, const Scope& scope,
                                        const ProgramInput& input) {
    auto unit = unit_id(p.string("unit"));
    require(scope, {unit});
    auto id = make_program(unit, input, p.string("title"));
    return program_json(value_or_throw(store_.program(id)));
}

json::value ScheduleApi::import_schedule(const Params& p, const Scope& scope) {
    auto unit = unit_id(p.string("unit"));
    require(scope, {unit});
    // The same reach as entries.create: programs the caller may read, and no further.
    auto may_use = [&](const schedules::Entry& e) -> common::Result<void> {
        auto program = store_.program(e.program);
        if (!program)
            return program.error();
        if (!scope.may_read(program->unit))
            return common::make_error(common::Errc::unauthorized,
                                      "program #" + std::to_string(e.program) +
                                          " is outside the units you act for");
        return {};
    };
    schedules::IcsImportOptions options;
    options.program = p.optional_integer("program");
    options.match_titles = p.optional_boolean("match_titles").value_or(false);
    options.dry_run = p.optional_boolean("dry_run").value_or(false);
    auto today = std::chrono::floor<std::chrono::seconds>(now());
    auto imported = value_or_throw(
        schedules::import_calendar(store_, unit, p.string("ics"), today, options, may_use));
    if (!options.dry_run) {
        changed_();
        return json::object{{"entries", array_of(imported.entries,
                                                 [](const auto& e) { return json::value(e.id); })}};
    }
    // What would be saved, each with its occurrences in the next two weeks, and what not.
    json::array entries;
    for (std::size_t i = 0; i < imported.entries.size(); ++i) {
        const auto& e = imported.entries[i];
        auto program = value_or_throw(store_.program(e.program));
        auto starts = value_or_throw(
            schedules::occurrences(e.when, today, today + std::chrono::days(14), 50));
        entries.push_back(json::object{
            {"event", imported.events[i]},
            {"program", e.program},
            {"title", program.title},
            {"priority", schedules::to_string(e.priority)},
            {"start", e.when.start_local},
            {"time_zone", e.when.time_zone},
            {"rule", e.when.rule},
            {"duration_s", e.duration.count()},
            {"occurrences_ms", array_of(starts, [](auto at) {
                 return json::value(
                     std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch())
                         .count());
             })}});
    }
    return json::object{
        {"dry_run", true},
        {"entries", std::move(entries)},
        {"refused", array_of(imported.refused, [](const auto& r) { return json::value(r); })}};
}

} // namespace loa::server
