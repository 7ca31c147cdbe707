#include "schedule_json.hpp"

#include <cstdio>
#include <ctime>

#include "loa/server/schedule/relay_url.hpp"

namespace loa::server::schedule_json {

namespace json = boost::json;
using schedules::Millis;

std::string iso_utc(Millis at) {
    auto t = std::chrono::floor<std::chrono::seconds>(at);
    std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + n, sizeof text - n, ".%03lldZ", static_cast<long long>((at - t).count()));
    return text;
}

json::object unit_json(const schedules::Unit& u) {
    json::object o{{"id", u.id},
                   {"code", u.code},
                   {"name", u.name},
                   {"valid_from", u.valid_from},
                   {"named_from", u.named_from},
                   {"approval_required", u.approval_required},
                   {"quiet_hours", u.quiet_start + "-" + u.quiet_end}};
    o["parent"] = u.parent ? json::value(*u.parent) : json::value(nullptr);
    o["valid_to"] = u.valid_to ? json::value(*u.valid_to) : json::value(nullptr);
    o["merged_into"] = u.merged_into ? json::value(*u.merged_into) : json::value(nullptr);
    return o;
}

json::object program_json(const schedules::Program& p) {
    // A relay's credentials are never shown back, to anyone.
    auto source = p.kind == schedules::ProgramKind::relay ? redact_url(p.source) : p.source;
    json::object o{{"id", p.id},
                   {"unit", p.unit},
                   {"kind", schedules::to_string(p.kind)},
                   {"title", p.title},
                   {"source", std::move(source)},
                   {"approval", schedules::to_string(p.approval)},
                   {"emergency_record", p.emergency_record}};
    o["duration_ms"] = p.duration ? json::value(p.duration->count()) : json::value(nullptr);
    o["decided_by"] = p.decided_by ? json::value(*p.decided_by) : json::value(nullptr);
    o["decided_at"] = p.decided_at ? json::value(*p.decided_at) : json::value(nullptr);
    if (p.kind == schedules::ProgramKind::tts) {
        o["voice"] = p.voice;
        o["rate_wpm"] = p.rate_wpm;
    }
    return o;
}

json::object entry_json(const schedules::Entry& e, schedules::ScheduleStore& store) {
    json::array units, clusters, exceptions;
    for (auto u : e.units)
        if (auto found = store.unit(u))
            units.push_back(json::value(found->code));
    for (const auto& c : e.receivers)
        clusters.push_back(json::value(c));
    for (const auto& x : e.when.exceptions)
        exceptions.push_back(json::value(x));
    return json::object{{"id", e.id},
                        {"program", e.program},
                        {"priority", schedules::to_string(e.priority)},
                        {"units", std::move(units)},
                        {"clusters", std::move(clusters)},
                        {"start", e.when.start_local},
                        {"time_zone", e.when.time_zone},
                        {"rule", e.when.rule},
                        {"exceptions", std::move(exceptions)},
                        {"duration_s", e.duration.count()}};
}

json::object as_run_json(const schedules::AsRunRecord& r) {
    json::object o{{"id", r.id},
                   {"program", r.program},
                   {"title", r.title},
                   {"priority", schedules::to_string(r.priority)},
                   {"channel", r.channel},
                   {"started_at", iso_utc(r.started_at)},
                   {"started_at_ms", r.started_at.time_since_epoch().count()},
                   {"receivers", r.receivers},
                   {"played", r.played}};
    o["entry"] = r.entry ? json::value(*r.entry) : json::value(nullptr);
    o["override"] = r.override_id ? json::value(*r.override_id) : json::value(nullptr);
    o["scheduled_at"] =
        r.scheduled_at ? json::value(iso_utc(Millis(*r.scheduled_at))) : json::value(nullptr);
    o["ended_at"] = r.ended_at ? json::value(iso_utc(*r.ended_at)) : json::value(nullptr);
    o["ended_at_ms"] =
        r.ended_at ? json::value(r.ended_at->time_since_epoch().count()) : json::value(nullptr);
    o["outcome"] = r.outcome ? json::value(schedules::to_string(*r.outcome)) : json::value(nullptr);
    return o;
}

std::int64_t duration_s(const Params& p) {
    constexpr std::int64_t kMax = 7LL * 24 * 3600;
    auto d = p.integer("duration_s");
    if (d < 1 || d > kMax)
        throw RpcError(rpc_code::kInvalidParams, "params.duration_s: expected 1 to " +
                                                     std::to_string(kMax) +
                                                     " seconds (7 days), got " + std::to_string(d));
    return d;
}

std::optional<std::int64_t> time_ms(const Params& p, const char* name) {
    constexpr std::int64_t kMax = 253402300800000; // 10000-01-01
    auto v = p.optional_integer(name);
    if (v && (*v < 0 || *v > kMax))
        throw RpcError(rpc_code::kInvalidParams,
                       std::string("params.") + name + ": expected milliseconds since 1970");
    return v;
}

} // namespace loa::server::schedule_json
