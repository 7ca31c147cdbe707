#include "loa/server/monitoring/metrics.hpp"

#include <sodium.h>
#include <sstream>

namespace loa::server {
namespace {

/// Prometheus label values escape backslash, quote and newline.
std::string label(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

void family(std::ostringstream& out, const char* name, const char* type, const char* help) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

} // namespace

std::string prometheus_text(const Metrics& m) {
    std::ostringstream out;
    family(out, "loa_receivers", "gauge", "Receivers, configured and provisioned, per unit.");
    for (const auto& [unit, n] : m.receivers)
        out << "loa_receivers{unit=\"" << label(unit) << "\"} " << n << '\n';
    family(out, "loa_receivers_online", "gauge",
           "Receivers online, per unit: provisioned ones connected on their control channel "
           "(or within its offline grace), configured ones reporting in the last 30 seconds.");
    for (const auto& [unit, n] : m.receivers) {
        auto online = m.receivers_online.find(unit);
        out << "loa_receivers_online{unit=\"" << label(unit) << "\"} "
            << (online == m.receivers_online.end() ? 0 : online->second) << '\n';
    }
    family(out, "loa_channel_on_air", "gauge", "1 while the channel plays a program.");
    for (const auto& [channel, on] : m.on_air)
        out << "loa_channel_on_air{channel=\"" << label(channel) << "\"} " << (on ? 1 : 0) << '\n';
    family(out, "loa_packets_sent_total", "counter", "RTP packets sent to receivers.");
    out << "loa_packets_sent_total " << m.media.fanout.packets_sent << '\n';
    family(out, "loa_drops_total", "counter", "Packets or deliveries dropped, by reason.");
    out << "loa_drops_total{reason=\"send\"} " << m.media.fanout.send_drops << '\n'
        << "loa_drops_total{reason=\"fanout_queue\"} " << m.media.fanout.queue_drops << '\n'
        << "loa_drops_total{reason=\"router_queue\"} " << m.media.router_drops << '\n'
        << "loa_drops_total{reason=\"superseded\"} " << m.media.fanout.superseded << '\n';
    family(out, "loa_reports_total", "counter", "Receiver reports, by result.");
    out << "loa_reports_total{result=\"accepted\"} " << m.media.reports.accepted << '\n'
        << "loa_reports_total{result=\"rejected\"} " << m.media.reports.rejected << '\n'
        << "loa_reports_total{result=\"unknown_receiver\"} " << m.media.reports.unknown_receiver
        << '\n';
    family(out, "loa_latches_expired_total", "counter",
           "Receivers' addresses forgotten after no report for the latch lifetime.");
    out << "loa_latches_expired_total " << m.media.reports.expired << '\n';
    family(out, "loa_api_requests_total", "counter", "API calls.");
    out << "loa_api_requests_total " << m.api_requests << '\n';
    family(out, "loa_api_errors_total", "counter", "API calls answered with an error.");
    out << "loa_api_errors_total " << m.api_errors << '\n';
    family(out, "loa_alarms_active", "gauge",
           "Active alarms, by kind, severity and unit (docs/supervision.md).");
    std::map<std::string, std::int64_t> by_severity{
        {"critical", 0}, {"major", 0}, {"minor", 0}, {"warning", 0}};
    for (const auto& [key, n] : m.alarms_active) {
        const auto& [kind, severity, unit] = key;
        out << "loa_alarms_active{kind=\"" << label(kind) << "\",severity=\"" << label(severity)
            << "\",unit=\"" << label(unit) << "\"} " << n << '\n';
        by_severity[severity] += n;
    }
    family(out, "loa_alarms_active_by_severity", "gauge",
           "Active alarms of each severity (0 when none: a rule can alert on it).");
    for (const auto& [severity, n] : by_severity)
        out << "loa_alarms_active_by_severity{severity=\"" << label(severity) << "\"} " << n
            << '\n';
    family(out, "loa_webhook_deliveries_pending", "gauge",
           "Alarm events kept for webhooks and not yet delivered (they are retried).");
    out << "loa_webhook_deliveries_pending " << m.webhook_pending << '\n';
    if (m.backups) {
        const auto& b = *m.backups;
        family(out, "loa_backup_newest_timestamp_seconds", "gauge",
               "When the newest backup was taken (Unix time; 0: none yet).");
        out << "loa_backup_newest_timestamp_seconds " << (b.newest ? b.newest->taken_ms / 1000 : 0)
            << '\n';
        std::uint64_t media = 0;
        if (b.newest)
            for (const auto& f : b.newest->media)
                media += f.bytes;
        family(out, "loa_backup_newest_bytes", "gauge",
               "The newest backup's database and the media it needs, in bytes.");
        out << "loa_backup_newest_bytes{part=\"database\"} "
            << (b.newest ? b.newest->database_bytes : 0) << '\n'
            << "loa_backup_newest_bytes{part=\"media\"} " << media << '\n';
        family(out, "loa_backup_last_duration_seconds", "gauge",
               "How long the last backup attempt took.");
        out << "loa_backup_last_duration_seconds " << b.last_seconds << '\n';
        family(out, "loa_backup_last_success", "gauge",
               "1 if the last backup attempt worked (copy command included), else 0.");
        out << "loa_backup_last_success " << (b.last_error.empty() ? 1 : 0) << '\n';
        family(out, "loa_backups_kept", "gauge", "Backups in the backups folder.");
        out << "loa_backups_kept " << b.count << '\n';
        family(out, "loa_backup_failures_total", "counter",
               "Backup attempts that failed since the server started.");
        out << "loa_backup_failures_total " << b.failures << '\n';
    }
    return out.str();
}

Metrics collect_metrics(const Settings& settings, const MediaServer& media,
                        const std::map<std::string, std::string>& on_air,
                        const std::map<std::string, UnitPresence>& presence,
                        std::uint64_t api_requests, std::uint64_t api_errors) {
    Metrics m;
    for (const auto& [unit, p] : presence) {
        m.receivers[unit] = p.receivers;
        if (p.online > 0)
            m.receivers_online[unit] = p.online;
    }
    for (const auto& channel : all_channels(settings))
        m.on_air[channel] = on_air.count(channel) != 0;
    m.media = media.stats();
    m.api_requests = api_requests;
    m.api_errors = api_errors;
    return m;
}

namespace {

/// Compares a secret in constant time (for its length).
bool same_secret(const std::string& given, const std::string& expected) {
    return given.size() == expected.size() &&
           sodium_memcmp(given.data(), expected.data(), given.size()) == 0;
}

} // namespace

http::HttpServer::Handler monitoring_routes(std::function<Metrics()> collect,
                                            const std::string& metrics_token) {
    return [collect = std::move(collect), expected = "Bearer " + metrics_token](
               const http::HttpRequest& r) -> http::HttpResponse {
        std::string path = r.target.substr(0, r.target.find('?'));
        if (path != "/healthz" && path != "/metrics")
            return http::text_response(404, "no such page: " + path + "\n");
        if (r.method != "GET" && r.method != "HEAD")
            return http::text_response(405, path + " answers GET only\n");
        if (path == "/healthz")
            return http::json_response(200, "{\"status\":\"ok\"}\n");
        if (expected.size() > 7 && !same_secret(r.header("authorization"), expected))
            return http::text_response(401,
                                       "/metrics needs Authorization: Bearer with the token of "
                                       "http.metrics_token_file\n");
        return {200, "text/plain; version=0.0.4; charset=utf-8", prometheus_text(collect()), {}};
    };
}

} // namespace loa::server
