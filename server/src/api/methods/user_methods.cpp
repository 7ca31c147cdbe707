// users.* and audit.list: the accounts and the audit log (admins; one's own password).
#include "loa/server/api/gateway.hpp"

namespace loa::server {

namespace json = boost::json;

json::value ApiGateway::list_users() {
    json::array out;
    for (const auto& u : value_or_throw(auth_.users()))
        out.push_back(user_json(u));
    return out;
}

json::value ApiGateway::create_user(const Params& p) {
    auto role = parse_role(p.string("role"));
    if (!role)
        throw RpcError(rpc_code::kInvalidParams,
                       "params.role: expected admin, approver, manager or viewer");
    auto user = value_or_throw(auth_.create_user(p.string("name"), p.string("password"), *role,
                                                 schedule_.unit_ids(p.strings("units"))));
    return user_json(user);
}

json::value ApiGateway::set_password(const Params& p, const Caller& caller) {
    auto name = p.string("name");
    bool admin = caller.local || (caller.user && caller.user->role == Role::admin);
    bool own = caller.user && caller.user->name == name;
    if (!admin && !own)
        throw RpcError(rpc_code::kUnauthorized, "only admins set other users' passwords");
    // One's own password needs the current one too: a session token alone (left on a
    // shared computer, or leaked) must not be enough to take the account over for good.
    if (own && !caller.local) {
        auto current = p.optional_string("current");
        if (!current)
            throw RpcError(rpc_code::kInvalidParams,
                           "params.current: your current password is needed to change it");
        if (auto checked = auth_.check_password(name, *current, caller.from); !checked)
            throw RpcError(rpc_code::kUnauthorized, checked.error().message);
    }
    value_or_throw(auth_.set_password(name, p.string("password")));
    return json::object{{"name", name}};
}

json::value ApiGateway::disable_user(const Params& p) {
    value_or_throw(auth_.disable(p.string("name")));
    return json::object{{"name", p.string("name")}, {"disabled", true}};
}

json::value ApiGateway::list_audit(const Params& p) {
    using Millis = std::chrono::sys_time<std::chrono::milliseconds>;
    auto to = p.optional_integer("to_ms").value_or(INT64_MAX / 2);
    auto from = p.optional_integer("from_ms").value_or(0);
    json::array out;
    for (const auto& r : value_or_throw(auth_.audit(Millis(std::chrono::milliseconds(from)),
                                                    Millis(std::chrono::milliseconds(to)))))
        out.push_back(json::object{{"id", r.id},
                                   {"at_ms", r.at.time_since_epoch().count()},
                                   {"who", r.who},
                                   {"from", r.from},
                                   {"what", r.what},
                                   {"summary", r.summary}});
    return out;
}

} // namespace loa::server
