// live.start, live.stop and live.list: speaking live from a browser or loactl (docs/live.md).
#include "loa/server/api/gateway.hpp"

namespace loa::server {
namespace {

LiveDesk& desk_of(LiveDesk* desk) {
    if (desk == nullptr)
        throw RpcError(rpc_code::kInternalError, "this server takes no live broadcasts");
    return *desk;
}

} // namespace

boost::json::value ApiGateway::start_live(const Params& params, const Caller& caller) {
    auto& desk = desk_of(live_);
    auto link = caller.link.lock();
    if (!link || !caller.link_open)
        throw RpcError(rpc_code::kInvalidRequest,
                       "live.start goes over the WebSocket /api/v1/ws: the broadcast lasts as long "
                       "as that connection");
    Speaker speaker;
    speaker.name = caller.name();
    speaker.present = [open = caller.link_open, alive = session_alive(caller)] {
        return open->load() && alive();
    };
    speaker.tell = [weak = caller.link](const boost::json::object& notification) {
        if (auto l = weak.lock())
            l->send(boost::json::serialize(notification));
    };
    return desk.start_broadcast(params, caller.scope, std::move(speaker));
}

boost::json::value ApiGateway::stop_live(const Params& params, const Caller& caller) {
    return desk_of(live_).stop_broadcast(params, caller.scope, caller.name());
}

boost::json::value ApiGateway::list_live(const Caller& caller) {
    return desk_of(live_).list(caller.scope);
}

} // namespace loa::server
