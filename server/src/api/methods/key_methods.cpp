// api_keys.*: the machine accounts (reporters) that read the indicators (admins only).
#include "loa/server/api/gateway.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

json::value time_or_null(const std::optional<ApiKey::Millis>& at) {
    return at ? json::value(at->time_since_epoch().count()) : json::value(nullptr);
}

} // namespace

json::object ApiGateway::key_json(const ApiKey& key) {
    json::array units;
    for (const auto& code : schedule_.unit_codes(key.units))
        units.push_back(json::value(code));
    return json::object{{"id", key.id},
                        {"name", key.name},
                        {"role", "reporter"},
                        {"units", std::move(units)},
                        {"prefix", key.prefix},
                        {"created_at_ms", key.created_at.time_since_epoch().count()},
                        {"created_by", key.created_by},
                        {"rotated_at_ms", time_or_null(key.rotated_at)},
                        {"last_used_at_ms", time_or_null(key.last_used_at)},
                        {"uses", key.uses},
                        {"revoked_at_ms", time_or_null(key.revoked_at)}};
}

json::value ApiGateway::create_key(const Params& p, const Caller& caller) {
    auto units = schedule_.unit_ids(p.strings("units"));
    auto [key, secret] = value_or_throw(auth_.create_key(p.string("name"), units, caller.name()));
    auto out = key_json(key);
    out["key"] = secret; // shown this once
    return out;
}

json::value ApiGateway::list_keys() {
    json::array out;
    for (const auto& key : value_or_throw(auth_.keys()))
        out.push_back(key_json(key));
    return out;
}

json::value ApiGateway::rotate_key(const Params& p) {
    auto [key, secret] = value_or_throw(auth_.rotate_key(p.integer("id")));
    auto out = key_json(key);
    out["key"] = secret;
    return out;
}

json::value ApiGateway::revoke_key(const Params& p) {
    return key_json(value_or_throw(auth_.revoke_key(p.integer("id"))));
}

} // namespace loa::server
