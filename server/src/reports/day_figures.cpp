// A unit's figures of one reporting day: how they add up and how they are kept (JSON), and
// which hours a reporting day covers.
#include <cstdio>

#include "loa/schedules/recurrence.hpp"
#include "loa/server/reports/indicators.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
using schedules::Millis;

template <typename Map> void add_map(Map& into, const Map& from) {
    for (const auto& [k, v] : from)
        into[k] += v;
}

template <typename T> json::object map_json(const std::map<std::string, T>& m) {
    json::object out;
    for (const auto& [k, v] : m)
        out[k] = v;
    return out;
}

std::int64_t integer(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v && v->is_int64() ? v->as_int64() : 0;
}

double number(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v && v->is_number() ? v->to_number<double>() : 0;
}

std::map<std::string, std::int64_t> counts(const json::object& o, const char* key) {
    std::map<std::string, std::int64_t> out;
    if (const auto* v = o.if_contains(key); v && v->is_object())
        for (const auto& [k, n] : v->as_object())
            out[std::string(k)] = n.to_number<std::int64_t>();
    return out;
}

std::map<std::string, double> minutes(const json::object& o, const char* key) {
    std::map<std::string, double> out;
    if (const auto* v = o.if_contains(key); v && v->is_object())
        for (const auto& [k, n] : v->as_object())
            out[std::string(k)] = n.to_number<double>();
    return out;
}

std::chrono::sys_days parse_date(const std::string& date) {
    int y = 0;
    unsigned m = 0, d = 0;
    if (date.size() != 10 || std::sscanf(date.c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3)
        throw std::invalid_argument("expected a date YYYY-MM-DD: " + date);
    std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m),
                                    std::chrono::day(d)};
    if (!ymd.ok())
        throw std::invalid_argument("no such day: " + date);
    return ymd;
}

std::string format_date(std::chrono::sys_days day) {
    std::chrono::year_month_day ymd(day);
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}

Millis local_time(std::chrono::sys_days day, const std::string& hhmm, const std::string& zone) {
    auto utc = schedules::local_to_utc(format_date(day) + "T" + hhmm + ":00", zone);
    if (!utc)
        throw std::invalid_argument(utc.error().message);
    return Millis(*utc);
}

} // namespace

void DayFigures::add(const DayFigures& o) {
    clusters += o.clusters;
    samples += o.samples;
    samples_working += o.samples_working;
    online_sum += o.online_sum;
    cluster_sum += o.cluster_sum;
    played += o.played;
    faulty.insert(o.faulty.begin(), o.faulty.end());
    alarm_minutes += o.alarm_minutes;
    add_map(airings_by_priority, o.airings_by_priority);
    add_map(airings_by_source, o.airings_by_source);
    add_map(minutes_by_priority, o.minutes_by_priority);
    add_map(minutes_by_source, o.minutes_by_source);
    scheduled += o.scheduled;
    missed += o.missed;
    delayed_airings += o.delayed_airings;
    delay_ms_sum += o.delay_ms_sum;
    delay_ms_max = std::max(delay_ms_max, o.delay_ms_max);
    for (const auto& [id, reach] : o.emergencies) {
        auto& mine = emergencies[id];
        mine.call_ms = reach.call_ms;
        mine.targeted += reach.targeted;
        mine.reached += reach.reached;
        if (reach.first_ms != 0)
            mine.first_ms =
                mine.first_ms == 0 ? reach.first_ms : std::min(mine.first_ms, reach.first_ms);
        mine.last_ms = std::max(mine.last_ms, reach.last_ms);
    }
    bulletins_created += o.bulletins_created;
    bulletins_approved += o.bulletins_approved;
    bulletins_rejected += o.bulletins_rejected;
    approval_ms.insert(approval_ms.end(), o.approval_ms.begin(), o.approval_ms.end());
}

bool operator==(const EmergencyReach& a, const EmergencyReach& b) {
    return a.call_ms == b.call_ms && a.targeted == b.targeted && a.reached == b.reached &&
           a.first_ms == b.first_ms && a.last_ms == b.last_ms;
}

json::value to_json(const DayFigures& f) {
    json::array faulty, approvals, emergencies;
    for (const auto& id : f.faulty)
        faulty.push_back(json::value(id));
    for (auto ms : f.approval_ms)
        approvals.push_back(ms);
    for (const auto& [id, r] : f.emergencies)
        emergencies.push_back(
            json::array{id, r.call_ms, r.targeted, r.reached, r.first_ms, r.last_ms});
    return json::object{{"clusters", f.clusters},
                        {"samples", f.samples},
                        {"samples_working", f.samples_working},
                        {"online_sum", f.online_sum},
                        {"cluster_sum", f.cluster_sum},
                        {"played", f.played},
                        {"faulty", std::move(faulty)},
                        {"alarm_minutes", f.alarm_minutes},
                        {"airings_by_priority", map_json(f.airings_by_priority)},
                        {"airings_by_source", map_json(f.airings_by_source)},
                        {"minutes_by_priority", map_json(f.minutes_by_priority)},
                        {"minutes_by_source", map_json(f.minutes_by_source)},
                        {"scheduled", f.scheduled},
                        {"missed", f.missed},
                        {"delayed_airings", f.delayed_airings},
                        {"delay_ms_sum", f.delay_ms_sum},
                        {"delay_ms_max", f.delay_ms_max},
                        {"emergencies", std::move(emergencies)},
                        {"bulletins_created", f.bulletins_created},
                        {"bulletins_approved", f.bulletins_approved},
                        {"bulletins_rejected", f.bulletins_rejected},
                        {"approval_ms", std::move(approvals)}};
}

DayFigures day_figures_from_json(const json::value& v) {
    const auto& o = v.as_object();
    DayFigures f;
    f.clusters = integer(o, "clusters");
    f.samples = integer(o, "samples");
    f.samples_working = integer(o, "samples_working");
    f.online_sum = integer(o, "online_sum");
    f.cluster_sum = integer(o, "cluster_sum");
    f.played = integer(o, "played");
    for (const auto& id : o.at("faulty").as_array())
        f.faulty.insert(std::string(id.as_string()));
    f.alarm_minutes = number(o, "alarm_minutes");
    f.airings_by_priority = counts(o, "airings_by_priority");
    f.airings_by_source = counts(o, "airings_by_source");
    f.minutes_by_priority = minutes(o, "minutes_by_priority");
    f.minutes_by_source = minutes(o, "minutes_by_source");
    f.scheduled = integer(o, "scheduled");
    f.missed = integer(o, "missed");
    f.delayed_airings = integer(o, "delayed_airings");
    f.delay_ms_sum = integer(o, "delay_ms_sum");
    f.delay_ms_max = integer(o, "delay_ms_max");
    for (const auto& e : o.at("emergencies").as_array()) {
        const auto& a = e.as_array();
        f.emergencies[a[0].as_int64()] = {a[1].as_int64(), a[2].as_int64(), a[3].as_int64(),
                                          a.size() > 5 ? a[4].as_int64() : 0,
                                          a.size() > 5 ? a[5].as_int64() : 0};
    }
    f.bulletins_created = integer(o, "bulletins_created");
    f.bulletins_approved = integer(o, "bulletins_approved");
    f.bulletins_rejected = integer(o, "bulletins_rejected");
    for (const auto& ms : o.at("approval_ms").as_array())
        f.approval_ms.push_back(ms.as_int64());
    return f;
}

std::pair<Millis, Millis> reporting_day(const std::string& date, const std::string& zone,
                                        const std::string& cutoff) {
    auto day = parse_date(date);
    // The day ends at its cut-off; with "00:00", at the midnight that ends it.
    auto end_day = cutoff == "00:00" ? day + std::chrono::days(1) : day;
    return {local_time(end_day - std::chrono::days(1), cutoff, zone),
            local_time(end_day, cutoff, zone)};
}

std::string reporting_date(Millis at, const std::string& zone, const std::string& cutoff) {
    auto local = schedules::utc_to_local(std::chrono::floor<std::chrono::seconds>(at), zone);
    if (!local)
        throw std::invalid_argument(local.error().message);
    auto day = parse_date(local->substr(0, 10));
    // At or after the day's cut-off, the figures belong to the next reporting day.
    if (cutoff != "00:00" && local->substr(11, 5) >= cutoff)
        day += std::chrono::days(1);
    return format_date(day);
}

} // namespace loa::server
