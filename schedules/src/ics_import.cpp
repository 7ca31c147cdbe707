// iCalendar import into a unit's schedule. libical unfolds, unescapes and parses the text;
// every conversion between zones goes through recurrence.hpp, which holds libical's zone lock,
// so this file never loads a time zone itself.
#include "loa/schedules/ics.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <libical/ical.h>
#include <optional>
#include <ranges>
#include <set>
#include <sstream>
#include <strings.h>

#include "ics_detail.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;
using ics_detail::Component;
using ics_detail::text_of;

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream s(text);
    for (std::string item; std::getline(s, item, ',');)
        if (auto first = item.find_first_not_of(" \t"); first != std::string::npos)
            out.push_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
    return out;
}

/// The RRULE values of each VEVENT of the VCALENDAR, in order, read from the unfolded text:
/// libical hands them back rewritten in its own order, and a rule should read back as written.
std::vector<std::vector<std::string>> raw_rules(std::string_view text) {
    std::string unfolded;
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::size_t eol = text.compare(i, 2, "\r\n") == 0 ? 2 : (text[i] == '\n' ? 1 : 0);
        if (eol != 0 && i + eol < text.size() && (text[i + eol] == ' ' || text[i + eol] == '\t'))
            i += eol; // a folded line goes on after the space
        else
            unfolded += text[i];
    }
    std::vector<std::vector<std::string>> out;
    std::vector<std::string> open;
    std::stringstream lines(unfolded);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::string upper = line;
        std::transform(upper.begin(), upper.end(), upper.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (upper.rfind("BEGIN:", 0) == 0) {
            open.push_back(upper.substr(6));
            if (open.size() == 2 && open.back() == "VEVENT")
                out.emplace_back();
        } else if (upper.rfind("END:", 0) == 0 && !open.empty()) {
            open.pop_back();
        } else if (upper.rfind("RRULE", 0) == 0 && line.size() > 5 &&
                   (line[5] == ':' || line[5] == ';') && open.size() == 2 &&
                   open.back() == "VEVENT") {
            out.back().push_back(line.substr(line.find(':') + 1));
        }
    }
    return out;
}

/// Each event's RRULE as written, or as libical rewrote it if the two readings disagree.
std::vector<std::string> rules_of(const std::vector<icalcomponent*>& events,
                                  std::string_view text) {
    auto raw = raw_rules(text);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < events.size(); ++i) {
        icalproperty* p = icalcomponent_get_first_property(events[i], ICAL_RRULE_PROPERTY);
        if (p == nullptr || (raw.size() == events.size() && raw[i].size() == 1)) {
            out.push_back(p == nullptr ? "" : raw[i].front());
            continue;
        }
        char* rewritten = icalproperty_get_value_as_string_r(p);
        out.push_back(text_of(rewritten));
        icalmemory_free_buffer(rewritten);
    }
    return out;
}

std::optional<std::string> x_value(icalcomponent* ev, const char* name) {
    for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY); p != nullptr;
         p = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY))
        if (const char* x = icalproperty_get_x_name(p); x != nullptr && strcasecmp(x, name) == 0)
            return text_of(icalproperty_get_x(p));
    return std::nullopt;
}

/// A DTSTART, DTEND or EXDATE as wall time in `zone`: times in UTC or in another zone are
/// converted, floating times are taken as they are.
common::Result<std::string> wall_time(icalproperty* p, const std::string& zone) {
    std::string name = icalproperty_get_property_name(p);
    icalvalue* v = icalproperty_get_value(p);
    if (v == nullptr || icalvalue_isa(v) != ICAL_DATETIME_VALUE)
        return make_error(Errc::invalid_argument,
                          name + " is a date without a time; Loa needs one, e.g. 20261123T063000");
    icaltimetype t = icalvalue_get_datetime(v);
    char local[32];
    std::snprintf(local, sizeof local, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day,
                  t.hour, t.minute, t.second);
    if (icaltime_is_utc(t)) {
        using namespace std::chrono;
        auto date = year(t.year) / month(static_cast<unsigned>(t.month)) /
                    day(static_cast<unsigned>(t.day));
        return utc_to_local(sys_days(date) + hours(t.hour) + minutes(t.minute) + seconds(t.second),
                            zone);
    }
    icalparameter* tzid = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    std::string from = tzid != nullptr ? text_of(icalparameter_get_tzid(tzid)) : zone;
    auto at = local_to_utc(local, from); // also tells an unknown TZID
    if (!at)
        return make_error(at.error().code, name + ": " + at.error().message);
    if (from == zone)
        return std::string(local);
    return utc_to_local(*at, zone);
}

common::Result<std::chrono::seconds> read_duration(icalcomponent* ev, const Recurrence& when) {
    if (icalproperty* d = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY))
        return std::chrono::seconds(icaldurationtype_as_int(icalproperty_get_duration(d)));
    icalproperty* end = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    if (end == nullptr)
        return make_error(Errc::invalid_argument, "neither DURATION nor DTEND: how long is it?");
    auto end_local = wall_time(end, when.time_zone);
    if (!end_local)
        return end_local.error();
    auto from = local_to_utc(when.start_local, when.time_zone);
    auto to = local_to_utc(*end_local, when.time_zone);
    if (!from || !to)
        return !from ? from.error() : to.error();
    return *to - *from;
}

/// The recurrence and duration of an event; `rule` is its RRULE as written ("" if none).
common::Result<void> read_when(icalcomponent* ev, const std::string& rule, Entry& e) {
    icalproperty* start = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    if (start == nullptr)
        return make_error(Errc::invalid_argument, "no DTSTART: Loa needs the first start");
    if (icalcomponent_count_properties(ev, ICAL_RRULE_PROPERTY) > 1 ||
        icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY) != nullptr ||
        icalcomponent_get_first_property(ev, ICAL_EXRULE_PROPERTY) != nullptr ||
        icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY) != nullptr)
        return make_error(Errc::invalid_argument,
                          "a Loa entry repeats by one RRULE; several RRULEs, RDATE, EXRULE "
                          "and RECURRENCE-ID are not supported (write such occurrences as events)");
    icalparameter* tzid = icalproperty_get_first_parameter(start, ICAL_TZID_PARAMETER);
    e.when.time_zone = tzid != nullptr ? text_of(icalparameter_get_tzid(tzid)) : kDefaultTimeZone;
    auto local = wall_time(start, e.when.time_zone);
    if (!local)
        return local.error();
    e.when.start_local = *local;
    e.when.rule = rule;
    for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p != nullptr;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
        auto skipped = wall_time(p, e.when.time_zone);
        if (!skipped)
            return skipped.error();
        e.when.exceptions.push_back(*skipped);
    }
    auto duration = read_duration(ev, e.when);
    if (!duration)
        return duration.error();
    e.duration = *duration;
    return {};
}

/// What an importing unit may target: itself, its communes and their clusters.
struct Scope {
    Unit unit;
    std::set<std::int64_t> units;
    std::vector<Cluster> clusters;
};

common::Result<void> read_targets(ScheduleStore& store, icalcomponent* ev, const Scope& scope,
                                  Entry& e) {
    auto codes = x_value(ev, "X-LOA-UNITS");
    auto clusters = x_value(ev, "X-LOA-CLUSTERS");
    if (!codes && !clusters) {
        e.units = {scope.unit.id};
        return {};
    }
    auto outside = [&](std::string what) {
        return make_error(
            Errc::invalid_argument,
            what.append(" is outside \"" + scope.unit.code + "\" (" + scope.unit.name +
                        "); a unit imports entries only for itself and its communes"));
    };
    for (const auto& code : split(codes.value_or(""))) {
        auto u = store.unit_by_code(code);
        if (!u)
            return make_error(u.error().code, "X-LOA-UNITS: " + u.error().message);
        if (scope.units.count(u->id) == 0)
            return outside("target unit \"" + code + "\" (" + u->name + ")");
        e.units.push_back(u->id);
    }
    for (const auto& id : split(clusters.value_or(""))) {
        auto c = std::find_if(scope.clusters.begin(), scope.clusters.end(),
                              [&](const Cluster& x) { return x.id == id; });
        if (c == scope.clusters.end())
            return make_error(Errc::not_found, "X-LOA-CLUSTERS: no cluster \"" + id + "\"");
        if (scope.units.count(c->unit) == 0) {
            auto owner = store.unit(c->unit);
            return outside("target cluster \"" + id + "\" (of unit \"" +
                           (owner ? owner->code : "?") + "\")");
        }
        e.receivers.push_back(id);
    }
    return {};
}

/// libical drops a property it cannot parse and leaves a note: refuse when it is one that Loa
/// reads, rather than guess (an empty DESCRIPTION, as some apps write, does not matter).
std::optional<std::string> parse_error(icalcomponent* ev) {
    for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_XLICERROR_PROPERTY);
         p != nullptr; p = icalcomponent_get_next_property(ev, ICAL_XLICERROR_PROPERTY)) {
        std::string note = text_of(icalproperty_get_xlicerror(p));
        for (const char* name : {"DTSTART", "DTEND", "DURATION", "RRULE", "EXDATE", "RDATE",
                                 "EXRULE", "RECURRENCE-ID"})
            if (note.find(" " + std::string(name) + " property") != std::string::npos)
                return note;
    }
    return std::nullopt;
}

/// The program an X-LOA-PROGRAM names, if the event has one.
common::Result<std::optional<std::int64_t>> loa_program(icalcomponent* ev) {
    auto program = x_value(ev, "X-LOA-PROGRAM");
    if (!program)
        return std::optional<std::int64_t>();
    std::int64_t id = 0;
    std::string_view digits = *program;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc() || end != digits.data() + digits.size())
        return make_error(Errc::invalid_argument,
                          "X-LOA-PROGRAM \"" + *program + "\" is not a program id");
    return std::optional<std::int64_t>(id);
}

using ProgramOf = std::function<common::Result<std::int64_t>(icalcomponent*)>;

common::Result<Entry> read_event(ScheduleStore& store, icalcomponent* ev, const Scope& scope,
                                 const std::string& rule, const ProgramOf& program_of) {
    if (auto note = parse_error(ev))
        return make_error(Errc::invalid_argument, *note);
    Entry e;
    auto program = program_of(ev);
    if (!program)
        return program.error();
    e.program = *program;
    if (auto name = x_value(ev, "X-LOA-PRIORITY")) {
        auto priority = parse_priority(*name);
        if (!priority)
            return make_error(Errc::invalid_argument,
                              "X-LOA-PRIORITY \"" + *name +
                                  "\": expected normal, priority or emergency");
        e.priority = *priority;
    }
    if (auto targets = read_targets(store, ev, scope, e); !targets)
        return targets.error();
    if (auto when = read_when(ev, rule, e); !when)
        return when.error();
    return e;
}

std::string label_of(icalcomponent* ev, std::size_t index) {
    const char* uid = icalcomponent_get_uid(ev);
    std::string label = uid != nullptr ? "event \"" + std::string(uid) + "\""
                                       : "event #" + std::to_string(index + 1);
    if (const char* summary = icalcomponent_get_summary(ev))
        label += " (\"" + std::string(summary) + "\")";
    return label;
}

/// The one program titled `title` that an event may play (as `check` says the caller may use),
/// neither rejected nor an emergency's own record; an error names the candidates otherwise.
common::Result<std::int64_t> program_titled(const std::vector<Program>& programs,
                                            const std::string& title, const EntryCheck& check) {
    auto same = [](std::string_view a, std::string_view b) {
        auto trim = [](std::string_view s) {
            auto first = s.find_first_not_of(" \t");
            return first == std::string_view::npos
                       ? std::string_view()
                       : s.substr(first, s.find_last_not_of(" \t") - first + 1);
        };
        return trim(a) == trim(b);
    };
    std::vector<std::int64_t> found;
    for (const auto& p : programs) {
        if (!same(p.title, title) || p.approval == Approval::rejected || p.emergency_record)
            continue;
        Entry probe;
        probe.program = p.id;
        if (!check || check(probe))
            found.push_back(p.id);
    }
    if (found.size() == 1)
        return found.front();
    if (found.empty())
        return make_error(Errc::invalid_argument,
                          "no program you may use is titled \"" + title +
                              "\": name the program (program) or give it this title");
    std::string ids;
    for (auto id : found)
        ids += (ids.empty() ? "#" : ", #") + std::to_string(id);
    return make_error(Errc::invalid_argument, std::to_string(found.size()) +
                                                  " programs are titled \"" + title + "\" (" + ids +
                                                  "): name the one to play (program)");
}

common::Result<Scope> scope_of(ScheduleStore& store, std::int64_t unit) {
    auto self = store.unit(unit);
    if (!self)
        return self.error();
    auto units = store.units();
    if (!units)
        return units.error();
    auto clusters = store.clusters();
    if (!clusters)
        return clusters.error();
    Scope scope{*self, {unit}, std::move(*clusters)};
    for (const auto& u : *units)
        if (u.parent == unit)
            scope.units.insert(u.id);
    return scope;
}

} // namespace

common::Result<IcsImport> import_calendar(ScheduleStore& store, std::int64_t unit,
                                          std::string_view text, TimePoint now,
                                          const IcsImportOptions& options,
                                          const EntryCheck& check) {
    auto scope = scope_of(store, unit);
    if (!scope)
        return scope.error();
    std::string terminated(text); // libical reads a NUL-terminated string
    Component root(icalparser_parse_string(terminated.c_str()));
    if (!root || icalcomponent_isa(root.get()) != ICAL_VCALENDAR_COMPONENT)
        return make_error(Errc::invalid_argument, "not an iCalendar file: expected one "
                                                  "BEGIN:VCALENDAR ... END:VCALENDAR");
    std::vector<icalcomponent*> events;
    for (auto* e = icalcomponent_get_first_component(root.get(), ICAL_VEVENT_COMPONENT);
         e != nullptr; e = icalcomponent_get_next_component(root.get(), ICAL_VEVENT_COMPONENT))
        events.push_back(e);
    if (events.empty())
        return make_error(Errc::invalid_argument, "the calendar has no VEVENT: nothing to import");
    // The import holds the database's write lock while it checks and saves: bounded.
    if (events.size() > kMaxImportedEvents)
        return make_error(Errc::invalid_argument,
                          "the calendar has " + std::to_string(events.size()) +
                              " events; at most " + std::to_string(kMaxImportedEvents) +
                              " are imported at once: split it");
    auto programs = store.programs();
    if (!programs)
        return programs.error();
    ProgramOf program_of = [&](icalcomponent* ev) -> common::Result<std::int64_t> {
        if (options.program)
            return *options.program;
        auto named = loa_program(ev);
        if (!named)
            return named.error();
        if (*named)
            return **named;
        if (!options.match_titles)
            return make_error(Errc::invalid_argument,
                              "no X-LOA-PROGRAM: name the program for every event (program) or "
                              "match events to programs by title (match_titles)");
        return program_titled(*programs, text_of(icalcomponent_get_summary(ev)), check);
    };
    auto rules = rules_of(events, text);
    IcsImport out;
    // Saved in one transaction, so that the entries see each other's conflicts and the import
    // is all or nothing; a dry run is undone at the end, and goes on past a refused event to
    // list every one.
    auto work = [&]() -> common::Result<void> {
        for (std::size_t i = 0; i < events.size(); ++i) {
            auto e = read_event(store, events[i], *scope, rules[i], program_of);
            common::Result<void> accepted;
            if (!e)
                accepted = e.error();
            else if (check)
                accepted = check(*e);
            if (accepted) {
                auto id = store.add_entry(*e, now);
                if (!id)
                    accepted = id.error();
                else if (!options.dry_run)
                    e->id = *id;
            }
            if (!accepted) {
                auto refusal = make_error(accepted.error().code,
                                          label_of(events[i], i) + ": " + accepted.error().message);
                // A dry run lists a caller's refusals; a failure of the database ends it.
                if (!options.dry_run || accepted.error().code == Errc::io_error)
                    return refusal;
                out.refused.push_back(refusal.message);
                continue;
            }
            out.events.push_back(label_of(events[i], i));
            out.entries.push_back(std::move(*e));
        }
        return {};
    };
    if (auto done = store.atomically(work, !options.dry_run); !done)
        return done.error();
    return out;
}

common::Result<std::vector<std::int64_t>> import_ics(ScheduleStore& store, std::int64_t unit,
                                                     std::string_view text, TimePoint now,
                                                     const EntryCheck& check) {
    auto imported = import_calendar(store, unit, text, now, {}, check);
    if (!imported)
        return imported.error();
    std::vector<std::int64_t> ids;
    for (const auto& e : imported->entries)
        ids.push_back(e.id);
    return ids;
}

} // namespace loa::schedules
