// stats.history: per unit and local day, the clusters online (from the samples of
// OnlineHistory) and the minutes on air (from the as-run log), for the console's charts.
#include <algorithm>

#include "loa/server/schedule/schedule_api.hpp"
#include "schedule_json.hpp"
#include "unit_history.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
using schedules::Millis;

/// Local midnight of `date` ("YYYY-MM-DD") in `zone`.
Millis midnight(std::chrono::sys_days date, const std::string& zone) {
    std::chrono::year_month_day ymd(date);
    char text[24];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT00:00:00", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return Millis(value_or_throw(schedules::local_to_utc(text, zone)));
}

std::string iso_date(std::chrono::sys_days date) {
    std::chrono::year_month_day ymd(date);
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}

/// One unit's row of the answer.
struct UnitDays {
    std::vector<int> online_max, samples;
    std::vector<double> online_sum, minutes;
    int clusters = 0;
};

/// The last `days` local days up to today in `zone`: their dates, and the days + 1 local
/// midnights that bound them.
struct Days {
    std::vector<std::string> dates;
    std::vector<Millis> bounds;
};

Days last_days(Millis now, std::int64_t days, const std::string& zone) {
    auto today_local = value_or_throw(
        schedules::utc_to_local(std::chrono::floor<std::chrono::seconds>(now), zone));
    int y = 0;
    unsigned m = 0, d = 0;
    std::sscanf(today_local.c_str(), "%d-%u-%u", &y, &m, &d);
    std::chrono::sys_days today{std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)};
    Days out;
    for (std::int64_t i = days - 1; i >= -1; --i) {
        auto date = today - std::chrono::days(i);
        out.bounds.push_back(midnight(date, zone));
        if (i >= 0)
            out.dates.push_back(iso_date(date));
    }
    return out;
}

/// The day of `at` among `bounds`, if within them.
std::optional<std::size_t> day_of(const std::vector<Millis>& bounds, Millis at) {
    auto it = std::upper_bound(bounds.begin(), bounds.end(), at);
    if (it == bounds.begin() || it == bounds.end())
        return std::nullopt;
    return static_cast<std::size_t>(it - bounds.begin() - 1);
}

/// The units' rows by every code they cover (a code a unit bore before, a predecessor's).
using RowsByCode = std::map<std::string, UnitDays*>;

/// Adds the samples of clusters online to their unit's days; samples taken at the same time
/// under several codes of one row (a unit and its predecessors) count as one.
void fold_samples(const RowsByCode& units, const std::vector<Millis>& bounds,
                  const std::vector<OnlineSample>& samples) {
    std::map<std::pair<UnitDays*, Millis>, std::pair<int, int>> taken; // online, clusters
    for (const auto& s : samples)
        if (auto found = units.find(s.unit); found != units.end()) {
            auto& [online, clusters] = taken[{found->second, s.at}];
            online += s.online;
            clusters += s.clusters;
        }
    for (const auto& [at, counts] : taken) {
        auto day = day_of(bounds, at.second);
        if (!day)
            continue;
        auto& u = *at.first;
        u.online_max[*day] = std::max(u.online_max[*day], counts.first);
        u.online_sum[*day] += counts.first;
        ++u.samples[*day];
        u.clusters = counts.second; // the last sample's (in time order)
    }
}

/// Adds the minutes each as-run row was on air to its unit's days.
void fold_as_run(const RowsByCode& units, const std::vector<Millis>& bounds,
                 const std::vector<schedules::AsRunRecord>& rows, Millis end_now) {
    auto n = bounds.size() - 1;
    for (const auto& row : rows) {
        auto found = units.find(row.channel);
        if (found == units.end())
            continue;
        auto start = std::max(row.started_at, bounds.front());
        auto end = std::min(row.ended_at.value_or(end_now), bounds.back());
        for (std::size_t i = 0; i < n && start < end; ++i) {
            auto from = std::max(start, bounds[i]);
            auto to = std::min(end, bounds[i + 1]);
            if (from < to)
                found->second->minutes[i] += static_cast<double>((to - from).count()) / 60000.0;
        }
    }
}

json::object unit_row(const schedules::Unit& u, const UnitDays& days_of) {
    json::array online_max, online_avg, minutes;
    for (std::size_t i = 0; i < days_of.minutes.size(); ++i) {
        online_max.push_back(days_of.online_max[i] < 0 ? json::value(nullptr)
                                                       : json::value(days_of.online_max[i]));
        online_avg.push_back(days_of.samples[i] == 0
                                 ? json::value(nullptr)
                                 : json::value(days_of.online_sum[i] / days_of.samples[i]));
        minutes.push_back(json::value(std::round(days_of.minutes[i] * 10) / 10));
    }
    return json::object{{"unit", u.code},
                        {"name", u.name},
                        {"parent", u.parent ? json::value(*u.parent) : nullptr},
                        {"valid_to", u.valid_to ? json::value(*u.valid_to) : nullptr},
                        {"clusters", days_of.clusters},
                        {"online_max", std::move(online_max)},
                        {"online_avg", std::move(online_avg)},
                        {"minutes_on_air", std::move(minutes)}};
}

} // namespace

json::value ScheduleApi::stats_history(const Params& p, const Scope& scope) {
    auto days = p.optional_integer("days").value_or(7);
    if (days < 1 || days > 31)
        throw RpcError(rpc_code::kInvalidParams, "params.days: expected 1 to 31");
    const auto& zone = settings_.time_zone;
    auto [dates, bounds] = last_days(now(), days, zone);
    json::array labels;
    for (const auto& date : dates)
        labels.push_back(json::value(date));
    auto n = static_cast<std::size_t>(days);
    // Each unit's row covers every code it bore, and with `predecessors` those of the units
    // merged into it, which then have no row of their own. A unit that ended within the days
    // (merged, split, retired) has its row as it was, its days from its end empty.
    bool predecessors = p.optional_boolean("predecessors").value_or(false);
    UnitHistory history(store_);
    std::map<std::string, UnitDays> units;
    RowsByCode by_code;
    std::vector<schedules::Unit> shown;
    const std::string first_day = dates.front();
    auto within = [&](const schedules::Unit& u) {
        if (!u.valid_to)
            return true;
        return *u.valid_to > first_day && !(predecessors && u.merged_into);
    };
    for (const auto& u : history.units())
        if (scope.may_read(u.id) && within(u)) {
            auto& row = units[u.code] =
                UnitDays{std::vector<int>(n, -1), std::vector<int>(n, 0), std::vector<double>(n, 0),
                         std::vector<double>(n, 0), 0};
            for (const auto& code : history.codes_of(u.id, predecessors))
                by_code[code] = &row;
            shown.push_back(u);
        }
    if (view_.online_history)
        fold_samples(by_code, bounds, view_.online_history(bounds.front(), bounds.back()));
    fold_as_run(by_code, bounds,
                value_or_throw(store_.as_run(bounds.front() - std::chrono::days(7), bounds.back())),
                now());
    json::array rows;
    for (const auto& u : shown)
        rows.push_back(unit_row(u, units[u.code]));
    return json::object{
        {"time_zone", zone}, {"days", std::move(labels)}, {"units", std::move(rows)}};
}

} // namespace loa::server
