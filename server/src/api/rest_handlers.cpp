// The REST routes' handlers (rest_route_table.cpp says which path leads to which, and the rule
// each follows).
#include "loa/server/api/rest_route_table.hpp"
#include "loa/server/api/rest_routes.hpp"
#include "loa/server/media/listen_in.hpp"
#include "loa/server/media/sdp.hpp"
#include "loa/server/reports/workbooks.hpp"

namespace loa::server::rest {

namespace json = boost::json;

http::HttpResponse upload_program(RestCall& c) {
    const auto& r = c.request;
    if (r.body_file.empty())
        return json_error(400, "no file in the request body");
    json::object params{{"unit", r.query("unit").value_or("")},
                        {"title", r.query("title").value_or("")},
                        {"kind", "file"}};
    if (!r.query("unit") || !r.query("title"))
        return json_error(400, "say where it belongs: ?unit=CODE&title=TITLE");
    c.caller.upload = r.body_file; // the server's own file, not a caller's path
    auto program = c.gateway.call("programs.create", Params(params), c.caller);
    return http::json_response(201, json::serialize(program) + "\n");
}

http::HttpResponse as_run(RestCall& c) {
    json::object params;
    for (const char* bound : {"from_ms", "to_ms"})
        if (auto v = c.request.query(bound)) {
            try {
                params[bound] = std::stoll(*v);
            } catch (const std::exception&) {
                return json_error(400, std::string(bound) + ": expected milliseconds since 1970");
            }
        }
    // One unit's report, its predecessors' too if asked (?unit=CODE&predecessors=1).
    if (auto unit = c.request.query("unit"))
        params["unit"] = *unit;
    if (auto predecessors = c.request.query("predecessors"))
        params["predecessors"] = *predecessors == "1" || *predecessors == "true";
    auto rows = c.gateway.call("as_run.list", Params(params), c.caller).as_array();
    if (c.request.path().ends_with(".json"))
        return http::json_response(200, json::serialize(rows) + "\n");
    http::HttpResponse csv{200, "text/csv; charset=utf-8", as_run_csv(rows), {}};
    csv.headers["content-disposition"] = "attachment; filename=\"as-run.csv\"";
    return csv;
}

http::HttpResponse indicators(RestCall& c) {
    json::object params;
    for (const char* key : {"unit", "period", "from", "to"})
        if (auto v = c.request.query(key))
            params[key] = *v;
    for (const char* flag : {"predecessors", "children"})
        if (auto v = c.request.query(flag))
            params[flag] = *v == "1" || *v == "true";
    auto report = c.gateway.call("indicators.get", Params(params), c.caller);
    if (c.request.path().ends_with(".json"))
        return http::json_response(200, json::serialize(report) + "\n");
    http::HttpResponse csv{200,
                           "text/csv; charset=utf-8",
                           indicators_csv(report.as_object().at("rows").as_array()),
                           {}};
    csv.headers["content-disposition"] = "attachment; filename=\"indicators.csv\"";
    return csv;
}

namespace {

http::HttpResponse workbook(common::Result<std::string> bytes, const std::string& name) {
    if (!bytes)
        return json_error(500, bytes.error().message);
    http::HttpResponse out{
        200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", *bytes, {}};
    out.headers["content-disposition"] = "attachment; filename=\"" + name + "\"";
    return out;
}

ReportHeading heading_of(ApiGateway& gateway) {
    auto info = gateway.server_info().as_object();
    const auto* province = info.if_contains("province");
    return {province && province->is_string() ? std::string(province->as_string()) : std::string()};
}

/// "YYYY-MM" → its first and last day.
std::optional<std::pair<std::string, std::string>> month_days(const std::string& month) {
    int y = 0;
    unsigned m = 0;
    if (month.size() != 7 || std::sscanf(month.c_str(), "%4d-%2u", &y, &m) != 2 || m < 1 || m > 12)
        return std::nullopt;
    std::chrono::year_month_day_last last{std::chrono::year(y) / std::chrono::month(m) /
                                          std::chrono::last};
    return std::pair{month + "-01", month + "-" + std::to_string(unsigned(last.day()))};
}

} // namespace

http::HttpResponse stations_report(RestCall& c) {
    json::object params{{"period", "all"}};
    for (const char* key : {"unit", "from", "to"})
        if (auto v = c.request.query(key))
            params[key] = *v;
    auto report = c.gateway.call("indicators.get", Params(params), c.caller).as_object();
    return workbook(stations_workbook(report, heading_of(c.gateway)),
                    "thong-ke-" + std::string(report.at("to").as_string()) + ".xlsx");
}

http::HttpResponse operations_report(RestCall& c) {
    auto month = c.request.query("month");
    auto days = month ? month_days(*month) : std::nullopt;
    if (!days)
        return json_error(400, "say which month: ?month=YYYY-MM");
    json::object params{{"period", "day"}, {"from", days->first}, {"to", days->second}};
    if (auto unit = c.request.query("unit"))
        params["unit"] = *unit;
    auto report = c.gateway.call("indicators.get", Params(params), c.caller).as_object();
    params["period"] = "all";
    auto whole = c.gateway.call("indicators.get", Params(params), c.caller).as_object();
    return workbook(operations_workbook(report, whole, heading_of(c.gateway)),
                    "van-hanh-" + *month + ".xlsx");
}

http::HttpResponse unit_calendar(RestCall& c) {
    json::object params{{"unit", http::url_decode(c.name).value_or(c.name)}};
    auto ics = c.gateway.call("schedule.export", Params(params), c.caller);
    http::HttpResponse out{200,
                           "text/calendar; charset=utf-8",
                           std::string(ics.as_object().at("ics").as_string()),
                           {}};
    out.headers["content-disposition"] = "attachment; filename=\"" + c.name + ".ics\"";
    return out;
}

http::HttpResponse listen_in(RestCall& c) {
    auto channel = http::url_decode(c.name);
    if (!channel)
        return json_error(400, "malformed channel in the path: " + c.name);
    if (!c.media.has_channel(*channel))
        return json_error(404, "no channel \"" + *channel + "\"");
    if (!c.gateway.schedule().may_read_channel(c.caller.scope, *channel))
        return json_error(403, "channel \"" + *channel + "\" is outside the units you act for");
    auto opened = c.listen.open(*channel, c.caller.name() + " from " + c.caller.from,
                                c.gateway.session_alive(c.caller));
    if (const auto* refusal = std::get_if<ListenRefusal>(&opened))
        return *refusal == ListenRefusal::full
                   ? json_error(503, std::to_string(ListenIn::kMaxListeners) +
                                         " listeners are listening in already, the most this "
                                         "server serves; try again later")
                   : json_error(404, "no channel \"" + *channel + "\"");
    http::HttpResponse out{200, "audio/ogg", "", {}};
    out.stream = std::get<http::HttpStreamProducer>(std::move(opened));
    return out;
}

http::HttpResponse receiver_sdp(RestCall& c) {
    const auto& id = c.name;
    auto key = c.gateway.receiver_key(id);
    if (key.empty())
        return json_error(404, "no receiver \"" + id + "\"");
    std::optional<pipeline::Endpoint> at;
    for (const auto& status : c.media.receiver_status())
        if (status.id == id)
            at = pipeline::Endpoint::parse(status.address);
    if (!at)
        return json_error(409, "receiver \"" + id + "\" has not reported from an address yet");
    auto sdp = player_sdp(c.media.settings(), id, std::move(key), c.media.receiver_ssrc(id), *at);
    return http::HttpResponse{200, "application/sdp", std::move(sdp), {}};
}

} // namespace loa::server::rest
