// Operators' overrides of the schedule (emergency broadcasts, stop-alls and live broadcasts),
// saved so that an override outlives a restart of the server until someone ends it.

#include "loa/schedules/store.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;

Override::Kind parse_kind(std::string_view name) {
    if (name == "stop_all")
        return Override::Kind::stop_all;
    return name == "live" ? Override::Kind::live : Override::Kind::emergency;
}

} // namespace

const char* to_string(Override::Kind kind) {
    switch (kind) {
    case Override::Kind::emergency:
        return "emergency";
    case Override::Kind::stop_all:
        return "stop_all";
    case Override::Kind::live:
        return "live";
    }
    return "emergency";
}

common::Result<void> ScheduleStore::check_one_speaker(const OverrideRecord& r) {
    // A cluster is heard on its own channel and on its unit's: both count as its.
    auto all_clusters = clusters();
    if (!all_clusters)
        return all_clusters.error();
    auto with_units =
        [&](std::vector<std::string> channels) -> common::Result<std::set<std::string>> {
        std::set<std::string> out(channels.begin(), channels.end());
        for (const auto& c : *all_clusters)
            if (out.count(cluster_channel(c.id)) != 0) {
                auto u = unit(c.unit);
                if (!u)
                    return u.error();
                out.insert(u->code);
            }
        return out;
    };
    auto channels = channels_of(r.units, r.receivers);
    if (!channels)
        return channels.error();
    auto mine = with_units(*channels);
    if (!mine)
        return mine.error();
    auto active = active_overrides();
    if (!active)
        return active.error();
    for (const auto& o : *active) {
        if (o.kind != Override::Kind::live)
            continue;
        auto theirs = with_units(o.channels);
        if (!theirs)
            return theirs.error();
        for (const auto& channel : *theirs)
            if (mine->count(channel) != 0) {
                auto speaker = override_record(o.id);
                if (!speaker)
                    return speaker.error();
                return make_error(Errc::already_exists,
                                  speaker->started_by + " is speaking live on " + channel +
                                      " (live broadcast #" + std::to_string(o.id) +
                                      "): one speaker per channel at a time");
            }
    }
    return {};
}

common::Result<std::int64_t> ScheduleStore::start_override(const OverrideRecord& r) {
    if (r.units.empty() && r.receivers.empty())
        return make_error(Errc::invalid_argument,
                          "an override needs at least one target: a unit or a cluster");
    if (r.kind != Override::Kind::stop_all) {
        if (!r.program)
            return make_error(Errc::invalid_argument, std::string("an override of kind ") +
                                                          to_string(r.kind) +
                                                          " needs a program to play");
        if (auto p = program(*r.program); !p)
            return p.error();
    }
    for (auto u : r.units) {
        auto found = unit(u);
        if (!found)
            return make_error(Errc::not_found, "target: " + found.error().message);
        if (auto lives = check_unit_lives(*found); !lives)
            return lives.error();
    }
    if (auto ok = check_receivers(r.receivers); !ok)
        return ok.error();
    if (r.kind == Override::Kind::live)
        if (auto alone = check_one_speaker(r); !alone)
            return alone.error();

    common::Transaction tx(db_);
    auto s = db_.prepare("INSERT INTO override (kind, program, started_at_ms, started_by, "
                         "priority) VALUES (?, ?, ?, ?, ?)");
    s.bind(1, std::string_view(to_string(r.kind)))
        .bind(2, r.kind != Override::Kind::stop_all ? r.program : std::nullopt)
        .bind(3, static_cast<std::int64_t>(r.started_at.time_since_epoch().count()))
        .bind(4, std::string_view(r.started_by))
        .bind(5,
              r.kind == Override::Kind::live ? std::optional(to_string(r.priority)) : std::nullopt);
    if (auto done = s.run(); !done)
        return done.error();
    std::int64_t id = db_.last_insert_id();
    if (auto saved = save_targets("INSERT INTO override_target (override, unit) VALUES (?, ?)",
                                  "INSERT INTO override_target (override, cluster) VALUES (?, ?)",
                                  id, r.units, r.receivers);
        !saved)
        return saved.error();
    if (auto done = tx.commit(); !done)
        return done.error();
    return id;
}

common::Result<void> ScheduleStore::end_override(std::int64_t id, const std::string& who,
                                                 Millis at) {
    auto existing = override_record(id);
    if (!existing)
        return existing.error();
    if (existing->ended_at)
        return make_error(Errc::invalid_argument, "override #" + std::to_string(id) +
                                                      " has already ended (by " +
                                                      existing->ended_by.value_or("?") + ")");
    auto s = db_.prepare("UPDATE override SET ended_at_ms = ?, ended_by = ? WHERE id = ?");
    s.bind(1, static_cast<std::int64_t>(at.time_since_epoch().count()))
        .bind(2, std::string_view(who))
        .bind(3, id);
    return s.run();
}

common::Result<OverrideRecord> ScheduleStore::override_record(std::int64_t id) {
    auto s = db_.prepare("SELECT kind, program, started_at_ms, started_by, ended_at_ms, "
                         "ended_by, priority FROM override WHERE id = ?");
    s.bind(1, id);
    auto row = s.step();
    if (!row)
        return row.error();
    if (!*row)
        return make_error(Errc::not_found, "no override #" + std::to_string(id));
    OverrideRecord r;
    r.id = id;
    r.kind = parse_kind(s.text(0));
    r.program = s.optional_integer(1);
    r.started_at = Millis(std::chrono::milliseconds(s.integer(2)));
    r.started_by = s.text(3);
    if (auto end = s.optional_integer(4))
        r.ended_at = Millis(std::chrono::milliseconds(*end));
    r.ended_by = s.optional_text(5);
    // A live broadcast of an archive from before classes were kept counts as normal.
    if (r.kind == Override::Kind::live)
        r.priority =
            parse_priority(s.optional_text(6).value_or("")).value_or(PriorityClass::normal);
    s.reset();
    auto targets = db_.prepare("SELECT unit, cluster FROM override_target WHERE override = ?");
    targets.bind(1, id);
    auto read = common::collect<bool>(targets, [&](const common::Statement& row) {
        if (auto u = row.optional_integer(0))
            r.units.push_back(*u);
        if (auto c = row.optional_text(1))
            r.receivers.push_back(*c);
        return true;
    });
    if (!read)
        return read.error();
    return r;
}

common::Result<std::vector<Override>> ScheduleStore::active_overrides() {
    auto s = db_.prepare("SELECT id FROM override WHERE ended_at_ms IS NULL ORDER BY id");
    auto ids = common::collect<std::int64_t>(
        s, [](const common::Statement& row) { return row.integer(0); });
    if (!ids)
        return ids.error();
    std::vector<Override> out;
    for (auto id : *ids) {
        auto r = override_record(id);
        if (!r)
            return r.error();
        auto channels = channels_of(r->units, r->receivers);
        if (!channels)
            return channels.error();
        Override o;
        o.id = id;
        o.kind = r->kind;
        o.program = r->program.value_or(0);
        o.priority = r->priority;
        o.channels = std::move(*channels);
        o.started = std::chrono::floor<std::chrono::seconds>(r->started_at);
        out.push_back(std::move(o));
    }
    return out;
}

} // namespace loa::schedules
