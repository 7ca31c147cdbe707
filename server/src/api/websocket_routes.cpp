#include "loa/server/api/websocket_routes.hpp"

namespace loa::server {

http::WebSocketAccept websocket_routes(ApiGateway& gateway, ReceiverHub& hub) {
    return [&gateway, &hub](const http::HttpRequest& upgrade,
                            std::shared_ptr<http::WebSocketLink> link)
               -> std::variant<http::HttpResponse, std::shared_ptr<http::WebSocketHandler>> {
        auto path = upgrade.path();
        if (path == "/api/v1/receiver")
            return hub.connect(upgrade, std::move(link));
        if (path != "/api/v1/ws")
            return http::text_response(404, "no WebSocket at " + path + "\n");
        auto caller = ApiGateway::anonymous(upgrade);
        if (!upgrade.header("authorization").empty()) {
            auto bearer = gateway.bearer(upgrade);
            if (!bearer)
                return http::text_response(401, "the bearer token is not valid\n");
            caller = *bearer;
        }
        return gateway.connect(std::move(caller), std::move(link));
    };
}

} // namespace loa::server
