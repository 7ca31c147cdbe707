#include "loa/server/api/rest_routes.hpp"

#include "loa/server/media/listen_in.hpp"
#include "loa/server/media/sdp.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

/// Calls a method of the API for the request's bearer; errors become HTTP statuses.
template <class Build>
http::HttpResponse with_caller(ApiGateway& gateway, const http::HttpRequest& r, Build&& build) {
    auto caller = authenticate(gateway, r);
    if (auto* refusal = std::get_if<http::HttpResponse>(&caller))
        return *refusal;
    try {
        return build(std::get<Caller>(caller));
    } catch (const RpcError& e) {
        return json_error(http_status_of(e.code), e.what());
    }
}

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

constexpr const char* kColumns[] = {"id",         "program",  "title",    "priority",
                                    "channel",    "entry",    "override", "scheduled_at",
                                    "started_at", "ended_at", "outcome",  "receivers"};

/// GET /api/v1/channels/CODE/listen.ogg: what the channel sends, as an Ogg Opus stream.
http::HttpResponse listen_in(ApiGateway& gateway, const MediaServer& media, ListenIn& listen,
                             const std::string& channel, const Caller& caller) {
    if (!media.has_channel(channel))
        return json_error(404, "no channel \"" + channel + "\"");
    if (!gateway.schedule().may_read_channel(caller.scope, channel))
        return json_error(403, "channel \"" + channel + "\" is outside the units you act for");
    auto opened =
        listen.open(channel, caller.name() + " from " + caller.from, gateway.session_alive(caller));
    if (const auto* refusal = std::get_if<ListenRefusal>(&opened))
        return *refusal == ListenRefusal::full
                   ? json_error(503, std::to_string(ListenIn::kMaxListeners) +
                                         " listeners are listening in already, the most this "
                                         "server serves; try again later")
                   : json_error(404, "no channel \"" + channel + "\"");
    http::HttpResponse out{200, "audio/ogg", "", {}};
    out.stream = std::get<http::HttpStreamProducer>(std::move(opened));
    return out;
}

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
            line += (first ? "" : ",") + (v ? csv_field(*v) : std::string());
            first = false;
        }
        out += line + "\r\n";
    }
    return out;
}

http::HttpServer::Handler api_routes(ApiGateway& gateway, MediaServer& media,
                                     http::HttpServer::Handler monitoring) {
    // Owned by the routes: it ends with the HTTP server that serves its streams.
    auto listen = std::make_shared<ListenIn>(media);
    return [&gateway, &media, listen,
            monitoring = std::move(monitoring)](const http::HttpRequest& r) {
        auto path = r.path();
        if (path.rfind("/api/", 0) != 0)
            return monitoring(r);
        if (path == kUploadPath) {
            if (r.method != "POST")
                return json_error(405, std::string(kUploadPath) + " takes POST with the file");
            return with_caller(gateway, r, [&](Caller& caller) {
                if (r.body_file.empty())
                    return json_error(400, "no file in the request body");
                json::object params{{"unit", r.query("unit").value_or("")},
                                    {"title", r.query("title").value_or("")},
                                    {"kind", "file"}};
                if (!r.query("unit") || !r.query("title"))
                    return json_error(400, "say where it belongs: ?unit=CODE&title=TITLE");
                caller.upload = r.body_file; // the server's own file, not a caller's path
                auto program = gateway.call("programs.create", Params(params), caller);
                return http::json_response(201, json::serialize(program) + "\n");
            });
        }
        if (r.method != "GET")
            return json_error(405, path + " answers GET only");
        if (path == "/api/v1/as-run.csv" || path == "/api/v1/as-run.json") {
            return with_caller(gateway, r, [&](Caller& caller) {
                json::object params;
                for (const char* bound : {"from_ms", "to_ms"})
                    if (auto v = r.query(bound)) {
                        try {
                            params[bound] = std::stoll(*v);
                        } catch (const std::exception&) {
                            return json_error(400, std::string(bound) +
                                                       ": expected milliseconds since 1970");
                        }
                    }
                auto rows = gateway.call("as_run.list", Params(params), caller).as_array();
                if (path.ends_with(".json"))
                    return http::json_response(200, json::serialize(rows) + "\n");
                http::HttpResponse csv{200, "text/csv; charset=utf-8", as_run_csv(rows), {}};
                csv.headers["content-disposition"] = "attachment; filename=\"as-run.csv\"";
                return csv;
            });
        }
        constexpr std::string_view kUnits = "/api/v1/units/";
        if (path.rfind(kUnits, 0) == 0 && path.ends_with("/schedule.ics")) {
            auto code = path.substr(kUnits.size(), path.size() - kUnits.size() - 13);
            return with_caller(gateway, r, [&](Caller& caller) {
                json::object params{{"unit", http::url_decode(code).value_or(code)}};
                auto ics = gateway.call("schedule.export", Params(params), caller);
                http::HttpResponse out{200,
                                       "text/calendar; charset=utf-8",
                                       std::string(ics.as_object().at("ics").as_string()),
                                       {}};
                out.headers["content-disposition"] = "attachment; filename=\"" + code + ".ics\"";
                return out;
            });
        }
        constexpr std::string_view kChannels = "/api/v1/channels/";
        constexpr std::string_view kListen = "/listen.ogg";
        if (path.rfind(kChannels, 0) == 0 && path.ends_with(kListen) &&
            path.size() > kChannels.size() + kListen.size()) {
            auto code =
                path.substr(kChannels.size(), path.size() - kChannels.size() - kListen.size());
            return with_caller(gateway, r, [&](Caller& caller) {
                auto channel = http::url_decode(code);
                if (!channel)
                    return json_error(400, "malformed channel in the path: " + code);
                return listen_in(gateway, media, *listen, *channel, caller);
            });
        }
        constexpr std::string_view kReceivers = "/api/v1/receivers/";
        if (path.rfind(kReceivers, 0) == 0 && path.ends_with("/sdp")) {
            auto id = path.substr(kReceivers.size(), path.size() - kReceivers.size() - 4);
            return with_caller(gateway, r, [&](Caller& caller) {
                // The key is in it: admins only, as for provisioning.
                if (!caller.user || caller.user->role != Role::admin)
                    return json_error(403, "a receiver's SDP holds its key: admins only");
                if (!r.confidential())
                    return json_error(403, "keys are only sent over TLS or on 127.0.0.1");
                auto key = gateway.receiver_key(id);
                if (key.empty())
                    return json_error(404, "no receiver \"" + id + "\"");
                std::optional<pipeline::Endpoint> at;
                for (const auto& status : media.receiver_status())
                    if (status.id == id)
                        at = pipeline::Endpoint::parse(status.address);
                if (!at)
                    return json_error(409, "receiver \"" + id +
                                               "\" has not reported from an address yet");
                auto sdp =
                    player_sdp(media.settings(), id, std::move(key), media.receiver_ssrc(id), *at);
                return http::HttpResponse{200, "application/sdp", std::move(sdp), {}};
            });
        }
        return json_error(404, "no such API path: " + path + " (see docs/api.md)");
    };
}

} // namespace loa::server
