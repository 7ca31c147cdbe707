// One reporting day's figures of every unit, read from loa.db: the samples of clusters online,
// the clusters' alarms, the as-run log, the schedule's occurrences, the emergencies and the
// bulletins. Rows name units by the code they bore then; each figure goes to that unit's id.
#include <algorithm>

#include "../schedule/unit_history.hpp"
#include "loa/schedules/recurrence.hpp"
#include "loa/server/reports/indicators.hpp"

namespace loa::server {
namespace {

using schedules::Millis;
using Units = std::map<std::int64_t, DayFigures>;

std::int64_t ms(Millis at) {
    return at.time_since_epoch().count();
}

/// Unit ids by the codes they bore on the day, and clusters' units.
class Names {
public:
    Names(schedules::ScheduleStore& store, common::Database& db, std::string date)
        : history_(store), date_(std::move(date)) {
        auto q = db.prepare("SELECT id, unit FROM cluster");
        while (q.step().value_or(false))
            cluster_unit_[q.text(0)] = q.integer(1);
    }
    /// The unit of a channel: a unit's code, or "@" + a cluster's id.
    std::optional<std::int64_t> of_channel(const std::string& channel) {
        if (channel.starts_with('@')) {
            auto it = cluster_unit_.find(channel.substr(1));
            return it == cluster_unit_.end() ? std::nullopt : std::optional(it->second);
        }
        auto [it, fresh] = by_code_.try_emplace(channel);
        if (fresh)
            if (auto then = history_.at(channel, date_))
                it->second = then->unit;
        return it->second;
    }

private:
    UnitHistory history_;
    std::string date_;
    std::map<std::string, std::optional<std::int64_t>> by_code_;
    std::map<std::string, std::int64_t> cluster_unit_;
};

common::Result<void> fold_samples(common::Database& db, Names& names, Units& out, Millis from,
                                  Millis to) {
    auto q = db.prepare("SELECT unit, online, clusters FROM online_sample "
                        "WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms");
    q.bind(1, ms(from)).bind(2, ms(to));
    return common::for_each_row(q, [&](const common::Statement& row) {
        auto unit = names.of_channel(row.text(0));
        if (!unit)
            return;
        auto& f = out[*unit];
        auto online = row.integer(1);
        f.clusters = row.integer(2); // the last sample's, in time order
        ++f.samples;
        f.samples_working += online > 0 ? 1 : 0;
        f.online_sum += online;
        f.cluster_sum += f.clusters;
    });
}

common::Result<void> fold_alarms(common::Database& db, Units& out, Millis from, Millis to,
                                 Millis now) {
    // Raised within the day; or before it and cleared within or after it; or still active.
    // Each part finds its rows by an index (alarm_raised, alarm_cleared, alarm_active).
    auto q = db.prepare("SELECT subject, unit, raised_ms, cleared_ms FROM ("
                        "SELECT * FROM alarm WHERE raised_ms >= ?1 AND raised_ms < ?2 UNION ALL "
                        "SELECT * FROM alarm WHERE cleared_ms > ?1 AND raised_ms < ?1 UNION ALL "
                        "SELECT * FROM alarm WHERE cleared_ms IS NULL AND raised_ms < ?1) "
                        "WHERE kind LIKE 'cluster\\_%' ESCAPE '\\' AND unit IS NOT NULL");
    q.bind(1, ms(from)).bind(2, ms(to));
    return common::for_each_row(q, [&](const common::Statement& row) {
        auto& f = out[row.integer(1)];
        auto start = std::max(row.integer(2), ms(from));
        auto end = std::min(row.optional_integer(3).value_or(ms(now)), ms(to));
        f.faulty.insert(row.text(0));
        if (end > start)
            f.alarm_minutes += static_cast<double>(end - start) / 60000.0;
    });
}

/// The source kinds as the indicators name them: a text program is a bulletin.
std::string source_of(const std::string& kind) {
    return kind == "tts" ? "bulletin" : kind;
}

common::Result<void> fold_as_run(common::Database& db, Names& names, Units& out, Millis from,
                                 Millis to, Millis now) {
    auto q = db.prepare(
        "SELECT a.channel, a.priority, p.kind, a.started_at_ms, a.ended_at_ms, a.scheduled_at, "
        "a.played, a.override, a.first_played_ms, a.last_played_ms "
        "FROM as_run a JOIN program p ON p.id = a.program "
        "WHERE a.started_at_ms < ? AND a.started_at_ms >= ? "
        "AND (a.ended_at_ms IS NULL OR a.ended_at_ms > ?)");
    // An airing longer than a week is cut at a week before the day (as stats.history does).
    q.bind(1, ms(to)).bind(2, ms(from - std::chrono::days(7))).bind(3, ms(from));
    return common::for_each_row(q, [&](const common::Statement& row) {
        auto unit = names.of_channel(row.text(0));
        if (!unit)
            return;
        auto& f = out[*unit];
        auto priority = row.text(1);
        auto source = source_of(row.text(2));
        auto started = row.integer(3);
        auto start = std::max(started, ms(from));
        auto end = std::min(row.optional_integer(4).value_or(ms(now)), ms(to));
        if (end > start) {
            double minutes = static_cast<double>(end - start) / 60000.0;
            f.minutes_by_priority[priority] += minutes;
            f.minutes_by_source[source] += minutes;
        }
        if (started < ms(from))
            return; // counted the day it started
        ++f.airings_by_priority[priority];
        ++f.airings_by_source[source];
        f.played = std::max(f.played, row.integer(6));
        if (auto scheduled = row.optional_integer(5)) {
            auto delay = std::max<std::int64_t>(0, started - *scheduled * 1000);
            ++f.delayed_airings;
            f.delay_ms_sum += delay;
            f.delay_ms_max = std::max(f.delay_ms_max, delay);
        }
        if (auto emergency = row.optional_integer(7); emergency && priority == "emergency") {
            auto& reach = f.emergencies[*emergency];
            reach.reached += row.integer(6);
            if (auto first = row.optional_integer(8))
                reach.first_ms = reach.first_ms == 0 ? *first : std::min(reach.first_ms, *first);
            reach.last_ms = std::max(reach.last_ms, row.optional_integer(9).value_or(0));
        }
    });
}

/// The calls of the emergencies reached, and how many clusters their channels had then.
common::Result<void> fold_emergencies(common::Database& db, Names& names, Units& out, Millis from,
                                      Millis to) {
    auto call = db.prepare("SELECT started_at_ms FROM override WHERE id = ?");
    auto channels = db.prepare("SELECT DISTINCT channel FROM as_run WHERE override = ? "
                               "AND started_at_ms >= ? AND started_at_ms < ?");
    auto clusters = db.prepare("SELECT clusters FROM online_sample WHERE unit = ? AND at_ms <= ? "
                               "ORDER BY at_ms DESC LIMIT 1");
    auto cluster_count = db.prepare("SELECT COUNT(*) FROM cluster WHERE unit = ?");
    for (auto& [unit, f] : out)
        for (auto& [id, reach] : f.emergencies) {
            call.bind(1, id);
            if (call.step().value_or(false))
                reach.call_ms = call.integer(0);
            call.reset();
            channels.bind(1, id).bind(2, ms(from)).bind(3, ms(to));
            while (channels.step().value_or(false)) {
                auto channel = channels.text(0);
                if (channel.starts_with('@')) {
                    ++reach.targeted;
                    continue;
                }
                if (names.of_channel(channel) != unit)
                    continue;
                clusters.bind(1, channel).bind(2, reach.call_ms);
                if (clusters.step().value_or(false)) {
                    reach.targeted += clusters.integer(0);
                } else {
                    cluster_count.bind(1, unit);
                    if (cluster_count.step().value_or(false))
                        reach.targeted += cluster_count.integer(0);
                    cluster_count.reset();
                }
                clusters.reset();
            }
            channels.reset();
        }
    return {};
}

/// The occurrences due on each channel in [from, min(to, now)) and those never on air.
common::Result<void> fold_schedule(common::Database& db, schedules::ScheduleStore& store,
                                   Names& names, Units& out, Millis from, Millis to, Millis now) {
    // An airing is opened as it starts: one not yet a minute late may still come.
    auto until = std::min(to, now - std::chrono::minutes(1));
    if (until <= from)
        return {};
    std::set<std::tuple<std::int64_t, std::int64_t, std::string>> aired;
    auto q = db.prepare("SELECT entry, scheduled_at, channel FROM as_run WHERE entry IS NOT NULL "
                        "AND scheduled_at >= ? AND scheduled_at < ?");
    q.bind(1, ms(from) / 1000).bind(2, (ms(until) + 999) / 1000);
    while (q.step().value_or(false))
        aired.insert({q.integer(0), q.integer(1), q.text(2)});
    auto entries = store.scheduled_entries();
    if (!entries)
        return entries.error();
    for (const auto& e : *entries) {
        auto starts = schedules::occurrences(e.when, std::chrono::ceil<std::chrono::seconds>(from),
                                             std::chrono::ceil<std::chrono::seconds>(until));
        if (!starts)
            return starts.error();
        for (const auto& start : *starts)
            for (const auto& channel : e.channels) {
                auto unit = names.of_channel(channel);
                if (!unit)
                    continue;
                auto& f = out[*unit];
                ++f.scheduled;
                if (aired.count({e.id, start.time_since_epoch().count(), channel}) == 0)
                    ++f.missed;
            }
    }
    return {};
}

/// "2026-03-01T10:00:00Z" in milliseconds since 1970; nullopt if malformed.
std::optional<std::int64_t> iso_ms(const std::optional<std::string>& text) {
    if (!text || text->size() < 19)
        return std::nullopt;
    auto local = schedules::local_to_utc(text->substr(0, 19), "UTC");
    if (!local)
        return std::nullopt;
    return local->time_since_epoch().count() * 1000;
}

common::Result<void> fold_bulletins(common::Database& db, Units& out, Millis from, Millis to) {
    auto q = db.prepare("SELECT unit, approval, created_at, decided_at FROM program "
                        "WHERE kind = 'tts' AND emergency_record = 0");
    return common::for_each_row(q, [&](const common::Statement& row) {
        auto within = [&](std::optional<std::int64_t> at) {
            return at && *at >= ms(from) && *at < ms(to);
        };
        auto created = iso_ms(row.optional_text(2));
        auto decided = iso_ms(row.optional_text(3));
        auto approval = row.text(1);
        if (!within(created) && !within(decided))
            return;
        auto& f = out[row.integer(0)];
        f.bulletins_created += within(created) ? 1 : 0;
        if (within(decided) && approval == "approved") {
            ++f.bulletins_approved;
            if (created)
                f.approval_ms.push_back(std::max<std::int64_t>(0, *decided - *created));
        }
        f.bulletins_rejected += within(decided) && approval == "rejected" ? 1 : 0;
    });
}

} // namespace

common::Result<Units> compute_day(common::Database& db, schedules::ScheduleStore& store,
                                  const std::string& date, Millis from, Millis to, Millis now) {
    Units out;
    if (now <= from)
        return out;
    Names names(store, db, date);
    for (auto* step : {+[](common::Database&d, Names&n, Units&o, Millis f, Millis t, Millis) {
                           return fold_samples(d, n, o, f, t);
                       },
                       +[](common::Database&d, Names&, Units&o, Millis f, Millis t, Millis w) {
                           return fold_alarms(d, o, f, t, w);
                       },
                       +[](common::Database&d, Names&n, Units&o, Millis f, Millis t, Millis w) {
                           return fold_as_run(d, n, o, f, t, w);
                       },
                       +[](common::Database&d, Names&n, Units&o, Millis f, Millis t, Millis) {
                           return fold_emergencies(d, n, o, f, t);
                       },
                       +[](common::Database&d, Names&, Units&o, Millis f, Millis t, Millis) {
                           return fold_bulletins(d, o, f, t);
                       }})
        if (auto done = step(db, names, out, from, to, now); !done)
            return done.error();
    if (auto done = fold_schedule(db, store, names, out, from, to, now); !done)
        return done.error();
    return out;
}

} // namespace loa::server
