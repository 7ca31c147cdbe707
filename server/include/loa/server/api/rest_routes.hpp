#pragma once
/// @file
/// The REST side of the API, where HTTP fits better than a WebSocket: media upload (streamed
/// to disk, decoded before it is accepted), exports (as-run log as CSV or JSON, a unit's
/// schedule as .ics), a receiver's SDP, listening in on a channel (an Ogg Opus stream), and
/// the monitoring pages. Every /api/v1 route needs a bearer token (on a GET, or a ticket of
/// auth.ticket as ?ticket=) and checks it as the WebSocket methods do. See docs/api.md.

#include <variant>

#include "loa/http/server.hpp"
#include "loa/server/api/gateway.hpp"
#include "loa/server/media/media_server.hpp"

namespace loa::server {

/// The path media uploads are POSTed to (streamed to disk).
inline constexpr const char* kUploadPath = "/api/v1/programs";

/// The routes of the HTTP port; `monitoring` answers /healthz and /metrics. The routes own
/// the listen-in of `media`'s channels (ListenIn), so `media` must outlive them.
http::HttpServer::Handler api_routes(ApiGateway& gateway, MediaServer& media,
                                     http::HttpServer::Handler monitoring);

/// Admits an upload from its header (http::HttpOptions::admit_upload): a valid bearer token of a
/// user who may create programs, else 401/403 before anything is written.
std::function<std::optional<http::HttpResponse>(const http::HttpRequest&)>
upload_admission(ApiGateway& gateway);

/// The caller a request's bearer token (or, on a GET, its ticket) names, or the 401 answer that
/// says how to get one.
std::variant<Caller, http::HttpResponse> authenticate(ApiGateway& gateway,
                                                      const http::HttpRequest& r);

/// An error answer of the REST routes: {"error": message}.
http::HttpResponse json_error(int status, const std::string& message);
/// The HTTP status of a JSON-RPC error code (403 for kUnauthorized, 404, 409, 422, 500, else 400).
int http_status_of(int code);

/// The rows of indicators.get as CSV: one line per unit and period, a column per figure
/// (dotted names, e.g. clusters.availability_percent), with a header line.
std::string indicators_csv(const boost::json::array& rows);

/// The as-run rows (as as_run.list returns them) as CSV with a header line.
std::string as_run_csv(const boost::json::array& rows);

} // namespace loa::server
