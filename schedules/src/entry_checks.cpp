// The checks an entry passes before it is saved: each failure says what collides and how to
// fix it, so that a wrong schedule is refused instead of being discovered on air.
#include <algorithm>
#include <map>
#include <set>

#include "loa/schedules/store.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;

struct Interval {
    TimePoint start;
    TimePoint end;
};

common::Result<std::vector<Interval>> windows(const Recurrence& when, std::chrono::seconds duration,
                                              TimePoint from, TimePoint to) {
    auto starts = occurrences(when, from - duration, to, 1000);
    if (!starts)
        return starts.error();
    std::vector<Interval> out;
    for (auto s : *starts)
        out.push_back({s, s + duration});
    return out;
}

std::string local(TimePoint at, const std::string& zone) {
    auto text = utc_to_local(at, zone);
    return text ? *text : "?";
}

/// The quiet interval(s) of `unit` around the local date of `at`, in UTC.
common::Result<std::vector<Interval>> quiet_around(const Unit& unit, TimePoint at,
                                                   const std::string& zone) {
    auto today = utc_to_local(at, zone);
    if (!today)
        return today.error();
    std::string date = today->substr(0, 10);
    std::vector<Interval> out;
    if (unit.quiet_start == unit.quiet_end)
        return out; // a unit without quiet hours
    for (int shift : {-1, 0}) {
        auto day_start = local_to_utc(date + "T00:00:00", zone);
        if (!day_start)
            return day_start.error();
        auto base_day = utc_to_local(*day_start + std::chrono::days(shift), zone);
        std::string d = base_day->substr(0, 10);
        auto begin = local_to_utc(d + "T" + unit.quiet_start + ":00", zone);
        auto end = local_to_utc(d + "T" + unit.quiet_end + ":00", zone);
        if (!begin || !end)
            return make_error(Errc::invalid_argument, "unit \"" + unit.code +
                                                          "\" has unreadable quiet hours " +
                                                          unit.quiet_start + "-" + unit.quiet_end);
        if (*end <= *begin) // overnight: ends the next day
            *end += std::chrono::days(1);
        out.push_back({*begin, *end});
    }
    return out;
}

/// What an entry reaches: every unit it covers, and its single clusters with their units.
struct Coverage {
    std::set<std::int64_t> units;
    std::map<std::string, std::int64_t> clusters;

    /// A point of `who` (unit or cluster) that both reach, described for an error; "" if none.
    std::optional<std::string> shared_with(const Coverage& other) const {
        for (auto u : units)
            if (other.units.count(u) != 0)
                return "unit#" + std::to_string(u);
        for (const auto& [id, unit] : clusters)
            if (other.clusters.count(id) != 0 || other.units.count(unit) != 0)
                return "cluster " + id;
        for (const auto& [id, unit] : other.clusters)
            if (units.count(unit) != 0)
                return "cluster " + id;
        return std::nullopt;
    }
};

} // namespace

common::Result<void> ScheduleStore::check_receivers(const std::vector<std::string>& receivers) {
    auto all = clusters();
    if (!all)
        return all.error();
    for (const auto& r : receivers) {
        auto it =
            std::find_if(all->begin(), all->end(), [&](const Cluster& c) { return c.id == r; });
        if (it == all->end())
            return make_error(Errc::not_found, "target: no cluster \"" + r + "\"");
        auto u = unit(it->unit);
        if (!u)
            return u.error();
        if (u->merged_into)
            return make_error(Errc::invalid_argument,
                              "target cluster \"" + r + "\" belongs to unit \"" + u->code +
                                  "\", which was merged away; move the cluster first");
    }
    return {};
}

common::Result<void> ScheduleStore::check_targets(const Entry& e) {
    auto p = program(e.program);
    if (!p)
        return p.error();
    if (p->emergency_record)
        return make_error(Errc::invalid_argument,
                          "program #" + std::to_string(p->id) + " \"" + p->title +
                              "\" is the record of an emergency broadcast and airs as that "
                              "emergency only; to schedule its content, create a program of "
                              "it and have it approved");
    auto owner = unit(p->unit);
    if (!owner)
        return owner.error();
    if (owner->approval_required && p->approval != Approval::approved)
        return make_error(Errc::invalid_argument,
                          "program #" + std::to_string(p->id) + " \"" + p->title + "\" is " +
                              to_string(p->approval) + ": unit \"" + owner->code +
                              "\" requires approval before a program is scheduled");
    for (auto id : e.units) {
        auto u = unit(id);
        if (!u)
            return make_error(Errc::not_found, "target: " + u.error().message);
        // Units end on a day up to today: a recurring entry would outlive it.
        if (auto lives = check_unit_lives(*u); !lives)
            return lives;
    }
    return check_receivers(e.receivers);
}

common::Result<void> ScheduleStore::check_unit_lives(const Unit& u) {
    if (!u.merged_into && !u.valid_to)
        return {};
    std::string instead;
    if (u.merged_into) {
        if (auto m = unit(*u.merged_into))
            instead =
                "; it was merged into \"" + m->code + "\" (" + m->name + "), target that instead";
    } else if (auto parts = split_into(u.id); parts && !parts->first.empty()) {
        instead = "; it was split into";
        for (std::size_t i = 0; i < parts->first.size(); ++i)
            if (auto p = unit(parts->first[i]))
                instead += std::string(i ? ", " : " ") + "\"" + p->code + "\" (" + p->name + ")";
        instead += ": target those instead";
    }
    return make_error(Errc::invalid_argument, "target unit \"" + u.code + "\" (" + u.name +
                                                  ") ended on " + u.valid_to.value_or("?") +
                                                  instead);
}

common::Result<std::set<std::int64_t>>
ScheduleStore::reached_units(const std::vector<std::int64_t>& units,
                             const std::vector<std::string>& receivers) {
    auto all_clusters = clusters();
    if (!all_clusters)
        return all_clusters.error();
    auto covered = covered_units(units);
    if (!covered)
        return covered.error();
    std::set<std::int64_t> reached(covered->begin(), covered->end());
    for (const auto& c : *all_clusters)
        if (std::find(receivers.begin(), receivers.end(), c.id) != receivers.end())
            reached.insert(c.unit);
    return reached;
}

common::Result<void> ScheduleStore::check_quiet_now(const std::vector<std::int64_t>& units,
                                                    const std::vector<std::string>& receivers,
                                                    TimePoint now, const std::string& zone) {
    auto reached = reached_units(units, receivers);
    if (!reached)
        return reached.error();
    for (auto id : *reached) {
        auto u = unit(id);
        if (!u)
            return u.error();
        auto quiet = quiet_around(*u, now, zone);
        if (!quiet)
            return quiet.error();
        for (const auto& q : *quiet)
            if (q.start <= now && now < q.end)
                return make_error(Errc::invalid_argument,
                                  "\"" + u->code + "\" (" + u->name + ") is in its quiet hours (" +
                                      u->quiet_start + "-" + u->quiet_end +
                                      "): only an emergency may be heard there now");
    }
    return {};
}

common::Result<void> ScheduleStore::check_quiet_hours(const Entry& e, TimePoint now) {
    if (e.priority == PriorityClass::emergency)
        return {}; // emergencies may wake people: that is what they are for
    auto mine = windows(e.when, e.duration, now, now + kValidationHorizon);
    if (!mine)
        return mine.error();
    auto reached = reached_units(e.units, e.receivers);
    if (!reached)
        return reached.error();
    for (auto id : *reached) {
        auto u = unit(id);
        if (!u)
            return u.error();
        for (const auto& w : *mine) {
            auto quiet = quiet_around(*u, w.start, e.when.time_zone);
            if (!quiet)
                return quiet.error();
            for (const auto& q : *quiet)
                if (w.start < q.end && q.start < w.end)
                    return make_error(Errc::invalid_argument,
                                      "the occurrence at " + local(w.start, e.when.time_zone) +
                                          " falls in the quiet hours of \"" + u->code + "\" (" +
                                          u->quiet_start + "-" + u->quiet_end +
                                          "), when only emergency " +
                                          "entries may play; move it or make it an emergency");
        }
    }
    return {};
}

common::Result<void> ScheduleStore::check_conflicts(const Entry& e, TimePoint now) {
    auto existing = entries();
    if (!existing)
        return existing.error();
    auto all_clusters = clusters();
    if (!all_clusters)
        return all_clusters.error();
    auto coverage = [&](const Entry& entry) -> common::Result<Coverage> {
        Coverage c;
        auto covered = covered_units(entry.units);
        if (!covered)
            return covered.error();
        c.units.insert(covered->begin(), covered->end());
        for (const auto& cluster : *all_clusters)
            if (std::find(entry.receivers.begin(), entry.receivers.end(), cluster.id) !=
                entry.receivers.end())
                c.clusters[cluster.id] = cluster.unit;
        return c;
    };
    auto mine_reach = coverage(e);
    if (!mine_reach)
        return mine_reach.error();
    auto mine = windows(e.when, e.duration, now, now + kValidationHorizon);
    if (!mine)
        return mine.error();
    for (const auto& other : *existing) {
        if (other.priority != e.priority || (e.id != 0 && other.id == e.id))
            continue;
        auto theirs_reach = coverage(other);
        if (!theirs_reach)
            return theirs_reach.error();
        auto shared = mine_reach->shared_with(*theirs_reach);
        if (!shared)
            continue;
        auto theirs = windows(other.when, other.duration, now, now + kValidationHorizon);
        if (!theirs)
            return theirs.error();
        // Both lists are sorted by start: sweep them together.
        std::size_t i = 0, j = 0;
        while (i < mine->size() && j < theirs->size()) {
            const auto& a = (*mine)[i];
            const auto& b = (*theirs)[j];
            if (a.start < b.end && b.start < a.end) {
                std::string where = *shared;
                if (where.rfind("unit#", 0) == 0)
                    if (auto u = unit(std::stoll(where.substr(5))))
                        where = "\"" + u->code + "\"";
                auto p = program(other.program);
                return make_error(
                    Errc::already_exists,
                    "overlaps entry #" + std::to_string(other.id) + " (\"" + (p ? p->title : "?") +
                        "\", " + to_string(other.priority) + ") on " + where + " at " +
                        local(std::max(a.start, b.start), e.when.time_zone) +
                        "; two entries of the same class cannot overlap on a unit or cluster");
            }
            if (a.end <= b.end)
                ++i;
            else
                ++j;
        }
    }
    return {};
}

} // namespace loa::schedules
