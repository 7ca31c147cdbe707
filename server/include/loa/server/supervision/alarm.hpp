#pragma once
/// @file
/// Alarms: a fault Loa found by itself (a cluster offline, the server's disk filling up...),
/// with how grave it is, what it concerns, when it was raised and cleared, who acknowledged it,
/// a text in Vietnamese and English and the figures that raised it. docs/supervision.md lists
/// every kind with its threshold and how it clears.

#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "loa/schedules/store.hpp"

namespace loa::server {

/// What went wrong. Each kind has one supervisor check that raises and clears it.
enum class AlarmKind {
    cluster_offline,      ///< a provisioned cluster's control channel is gone past the grace
    disk_low,             ///< little free space left where the server keeps its state
    clock_unsynchronised, ///< the system clock is not synchronised (schedules depend on it)
    certificate_expiring, ///< the HTTPS certificate expires soon, or has expired
    cluster_no_media,     ///< a cluster receives nothing while its channel plays
    cluster_lossy,        ///< a cluster loses more than its share of packets while it plays
    cluster_silent,       ///< proof of play failed: its output is silent, its channel is not
    cluster_unbidden,     ///< a cluster plays sound while its channel is silent
    dead_air,             ///< a program on air has been silent (or sent nothing) too long
    airing_late,          ///< an airing's audio has not started within its time's allowance
    airing_failed,        ///< an airing's program could not be played (file, bulletin, source)
    fanout_behind,        ///< the media path fell behind real time and dropped frames
    database_errors,      ///< the database failed a statement (not a caller's bad input)
    backup_failed,        ///< the last backup (or its copy command) failed
    backup_late,          ///< no backup newer than backups.late_after_h
};

/// How grave, most grave first (the order of the enum).
enum class Severity { critical, major, minor, warning };

std::string_view to_string(AlarmKind kind);
std::string_view to_string(Severity severity);
/// The kind or severity named `name` ("cluster_offline", "major"), or nullopt.
std::optional<AlarmKind> parse_alarm_kind(std::string_view name);
std::optional<Severity> parse_severity(std::string_view name);

/// A fault present now, as a check finds it: what an alarm is raised from.
struct Fault {
    AlarmKind kind = AlarmKind::cluster_offline;
    /// What it concerns, within its kind: a cluster's id, a channel, or "server".
    std::string subject;
    std::optional<std::int64_t> unit; ///< the unit concerned (scopes who sees it)
    Severity severity = Severity::major;
    std::string text_vi; ///< for operators, in Vietnamese
    std::string text_en;
    boost::json::object figures; ///< the measurements that raised it
};

/// An alarm: a fault's episode, from raised to cleared.
struct Alarm {
    std::int64_t id = 0;
    Fault fault; ///< as it was when raised
    schedules::Millis raised_at{};
    std::optional<schedules::Millis> cleared_at; ///< nullopt while active
    std::string acknowledged_by;                 ///< "" until acknowledged
    std::optional<schedules::Millis> acknowledged_at;

    bool active() const { return !cleared_at; }
};

/// The pieces one after the other (an alarm's texts).
std::string concat(std::initializer_list<std::string_view> pieces);

/// An alarm as the API shows it (docs/api.md, "Alarms"); `unit_code` is its unit's code.
boost::json::object alarm_json(const Alarm& alarm, const std::string& unit_code);

} // namespace loa::server
