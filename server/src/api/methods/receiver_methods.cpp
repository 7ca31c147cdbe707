// receivers.*: the provisioned receivers, as the hub knows them.
#include "loa/common/persistent_counter.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/gateway.hpp"

namespace loa::server {

namespace json = boost::json;

json::object receiver_json(const ReceiverView& r) {
    json::object o{
        {"id", r.id},       {"unit", r.unit},     {"name", r.name},          {"volume", r.volume},
        {"muted", r.muted}, {"online", r.online}, {"emergency", r.emergency}};
    if (r.seen) {
        o["last_seen"] = r.last_seen_ms; // ms since 1970
        if (const auto* v = r.status.if_contains("version"))
            o["version"] = *v;
        o["address"] = r.address;
        o["status"] = r.status;
    }
    if (r.link) {
        o["packets_sent"] = r.link->packets_sent;
        o["loss_percent"] = r.link->loss_percent;
        o["jitter_ms"] = r.link->jitter_ms;
        o["media_address"] = r.link->address;
    }
    return o;
}

json::value ApiGateway::list_receivers(const Params& p, const Caller& caller) {
    // What each receiver's channel carries now: its own (single-cluster) one, else its unit's.
    auto on_air = schedule_.on_air(caller.scope);
    auto unit = p.optional_string("unit");
    json::array out;
    for (const auto& r : receivers_.list(caller.scope)) {
        if (unit && r.unit != *unit)
            continue;
        auto o = receiver_json(r);
        const auto* airing = on_air.if_contains(schedules::cluster_channel(r.id));
        if (!airing)
            airing = on_air.if_contains(r.unit);
        o["playing"] = airing ? *airing : json::value(nullptr);
        out.push_back(std::move(o));
    }
    return out;
}

json::value ApiGateway::provision(const Params& p, const Caller& caller) {
    auto made = value_or_throw(receivers_.provision(
        p.string("id"), p.string("unit"), p.optional_string("name").value_or(""), caller.name()));
    std::string server = settings_.public_url;
    if (server.empty())
        server = std::string(caller.tls ? "wss://" : "ws://") +
                 (caller.host.empty() ? "127.0.0.1:8080" : caller.host);
    json::object bundle{{"server", server}, {"id", made.record.id}, {"secret", made.secret}};
    if (!settings_.tls_certificate.empty())
        bundle["ca"] = common::read_file(settings_.tls_certificate).value_or("");
    return json::object{
        {"id", made.record.id}, {"unit", p.string("unit")}, {"bundle", std::move(bundle)}};
}

json::value ApiGateway::set_volume(const Params& p) {
    auto id = p.string("id");
    auto r = value_or_throw(
        receivers_.set_output(id, p.optional_number("volume"), p.optional_boolean("muted")));
    return json::object{{"id", id}, {"volume", r.volume}, {"muted", r.muted}};
}

json::value ApiGateway::unprovision(const Params& p) {
    auto id = p.string("id");
    value_or_throw(receivers_.unprovision(id));
    return json::object{{"id", id}, {"unprovisioned", true}};
}

json::value ApiGateway::rekey(const Params& p) {
    auto id = p.string("id");
    bool online = value_or_throw(receivers_.rekey(id));
    return json::object{{"id", id}, {"rekeyed", true}, {"online", online}};
}

} // namespace loa::server
