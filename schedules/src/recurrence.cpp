#include "loa/schedules/recurrence.hpp"

#include <algorithm>
#include <cstdio>
#include <libical/ical.h>
#include <mutex>
#include <regex>
#include <string_view>

#include "loa/common/clock.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;

/// libical's zone cache is not thread-safe: one lock for every call into it.
std::mutex& ical_mutex() {
    static std::mutex mutex;
    return mutex;
}

common::Result<icaltimezone*> find_zone(const std::string& name) {
    icaltimezone* zone = icaltimezone_get_builtin_timezone(name.c_str());
    if (zone == nullptr)
        return make_error(Errc::invalid_argument, "unknown time zone \"" + name +
                                                      "\"; use an IANA name such as " +
                                                      kDefaultTimeZone);
    return zone;
}

/// The years a schedule can name.
constexpr int kFirstYear = 1970, kLastYear = 2999;

common::Result<icaltimetype> parse_local(const std::string& local, icaltimezone* zone) {
    static const std::regex format(R"((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2}))");
    std::smatch m;
    if (!std::regex_match(local, m, format))
        return make_error(Errc::invalid_argument,
                          "start \"" + local + "\": expected YYYY-MM-DDTHH:MM:SS (local time)");
    icaltimetype t = icaltime_null_time();
    t.year = std::stoi(m[1]);
    t.month = std::stoi(m[2]);
    t.day = std::stoi(m[3]);
    t.hour = std::stoi(m[4]);
    t.minute = std::stoi(m[5]);
    t.second = std::stoi(m[6]);
    t.is_date = 0;
    if (t.month < 1 || t.month > 12 || t.day < 1 ||
        t.day > icaltime_days_in_month(t.month, t.year) || t.hour > 23 || t.minute > 59 ||
        t.second > 59)
        return make_error(Errc::invalid_argument, "start \"" + local + "\" is not a real date");
    // iCalendar cannot write a year past 3000 (an export would not read back), and a time
    // before 1970 has no place in a broadcast schedule.
    if (t.year < kFirstYear || t.year > kLastYear)
        return make_error(Errc::invalid_argument, "start \"" + local + "\": the year must be " +
                                                      std::to_string(kFirstYear) + " to " +
                                                      std::to_string(kLastYear));
    t = icaltime_set_timezone(&t, zone);
    return t;
}

/// What an RRULE is written with (RFC 5545, 3.3.10): letters, digits and "=;,+-". libical reads
/// past anything else ("COUNT=5\r0" counts 5) and its writer drops it ("COUNT=50" comes back).
bool rule_characters(const std::string& rule) {
    return std::all_of(rule.begin(), rule.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::string_view("=;,+-").find(c) != std::string_view::npos;
    });
}

common::Result<icalrecurrencetype> parse_rule(const std::string& rule) {
    if (!rule_characters(rule))
        return make_error(Errc::invalid_argument,
                          "RRULE holds a character that rules are not written with (RFC 5545: "
                          "letters, digits and = ; , + -), e.g. FREQ=WEEKLY;BYDAY=MO,WE,FR");
    icalerror_clear_errno();
    icalrecurrencetype recur = icalrecurrencetype_from_string(rule.c_str());
    if (recur.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
        icalerror_clear_errno();
        return make_error(Errc::invalid_argument,
                          "RRULE \"" + rule +
                              "\" is not valid (RFC 5545), e.g. FREQ=DAILY, "
                              "FREQ=WEEKLY;BYDAY=MO,WE,FR, FREQ=MONTHLY;BYMONTHDAY=1;COUNT=6");
    }
    return recur;
}

TimePoint to_utc(const icaltimetype& t, icaltimezone* zone) {
    return TimePoint(std::chrono::seconds(icaltime_as_timet_with_zone(t, zone)));
}

} // namespace

common::Result<TimePoint> local_to_utc(const std::string& local, const std::string& time_zone) {
    std::lock_guard lock(ical_mutex());
    auto zone = find_zone(time_zone);
    if (!zone)
        return zone.error();
    auto t = parse_local(local, *zone);
    if (!t)
        return t.error();
    return to_utc(*t, *zone);
}

common::Result<std::string> utc_to_local(TimePoint at, const std::string& time_zone) {
    std::lock_guard lock(ical_mutex());
    auto zone = find_zone(time_zone);
    if (!zone)
        return zone.error();
    icaltimetype t =
        icaltime_from_timet_with_zone(static_cast<time_t>(at.time_since_epoch().count()), 0, *zone);
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day,
                  t.hour, t.minute, t.second);
    return std::string(text);
}

common::Result<void> validate(const Recurrence& r) {
    std::lock_guard lock(ical_mutex());
    auto zone = find_zone(r.time_zone);
    if (!zone)
        return zone.error();
    if (auto start = parse_local(r.start_local, *zone); !start)
        return start.error();
    if (!r.rule.empty())
        if (auto rule = parse_rule(r.rule); !rule)
            return rule.error();
    for (const auto& e : r.exceptions)
        if (auto t = parse_local(e, *zone); !t)
            return make_error(Errc::invalid_argument, "exception " + t.error().message);
    return {};
}

common::Result<std::vector<TimePoint>> occurrences(const Recurrence& r, TimePoint from,
                                                   TimePoint to, std::size_t limit) {
    std::lock_guard lock(ical_mutex());
    auto zone = find_zone(r.time_zone);
    if (!zone)
        return zone.error();
    auto start = parse_local(r.start_local, *zone);
    if (!start)
        return start.error();
    std::vector<TimePoint> skipped;
    for (const auto& e : r.exceptions) {
        auto t = parse_local(e, *zone);
        if (!t)
            return make_error(Errc::invalid_argument, "exception " + t.error().message);
        skipped.push_back(to_utc(*t, *zone));
    }
    std::vector<TimePoint> out;
    auto keep = [&](TimePoint at) {
        if (at >= from && at < to && std::find(skipped.begin(), skipped.end(), at) == skipped.end())
            out.push_back(at);
    };
    if (r.rule.empty()) {
        keep(to_utc(*start, *zone));
        return out;
    }
    auto rule = parse_rule(r.rule);
    if (!rule)
        return rule.error();
    icalrecur_iterator* it = icalrecur_iterator_new(*rule, *start);
    if (it == nullptr)
        return make_error(Errc::invalid_argument, "RRULE \"" + r.rule + "\" cannot be expanded");
    // An entry that started long ago: jump close to the window instead of walking every
    // occurrence since its start (libical refuses this for COUNT rules, which must count).
    constexpr auto kJumpMargin = std::chrono::hours(48);
    if (rule->count == 0 && from - kJumpMargin > to_utc(*start, *zone)) {
        auto jump = static_cast<time_t>((from - kJumpMargin).time_since_epoch().count());
        icaltimetype near = icaltime_from_timet_with_zone(jump, 0, *zone);
        (void)icalrecur_iterator_set_start(it, near);
    }
    // Expansion runs in local wall time, so a daily 06:30 stays 06:30 in zones with DST.
    for (icaltimetype t = icalrecur_iterator_next(it);
         !icaltime_is_null_time(t) && out.size() < limit; t = icalrecur_iterator_next(it)) {
        t = icaltime_set_timezone(&t, *zone);
        TimePoint at = to_utc(t, *zone);
        if (at >= to)
            break;
        keep(at);
    }
    icalrecur_iterator_free(it);
    return out;
}

common::Result<std::string> vtimezone(const std::string& time_zone, TimePoint from) {
    std::lock_guard lock(ical_mutex());
    auto zone = find_zone(time_zone);
    if (!zone)
        return zone.error();
    icalcomponent* builtin = icaltimezone_get_component(*zone);
    if (builtin == nullptr)
        return make_error(Errc::io_error, "no VTIMEZONE data for \"" + time_zone + "\"");
    // libical names its zones with a prefix of its own; DTSTART;TZID= names the zone plainly,
    // and the two must match.
    icalcomponent* copy = icalcomponent_new_clone(builtin);
    // The zone's history since 1893 is of no use to a schedule: its rules from a day before
    // `from` on, as calendar applications write them.
    auto day_before = from - std::chrono::days(1);
    icaltimezone_truncate_vtimezone(
        copy,
        icaltime_from_timet_with_zone(static_cast<time_t>(day_before.time_since_epoch().count()), 0,
                                      icaltimezone_get_utc_timezone()),
        icaltime_null_time(), 0);
    icalproperty* tzid = icalcomponent_get_first_property(copy, ICAL_TZID_PROPERTY);
    if (tzid != nullptr)
        icalproperty_set_tzid(tzid, time_zone.c_str());
    else
        icalcomponent_add_property(copy, icalproperty_new_tzid(time_zone.c_str()));
    char* text = icalcomponent_as_ical_string_r(copy);
    std::string out = text != nullptr ? text : "";
    icalmemory_free_buffer(text);
    icalcomponent_free(copy);
    return out;
}

common::Result<std::string> rule_with_utc_until(const Recurrence& r) {
    static const std::regex until(R"((^|;)UNTIL=(\d{8})(T(\d{6})(Z?))?(;|$))");
    std::smatch m;
    if (!std::regex_search(r.rule, m, until) || m[5].length() == 1)
        return r.rule; // no UNTIL, or one in UTC already
    // A time without Z is local wall time. A date alone is that day's local midnight: libical,
    // which expands the schedule, compares an occurrence with it as with a time of 00:00, so
    // the rule ends as that day begins, and the export must say what airs.
    std::string day = m[2].str();
    std::string clock = m[3].matched ? m[4].str() : "000000";
    std::string local = day.substr(0, 4) + "-" + day.substr(4, 2) + "-" + day.substr(6, 2) + "T" +
                        clock.substr(0, 2) + ":" + clock.substr(2, 2) + ":" + clock.substr(4, 2);
    auto at = local_to_utc(local, r.time_zone);
    if (!at)
        return make_error(Errc::invalid_argument, "RRULE UNTIL: " + at.error().message);
    return r.rule.substr(0, static_cast<std::size_t>(m.position(0))) + m[1].str() +
           "UNTIL=" + common::basic_utc(*at) + m[6].str() + m.suffix().str();
}

} // namespace loa::schedules
