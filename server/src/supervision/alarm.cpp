#include "loa/server/supervision/alarm.hpp"

#include <array>
#include <utility>

namespace loa::server {
namespace {

constexpr std::array kKinds = {
    std::pair{AlarmKind::cluster_offline, std::string_view("cluster_offline")},
    std::pair{AlarmKind::disk_low, std::string_view("disk_low")},
    std::pair{AlarmKind::clock_unsynchronised, std::string_view("clock_unsynchronised")},
    std::pair{AlarmKind::certificate_expiring, std::string_view("certificate_expiring")},
    std::pair{AlarmKind::cluster_no_media, std::string_view("cluster_no_media")},
    std::pair{AlarmKind::cluster_lossy, std::string_view("cluster_lossy")},
    std::pair{AlarmKind::cluster_silent, std::string_view("cluster_silent")},
    std::pair{AlarmKind::cluster_unbidden, std::string_view("cluster_unbidden")},
    std::pair{AlarmKind::dead_air, std::string_view("dead_air")},
    std::pair{AlarmKind::airing_late, std::string_view("airing_late")},
    std::pair{AlarmKind::airing_failed, std::string_view("airing_failed")},
    std::pair{AlarmKind::fanout_behind, std::string_view("fanout_behind")},
    std::pair{AlarmKind::database_errors, std::string_view("database_errors")},
    std::pair{AlarmKind::backup_failed, std::string_view("backup_failed")},
    std::pair{AlarmKind::backup_late, std::string_view("backup_late")},
};

constexpr std::array kSeverities = {
    std::pair{Severity::critical, std::string_view("critical")},
    std::pair{Severity::major, std::string_view("major")},
    std::pair{Severity::minor, std::string_view("minor")},
    std::pair{Severity::warning, std::string_view("warning")},
};

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         Enum value) {
    for (const auto& [v, name] : names)
        if (v == value)
            return name;
    return "?";
}

template <class Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                             std::string_view name) {
    for (const auto& [v, n] : names)
        if (n == name)
            return v;
    return std::nullopt;
}

std::int64_t ms(schedules::Millis at) {
    return at.time_since_epoch().count();
}

} // namespace

std::string concat(std::initializer_list<std::string_view> pieces) {
    std::string out;
    for (auto piece : pieces)
        out += piece;
    return out;
}

std::string_view to_string(AlarmKind kind) {
    return name_of(kKinds, kind);
}

std::string_view to_string(Severity severity) {
    return name_of(kSeverities, severity);
}

std::optional<AlarmKind> parse_alarm_kind(std::string_view name) {
    return value_of(kKinds, name);
}

std::optional<Severity> parse_severity(std::string_view name) {
    return value_of(kSeverities, name);
}

boost::json::object alarm_json(const Alarm& a, const std::string& unit_code) {
    boost::json::object out{
        {"id", a.id},
        {"kind", to_string(a.fault.kind)},
        {"severity", to_string(a.fault.severity)},
        {"subject", a.fault.subject},
        {"unit", unit_code.empty() ? boost::json::value(nullptr) : boost::json::value(unit_code)},
        {"text_vi", a.fault.text_vi},
        {"text_en", a.fault.text_en},
        {"figures", a.fault.figures},
        {"raised_at_ms", ms(a.raised_at)},
        {"active", a.active()}};
    out["cleared_at_ms"] = a.cleared_at ? boost::json::value(ms(*a.cleared_at)) : nullptr;
    out["acknowledged_by"] = a.acknowledged_by.empty() ? boost::json::value(nullptr)
                                                       : boost::json::value(a.acknowledged_by);
    out["acknowledged_at_ms"] =
        a.acknowledged_at ? boost::json::value(ms(*a.acknowledged_at)) : nullptr;
    return out;
}

} // namespace loa::server
