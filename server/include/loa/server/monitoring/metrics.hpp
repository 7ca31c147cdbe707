#pragma once
/// @file
/// The figures the provincial operations centre pulls from /metrics, in the Prometheus text
/// format (version 0.0.4), and the routes of the HTTP port that are not the API.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "loa/http/server.hpp"
#include "loa/server/backups/backup_scheduler.hpp"
#include "loa/server/media/media_server.hpp"
#include "loa/server/monitoring/presence.hpp"

namespace loa::server {

/// One moment's figures.
struct Metrics {
    std::map<std::string, std::int64_t> receivers;        ///< by unit code
    std::map<std::string, std::int64_t> receivers_online; ///< by unit code (presence.hpp)
    std::map<std::string, bool> on_air;                   ///< by channel
    MediaStats media;
    std::uint64_t api_requests = 0;
    std::uint64_t api_errors = 0;
    /// Active alarms by kind, severity and unit code ("" for none).
    std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> alarms_active;
    std::int64_t webhook_pending = 0; ///< alarm deliveries kept for webhooks, not yet made
    /// The backups, when they are on.
    std::optional<BackupState> backups;
};

/// The figures as Prometheus text.
std::string prometheus_text(const Metrics& metrics);

/// Collects the figures of a running server; `presence` says which receivers are online.
Metrics collect_metrics(const Settings& settings, const MediaServer& media,
                        const std::map<std::string, std::string>& on_air,
                        const std::map<std::string, UnitPresence>& presence,
                        std::uint64_t api_requests, std::uint64_t api_errors);

/// GET /healthz and GET /metrics; 404 for other paths, 405 for other methods. With a
/// `metrics_token`, /metrics answers only "Authorization: Bearer <metrics_token>" (401
/// otherwise), as a Prometheus scrape with bearer_token_file sends it.
http::HttpServer::Handler monitoring_routes(std::function<Metrics()> collect,
                                            const std::string& metrics_token = "");

} // namespace loa::server
