#include "loa/server/api/rest_routes.hpp"

#include "loa/server/api/rest_route_table.hpp"
#include "loa/server/media/listen_in.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

std::string csv_field(const json::value& v) {
    std::string text;
    if (v.is_string())
        text = std::string(v.as_string());
    else if (!v.is_null())
        text = json::serialize(v);
    if (text.find_first_of(",\"\n\r") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (char c : text)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

/// The as-run CSV's columns: the row's fields, and unit_name, the unit's name the day it aired.
constexpr const char* kColumns[] = {
    "id",       "program",      "title",      "priority", "channel", "unit_name", "entry",
    "override", "scheduled_at", "started_at", "ended_at", "outcome", "receivers", "played"};

} // namespace

std::function<std::optional<http::HttpResponse>(const http::HttpRequest&)>
upload_admission(ApiGateway& gateway) {
    return [&gateway](const http::HttpRequest& r) -> std::optional<http::HttpResponse> {
        auto authenticated = authenticate(gateway, r);
        if (auto* refusal = std::get_if<http::HttpResponse>(&authenticated))
            return *refusal;
        const auto& caller = std::get<Caller>(authenticated);
        auto needed = permission_of("programs.create", Params(boost::json::object{}));
        if (!caller.user || !may_call(caller.user->role, *needed))
            return json_error(403, "uploading programs is for managers, approvers and admins");
        return std::nullopt;
    };
}

std::variant<Caller, http::HttpResponse> authenticate(ApiGateway& gateway,
                                                      const http::HttpRequest& r) {
    if (auto caller = gateway.bearer(r))
        return *caller;
    return json_error(401, "a valid session token is needed: Authorization: Bearer TOKEN (from "
                           "auth.login), or ?ticket=TICKET (from auth.ticket) on a GET");
}

http::HttpResponse json_error(int status, const std::string& message) {
    return http::json_response(status, json::serialize(json::object{{"error", message}}) + "\n");
}

int http_status_of(int code) {
    switch (code) {
    case rpc_code::kUnauthorized:
        return 403;
    case rpc_code::kNotFound:
        return 404;
    case rpc_code::kConflict:
        return 409;
    case rpc_code::kMediaError:
        return 422;
    case rpc_code::kInternalError:
        return 500;
    default:
        return 400;
    }
}

namespace {

/// Each leaf of `v` under its dotted path.
void flatten(const json::value& v, const std::string& path,
             std::vector<std::pair<std::string, const json::value*>>& out) {
    if (v.is_object()) {
        for (const auto& [k, item] : v.as_object())
            flatten(item, path.empty() ? std::string(k) : path + "." + std::string(k), out);
        return;
    }
    out.emplace_back(path, &v);
}

} // namespace

std::string indicators_csv(const json::array& rows) {
    std::string out;
    bool header = false;
    for (const auto& row : rows) {
        std::vector<std::pair<std::string, const json::value*>> cells;
        flatten(row, "", cells);
        if (!header) {
            for (std::size_t i = 0; i < cells.size(); ++i)
                out += (i == 0 ? "" : ",") + cells[i].first;
            out += "\r\n";
            header = true;
        }
        for (std::size_t i = 0; i < cells.size(); ++i)
            out += (i == 0 ? "" : ",") + csv_field(*cells[i].second);
        out += "\r\n";
    }
    return out;
}

std::string as_run_csv(const json::array& rows) {
    std::string out;
    for (const char* c : kColumns)
        out += std::string(out.empty() ? "" : ",") + c;
    out += "\r\n";
    for (const auto& row : rows) {
        std::string line;
        bool first = true;
        for (const char* c : kColumns) {
            const auto* v = row.as_object().if_contains(c);
            if (std::string_view(c) == "unit_name")
                if (const auto* unit = row.as_object().if_contains("unit");
                    unit && unit->is_object())
                    v = unit->as_object().if_contains("name");
            line += (first ? "" : ",") + (v ? csv_field(*v) : std::string());
            first = false;
        }
        out += line + "\r\n";
    }
    return out;
}

namespace {

/// Whether the caller meets `route`'s rule; the refusal if not.
std::optional<http::HttpResponse> refused(const rest::RestRoute& route, const Caller& caller,
                                          const http::HttpRequest& r) {
    if (!route.method.empty())
        return std::nullopt; // the method the handler calls checks its own rules
    if (!caller.user || !may_call(caller.user->role, route.permission))
        return json_error(403, route.refusal.empty() ? std::string("not for your role")
                                                     : std::string(route.refusal));
    if (route.channel == Channel::confidential && !r.confidential())
        return json_error(403, "keys are only sent over TLS or on 127.0.0.1");
    return std::nullopt;
}

} // namespace

http::HttpServer::Handler api_routes(ApiGateway& gateway, MediaServer& media,
                                     http::HttpServer::Handler monitoring) {
    // Owned by the routes: it ends with the HTTP server that serves its streams.
    auto listen = std::make_shared<ListenIn>(media);
    return
        [&gateway, &media, listen, monitoring = std::move(monitoring)](const http::HttpRequest& r) {
            auto path = r.path();
            if (path.rfind("/api/", 0) != 0)
                return monitoring(r);
            std::string name;
            const auto* route = rest::find_route(path, name);
            if (route == nullptr)
                return json_error(404, "no such API path: " + path + " (see docs/api.md)");
            if (r.method != route->verb)
                return json_error(405, route->verb == "GET" ? path + " answers GET only"
                                                            : path + " takes POST with the file");
            auto authenticated = authenticate(gateway, r);
            if (auto* refusal = std::get_if<http::HttpResponse>(&authenticated))
                return *refusal;
            auto& caller = std::get<Caller>(authenticated);
            if (auto refusal = refused(*route, caller, r))
                return *refusal;
            rest::RestCall call{gateway, media, *listen, r, caller, std::move(name)};
            try {
                return route->handle(call);
            } catch (const RpcError& e) {
                return json_error(http_status_of(e.code), e.what());
            }
        };
}

} // namespace loa::server
