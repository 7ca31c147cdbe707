#pragma once
/// @file
/// The REST routes: each path of /api/v1 with the rule it follows and its handler.

#include <span>
#include <string>
#include <string_view>

#include "loa/server/api/gateway.hpp"
#include "loa/server/api/method_table.hpp"
#include "loa/server/media/listen_in.hpp"
#include "loa/server/media/media_server.hpp"

namespace loa::server::rest {

/// What a route's handler is given.
struct RestCall {
    ApiGateway& gateway;
    MediaServer& media;
    ListenIn& listen;
    const http::HttpRequest& request;
    Caller& caller;
    std::string name; ///< the part of the path between the route's prefix and suffix
};

/// One REST route.
struct RestRoute {
    std::string_view verb;   ///< "GET" or "POST"
    std::string_view prefix; ///< the whole path, or its start when `suffix` is set
    std::string_view suffix; ///< "": an exact path; else a name sits between prefix and suffix
    /// The API method whose rules the route follows (the handler calls it), or "" for a rule
    /// of the route's own: `permission` and `channel`, refused with `refusal`.
    std::string_view method;
    Permission permission = Permission::read;
    Channel channel = Channel::any;
    std::string_view refusal;
    http::HttpResponse (*handle)(RestCall&) = nullptr;
};

/// Every REST route of /api/v1 (the console's are in console_routes).
std::span<const RestRoute> rest_routes();

/// The route `path` leads to with any verb, and the name it holds; null if none.
const RestRoute* find_route(const std::string& path, std::string& name);

http::HttpResponse upload_program(RestCall& c);
http::HttpResponse as_run(RestCall& c);
http::HttpResponse indicators(RestCall& c);
http::HttpResponse stations_report(RestCall& c);
http::HttpResponse operations_report(RestCall& c);
http::HttpResponse unit_calendar(RestCall& c);
http::HttpResponse listen_in(RestCall& c);
http::HttpResponse receiver_sdp(RestCall& c);

} // namespace loa::server::rest
