// indicators.get: the reporting days of a unit and of the units under it, summed into days,
// weeks, months or years, as docs/indicators.md defines each figure.
#include <algorithm>
#include <cmath>

#include "loa/server/reports/indicator_report.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
using Days = std::map<std::string, std::map<std::int64_t, DayFigures>>;

std::chrono::sys_days to_days(const std::string& date) {
    int y = 0;
    unsigned m = 0, d = 0;
    if (date.size() != 10 || std::sscanf(date.c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3)
        throw RpcError(rpc_code::kInvalidParams,
                       "expected a date YYYY-MM-DD, got \"" + date + "\"");
    std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m),
                                    std::chrono::day(d)};
    if (!ymd.ok())
        throw RpcError(rpc_code::kInvalidParams, "no such day: " + date);
    return ymd;
}

std::string text_of(std::chrono::sys_days day) {
    std::chrono::year_month_day ymd(day);
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}

/// The first day of the period `date` is in.
std::string period_start(const std::string& date, const std::string& period) {
    if (period == "day")
        return date;
    if (period == "month")
        return date.substr(0, 8) + "01";
    if (period == "year")
        return date.substr(0, 5) + "01-01";
    auto day = to_days(date); // week: ISO, from Monday
    std::chrono::weekday wd(day);
    return text_of(day - std::chrono::days((wd.c_encoding() + 6) % 7));
}

double round1(double v) {
    return std::round(v * 10) / 10;
}

json::value percent(double part, double whole) {
    return whole > 0 ? json::value(round1(100.0 * part / whole)) : json::value(nullptr);
}

/// One period's sum of one unit's days (its own and those of the units it covers).
struct PeriodSum {
    std::string first, last;
    DayFigures total;
    int days = 0;
    bool final = true;
    std::int64_t clusters = 0; ///< at the period's last day with samples
    std::set<std::int64_t> communes, covered_communes;
    std::map<std::int64_t, int> covered_days, sampled_days; ///< by commune
};

double median(std::vector<std::int64_t> v) {
    std::sort(v.begin(), v.end());
    auto n = v.size();
    return n % 2 == 1 ? static_cast<double>(v[n / 2])
                      : (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2;
}

json::object kind_breakdown(const std::map<std::string, std::int64_t>& airings,
                            const std::map<std::string, double>& minutes,
                            std::initializer_list<const char*> kinds) {
    json::object out;
    for (const char* k : kinds) {
        auto a = airings.find(k);
        auto m = minutes.find(k);
        out[k] = json::object{{"airings", a == airings.end() ? 0 : a->second},
                              {"minutes", round1(m == minutes.end() ? 0.0 : m->second)}};
    }
    return out;
}

json::object row_json(const schedules::Unit& unit, const std::string& period, const PeriodSum& s) {
    const auto& f = s.total;
    std::int64_t airings = 0;
    double minutes = 0;
    for (const auto& [k, n] : f.airings_by_priority)
        airings += n;
    for (const auto& [k, m] : f.minutes_by_priority)
        minutes += m;
    std::int64_t targeted = 0, reached = 0;
    std::optional<double> to_first, to_last; // the slowest emergency's, in seconds
    for (const auto& [id, r] : f.emergencies) {
        targeted += r.targeted;
        reached += r.reached;
        if (r.first_ms == 0 || r.call_ms == 0)
            continue;
        auto first = static_cast<double>(r.first_ms - r.call_ms) / 1000;
        auto last = static_cast<double>(r.last_ms - r.call_ms) / 1000;
        to_first = std::max(to_first.value_or(first), first);
        to_last = std::max(to_last.value_or(last), last);
    }
    auto seconds = [](std::optional<double> v) {
        return v ? json::value(std::max(0.0, *v)) : json::value(nullptr);
    };
    auto communes = static_cast<std::int64_t>(s.communes.size());
    auto covered = static_cast<std::int64_t>(s.covered_communes.size());
    return json::object{
        {"unit", unit.code},
        {"name", unit.name},
        {"period", period},
        {"from", s.first},
        {"to", s.last},
        {"days", s.days},
        {"final", s.final},
        {"clusters",
         json::object{{"total", s.clusters},
                      {"availability_percent", percent(static_cast<double>(f.online_sum),
                                                       static_cast<double>(f.cluster_sum))},
                      {"played", f.played},
                      {"faulty", static_cast<std::int64_t>(f.faulty.size())},
                      {"alarm_minutes", round1(f.alarm_minutes)}}},
        {"broadcasts",
         json::object{{"airings", airings},
                      {"minutes", round1(minutes)},
                      {"by_priority", kind_breakdown(f.airings_by_priority, f.minutes_by_priority,
                                                     {"normal", "priority", "emergency"})},
                      {"by_source", kind_breakdown(f.airings_by_source, f.minutes_by_source,
                                                   {"file", "bulletin", "relay", "live"})},
                      {"scheduled", f.scheduled},
                      {"missed", f.missed},
                      {"start_delay_ms_mean", f.delayed_airings > 0
                                                  ? json::value(f.delay_ms_sum / f.delayed_airings)
                                                  : nullptr},
                      {"start_delay_ms_max",
                       f.delayed_airings > 0 ? json::value(f.delay_ms_max) : nullptr}}},
        {"emergencies", json::object{{"count", static_cast<std::int64_t>(f.emergencies.size())},
                                     {"clusters_targeted", targeted},
                                     {"clusters_reached", reached},
                                     {"reached_percent", percent(static_cast<double>(reached),
                                                                 static_cast<double>(targeted))},
                                     {"first_playing_s_max", seconds(to_first)},
                                     {"last_playing_s_max", seconds(to_last)}}},
        {"bulletins", json::object{{"created", f.bulletins_created},
                                   {"approved", f.bulletins_approved},
                                   {"rejected", f.bulletins_rejected},
                                   {"approval_minutes_median",
                                    f.approval_ms.empty()
                                        ? json::value(nullptr)
                                        : json::value(round1(median(f.approval_ms) / 60000.0))}}},
        {"coverage", json::object{{"communes", communes},
                                  {"communes_covered", covered},
                                  {"covered_percent", percent(static_cast<double>(covered),
                                                              static_cast<double>(communes))}}}};
}

/// Which units' days a row sums: the unit, the units under it (at any depth), and with
/// `predecessors` the units merged into any of these.
std::set<std::int64_t> covered_by(std::int64_t unit, const std::vector<schedules::Unit>& all,
                                  bool predecessors) {
    std::set<std::int64_t> out{unit};
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& u : all) {
            if (out.count(u.id) != 0)
                continue;
            bool under = u.parent && out.count(*u.parent) != 0;
            bool merged = predecessors && u.merged_into && out.count(*u.merged_into) != 0;
            if (under || merged)
                grew = out.insert(u.id).second || grew;
        }
    }
    return out;
}

} // namespace

IndicatorQuery indicator_query(const Params& p, const std::string& today) {
    IndicatorQuery q;
    q.period = p.optional_string("period").value_or("day");
    if (q.period != "day" && q.period != "week" && q.period != "month" && q.period != "year" &&
        q.period != "all")
        throw RpcError(rpc_code::kInvalidParams,
                       "params.period: expected day, week, month, year or all");
    q.to = p.optional_string("to").value_or(today);
    q.from = p.optional_string("from").value_or(
        period_start(q.to, q.period == "all" ? "day" : q.period));
    auto span = to_days(q.to) - to_days(q.from);
    if (span.count() < 0)
        throw RpcError(rpc_code::kInvalidParams, "params.from: after params.to");
    if (span.count() > 3LL * 366)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.from, params.to: at most three years in one request");
    q.unit = p.optional_string("unit");
    q.predecessors = p.optional_boolean("predecessors").value_or(true);
    q.children = p.optional_boolean("children").value_or(true);
    return q;
}

json::value indicators_report(IndicatorBook& book, const IndicatorQuery& q,
                              const std::function<bool(std::int64_t)>& may_read) {
    auto units = value_or_throw(book.units());
    const schedules::Unit* asked = nullptr;
    for (const auto& u : units)
        if (q.unit ? u.code == *q.unit && !u.valid_to : !u.parent && !u.valid_to && may_read(u.id))
            asked = &u;
    if (!asked && q.unit) // a unit that ended, by its last code
        for (const auto& u : units)
            if (u.code == *q.unit)
                asked = &u;
    if (!asked && !q.unit) // a key of communes: its first one
        for (const auto& u : units)
            if (!u.valid_to && may_read(u.id)) {
                asked = &u;
                break;
            }
    if (!asked)
        throw RpcError(rpc_code::kNotFound, q.unit ? "no unit \"" + *q.unit + "\"" : "no unit");
    if (!may_read(asked->id))
        throw RpcError(rpc_code::kUnauthorized,
                       "unit \"" + asked->code + "\" is outside the units you report on");
    // The unit's row, and one per unit under it that lived within the days.
    std::vector<const schedules::Unit*> rows{asked};
    if (q.children)
        for (const auto& u : units)
            if (u.parent == asked->id && (!u.valid_to || *u.valid_to > q.from) &&
                u.valid_from <= q.to && !(q.predecessors && u.merged_into))
                rows.push_back(&u);
    std::map<std::int64_t, const schedules::Unit*> by_id;
    for (const auto& u : units)
        by_id[u.id] = &u;
    // A merged commune's days count as its successor's.
    auto successor = [&](std::int64_t id) {
        for (int depth = 0; q.predecessors && depth < 64 && by_id.at(id)->merged_into; ++depth)
            id = *by_id.at(id)->merged_into;
        return id;
    };
    std::set<std::string> frozen;
    auto days = value_or_throw(book.days(q.from, q.to, frozen));
    json::array out;
    for (const auto* unit : rows) {
        auto covered = covered_by(unit->id, units, q.predecessors);
        std::map<std::string, PeriodSum> periods;
        for (auto day = to_days(q.from); day <= to_days(q.to); day += std::chrono::days(1)) {
            auto date = text_of(day);
            auto& s = periods[q.period == "all" ? q.from : period_start(date, q.period)];
            if (s.first.empty())
                s.first = date;
            s.last = date;
            ++s.days;
            s.final = s.final && frozen.count(date) != 0;
            auto found = days.find(date);
            if (found == days.end())
                continue;
            std::int64_t clusters = 0;
            bool sampled = false;
            for (const auto& [id, f] : found->second) {
                if (covered.count(id) == 0)
                    continue;
                s.total.add(f);
                clusters += f.clusters;
                sampled = sampled || f.samples > 0;
                // A commune (a unit with a parent) is covered on a day when at least one of its
                // clusters was online in half the day's samples or more.
                auto u = by_id.find(id);
                if (u == by_id.end() || !u->second->parent)
                    continue;
                auto commune = successor(id);
                if (f.samples > 0) {
                    ++s.sampled_days[commune];
                    s.covered_days[commune] += 2 * f.samples_working >= f.samples ? 1 : 0;
                }
            }
            if (sampled)
                s.clusters = clusters;
        }
        for (auto& [start, s] : periods) {
            for (const auto& [commune, n] : s.sampled_days) {
                s.communes.insert(commune);
                if (2 * s.covered_days[commune] >= n)
                    s.covered_communes.insert(commune);
            }
            out.push_back(row_json(*unit, q.period, s));
        }
    }
    json::array corrections;
    for (const auto& c : value_or_throw(book.corrections(q.from, q.to)))
        for (const auto* unit : rows)
            if (covered_by(unit->id, units, q.predecessors).count(c.unit) != 0) {
                corrections.push_back(
                    json::object{{"id", c.id},
                                 {"date", c.date},
                                 {"unit", unit->code},
                                 {"recorded_at_ms", c.recorded_at.time_since_epoch().count()}});
                break;
            }
    return json::object{{"time_zone", book.settings().time_zone},
                        {"cutoff", book.settings().cutoff},
                        {"period", q.period},
                        {"from", q.from},
                        {"to", q.to},
                        {"rows", std::move(out)},
                        {"corrections", std::move(corrections)}};
}

} // namespace loa::server
