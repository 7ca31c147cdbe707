// backups.*: what the backups did, and one taken now.
#include "loa/server/api/gateway.hpp"

namespace loa::server {

namespace json = boost::json;

json::value ApiGateway::list_backups() {
    auto state = backups_ != nullptr ? backups_->state() : BackupState{};
    auto out = backup_state_json(state);
    json::array list;
    if (state.enabled)
        for (const auto& b : server::list_backups(state.dir))
            list.push_back(backup_json(b));
    out["backups"] = std::move(list);
    return out;
}

json::value ApiGateway::run_backup() {
    if (backups_ == nullptr || !backups_->state().enabled)
        throw RpcError(
            rpc_code::kConflict,
            "backups are off: set backups.dir in the configuration (docs/operations.md)");
    if (!backups_->request())
        throw RpcError(rpc_code::kConflict, "a backup is running or asked for already");
    return json::object{{"started", true}};
}

} // namespace loa::server
