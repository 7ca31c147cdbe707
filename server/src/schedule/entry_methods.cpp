// The schedule entries' methods: create (or only check, for a form that shows conflicts and
// quiet hours before saving), update, and the occurrences over a span, as a calendar shows
// them.
#include <algorithm>

#include "loa/server/schedule/schedule_api.hpp"
#include "schedule_json.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
using namespace schedule_json; // NOLINT(google-build-using-namespace)

/// The widest span entries.occurrences expands at once, and the most rows it returns.
constexpr std::int64_t kMaxSpanMs = 62LL * 24 * 3600 * 1000;
constexpr std::size_t kMaxOccurrences = 5000;

} // namespace

schedules::Entry ScheduleApi::entry_of(const Params& p, const Scope& scope) {
    schedules::Entry e;
    e.program = p.integer("program");
    auto priority = schedules::parse_priority(p.optional_string("priority").value_or("normal"));
    if (!priority)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.priority: expected normal, priority or emergency");
    e.priority = *priority;
    e.units = ids_of(p.strings("units"));
    e.receivers = p.strings("clusters");
    e.when.start_local = p.string("start");
    e.when.time_zone = p.optional_string("time_zone").value_or(settings_.time_zone);
    e.when.rule = p.optional_string("rule").value_or("");
    e.when.exceptions = p.strings("exceptions");
    e.duration = std::chrono::seconds(duration_s(p));
    require(scope, e.units, e.receivers);
    require_read(scope, value_or_throw(store_.program(e.program)).unit);
    return e;
}

json::value ScheduleApi::create_entry(const Params& p, const Scope& scope) {
    auto e = entry_of(p, scope);
    auto at = std::chrono::floor<std::chrono::seconds>(now());
    if (p.optional_boolean("dry_run").value_or(false)) {
        value_or_throw(store_.check_entry(e, at));
        return json::object{{"ok", true}};
    }
    auto id = value_or_throw(store_.add_entry(e, at));
    changed_();
    return json::object{{"id", id}};
}

json::value ScheduleApi::update_entry(const Params& p, const Scope& scope) {
    auto id = p.integer("id");
    std::optional<schedules::Entry> before;
    for (auto& e : value_or_throw(store_.entries()))
        if (e.id == id)
            before = std::move(e);
    if (!before)
        throw RpcError(rpc_code::kNotFound, "no schedule entry #" + std::to_string(id));
    require(scope, before->units, before->receivers);
    auto e = entry_of(p, scope);
    e.id = id;
    auto at = std::chrono::floor<std::chrono::seconds>(now());
    if (p.optional_boolean("dry_run").value_or(false)) {
        value_or_throw(store_.check_entry(e, at));
        return json::object{{"ok", true}};
    }
    value_or_throw(store_.update_entry(e, at));
    changed_();
    return json::object{{"id", id}, {"entry", entry_json(e, store_)}};
}

json::value ScheduleApi::list_occurrences(const Params& p, const Scope& scope) {
    auto from = time_ms(p, "from_ms").value_or(now().time_since_epoch().count());
    auto to = time_ms(p, "to_ms").value_or(from + 7LL * 24 * 3600 * 1000);
    if (to <= from || to - from > kMaxSpanMs)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.to_ms: expected after from_ms and at most 62 days later");
    std::map<std::int64_t, schedules::Program> programs;
    for (auto& program : value_or_throw(store_.programs()))
        programs.emplace(program.id, std::move(program));
    auto entries = list_entries(scope);
    json::array out;
    for (const auto& v : entries.as_array()) {
        const auto& o = v.as_object();
        auto id = o.at("id").as_int64();
        auto length = std::chrono::seconds(o.at("duration_s").as_int64());
        schedules::Recurrence when{std::string(o.at("start").as_string()),
                                   std::string(o.at("time_zone").as_string()),
                                   std::string(o.at("rule").as_string()),
                                   {}};
        for (const auto& x : o.at("exceptions").as_array())
            when.exceptions.emplace_back(x.as_string());
        // An occurrence that began before `from` and still runs is shown too.
        auto begin = std::chrono::floor<std::chrono::seconds>(
                         schedules::Millis(std::chrono::milliseconds(from))) -
                     length + std::chrono::seconds(1);
        auto end = std::chrono::ceil<std::chrono::seconds>(
            schedules::Millis(std::chrono::milliseconds(to)));
        auto starts = schedules::occurrences(when, begin, end, kMaxOccurrences);
        if (!starts)
            continue; // stored entries were checked when saved
        auto program = programs.find(o.at("program").as_int64());
        for (auto start : *starts) {
            auto start_ms = std::chrono::milliseconds(start.time_since_epoch()).count();
            out.push_back(json::object{
                {"entry", id},
                {"program", o.at("program")},
                {"title", program != programs.end() ? program->second.title : ""},
                {"approval",
                 program != programs.end() ? schedules::to_string(program->second.approval) : ""},
                {"priority", o.at("priority")},
                {"units", o.at("units")},
                {"clusters", o.at("clusters")},
                {"start_ms", start_ms},
                {"end_ms", start_ms + std::chrono::milliseconds(length).count()}});
            if (out.size() >= kMaxOccurrences)
                return out;
        }
    }
    std::sort(out.begin(), out.end(), [](const json::value& a, const json::value& b) {
        return a.at("start_ms").as_int64() < b.at("start_ms").as_int64();
    });
    return out;
}

} // namespace loa::server
