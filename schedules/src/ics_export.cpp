// iCalendar export of a unit's schedule. libical builds, escapes and folds the text; every
// conversion between zones goes through recurrence.hpp, which holds libical's zone lock, so this
// file never loads a time zone itself.
#include "loa/schedules/ics.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <libical/ical.h>
#include <map>
#include <set>

#include "ics_detail.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;
using ics_detail::Component;
using ics_detail::text_of;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items)
        out += (out.empty() ? "" : ",") + i;
    return out;
}

/// "2026-11-23T06:30:00" as a floating libical time (its zone goes in a TZID parameter).
common::Result<icaltimetype> floating(const std::string& local) {
    icaltimetype t = icaltime_null_time();
    if (std::sscanf(local.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &t.year, &t.month, &t.day, &t.hour,
                    &t.minute, &t.second) != 6)
        return make_error(Errc::invalid_argument, "unreadable local time \"" + local + "\"");
    return t;
}

icalproperty* in_zone(icalproperty* p, const std::string& zone) {
    icalproperty_add_parameter(p, icalparameter_new_tzid(zone.c_str()));
    return p;
}

icalproperty* x_property(const char* name, const std::string& value) {
    icalproperty* p = icalproperty_new_x(value.c_str());
    icalproperty_set_x_name(p, name);
    return p;
}

common::Result<Component> event_of(ScheduleStore& store, const Entry& e, icaltimetype stamp) {
    auto program = store.program(e.program);
    if (!program)
        return program.error();
    auto start = floating(e.when.start_local);
    if (!start)
        return start.error();
    Component ev(icalcomponent_new(ICAL_VEVENT_COMPONENT));
    auto add = [&](icalproperty* p) { icalcomponent_add_property(ev.get(), p); };
    add(icalproperty_new_uid(("entry-" + std::to_string(e.id) + "@loa").c_str()));
    add(icalproperty_new_dtstamp(stamp));
    add(in_zone(icalproperty_new_dtstart(*start), e.when.time_zone));
    add(icalproperty_new_duration(icaldurationtype_from_int(static_cast<int>(e.duration.count()))));
    // Written as text, not through libical's RRULE type, so that it reads back exactly as
    // saved (libical would reorder its parts and drop defaults such as WKST=MO).
    if (!e.when.rule.empty()) {
        auto rule = rule_with_utc_until(e.when);
        if (!rule)
            return rule.error();
        add(x_property("RRULE", *rule));
    }
    for (const auto& skipped : e.when.exceptions) {
        auto t = floating(skipped);
        if (!t)
            return t.error();
        add(in_zone(icalproperty_new_exdate(*t), e.when.time_zone));
    }
    add(icalproperty_new_summary(program->title.c_str()));
    add(x_property("X-LOA-PROGRAM", std::to_string(e.program)));
    add(x_property("X-LOA-PRIORITY", to_string(e.priority)));
    std::vector<std::string> codes;
    for (auto u : e.units) {
        auto target = store.unit(u);
        if (!target)
            return target.error();
        codes.push_back(target->code);
    }
    if (!codes.empty())
        add(x_property("X-LOA-UNITS", join(codes)));
    if (!e.receivers.empty())
        add(x_property("X-LOA-CLUSTERS", join(e.receivers)));
    return ev;
}

} // namespace

common::Result<std::string> export_ics(ScheduleStore& store, std::int64_t unit) {
    auto self = store.unit(unit);
    if (!self)
        return self.error();
    auto entries = store.entries();
    if (!entries)
        return entries.error();
    auto clusters = store.clusters();
    if (!clusters)
        return clusters.error();
    std::set<std::string> own_clusters;
    for (const auto& c : *clusters)
        if (c.unit == unit)
            own_clusters.insert(c.id);
    Component cal(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
    icalcomponent_add_property(cal.get(), icalproperty_new_prodid(kIcsProductId));
    icalcomponent_add_property(cal.get(), icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal.get(), icalproperty_new_calscale("GREGORIAN"));
    icalcomponent_add_property(cal.get(),
                               x_property("X-WR-CALNAME", self->code + " " + self->name));
    // UTC needs no zone data: libical only stamps the time with its static UTC zone.
    icaltimetype stamp =
        icaltime_from_timet_with_zone(std::time(nullptr), 0, icaltimezone_get_utc_timezone());
    std::vector<const Entry*> exported;
    std::map<std::string, TimePoint> zones; // each zone named, from its earliest start
    for (const auto& e : *entries) {
        if (std::count(e.units.begin(), e.units.end(), unit) == 0 &&
            std::none_of(e.receivers.begin(), e.receivers.end(),
                         [&](const std::string& r) { return own_clusters.count(r) != 0; }))
            continue;
        exported.push_back(&e);
        auto first = local_to_utc(e.when.start_local, e.when.time_zone);
        if (!first)
            return first.error();
        auto [at, added] = zones.emplace(e.when.time_zone, *first);
        if (!added)
            at->second = std::min(at->second, *first);
    }
    // Every TZID the events name has its VTIMEZONE (RFC 5545 §3.6.5): a strict calendar
    // application refuses a zone it is not told about.
    for (const auto& [zone, from] : zones) {
        auto text = vtimezone(zone, from);
        if (!text)
            return text.error();
        Component component(icalcomponent_new_from_string(text->c_str()));
        if (!component)
            return make_error(Errc::io_error, "no VTIMEZONE for \"" + zone + "\"");
        icalcomponent_add_component(cal.get(), component.release());
    }
    for (const auto* e : exported) {
        auto ev = event_of(store, *e, stamp);
        if (!ev)
            return make_error(ev.error().code,
                              "entry #" + std::to_string(e->id) + ": " + ev.error().message);
        icalcomponent_add_component(cal.get(), ev->release());
    }
    char* text = icalcomponent_as_ical_string_r(cal.get());
    std::string out = text_of(text);
    icalmemory_free_buffer(text);
    return out;
}

} // namespace loa::schedules
