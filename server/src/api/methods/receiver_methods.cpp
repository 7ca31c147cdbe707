// receivers.*: the provisioned receivers, as the hub knows them.
#include <algorithm>
#include <cctype>

#include "loa/common/persistent_counter.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/gateway.hpp"

namespace loa::server {

namespace json = boost::json;

namespace {

/// The longest a receivers.move waits for the receivers' answers: each tries the new server.
constexpr std::chrono::seconds kMoveTimeout{20};

/// Why `url` cannot be a server receivers move to ("" if it can): ws:// or wss://, a host
/// (name, IPv4 or [IPv6]) and an optional port, nothing else.
std::string bad_server_url(const std::string& url) {
    auto scheme = url.find("://");
    if (scheme == std::string::npos ||
        (url.substr(0, scheme) != "ws" && url.substr(0, scheme) != "wss"))
        return "expected ws://HOST:PORT or wss://HOST:PORT";
    auto authority = url.substr(scheme + 3);
    if (authority.empty() || authority.size() > 255)
        return "expected a host after " + url.substr(0, scheme + 3);
    std::string host = authority;
    std::string port;
    if (authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string::npos)
            return "an IPv6 address in brackets has no closing ']'";
        host = authority.substr(1, close - 1);
        auto rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return "expected :PORT after the address";
        port = rest.empty() ? "" : rest.substr(1);
        if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
            }))
            return "not an IPv6 address: \"" + host + "\"";
    } else {
        auto colon = authority.find(':');
        host = authority.substr(0, colon);
        port = colon == std::string::npos ? "" : authority.substr(colon + 1);
        if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
            }))
            return "a host is letters, digits, '.' and '-' (no path, user or query), not \"" +
                   host + "\"";
    }
    // Plain WebSocket only on this machine: a receiver sends its secret in the hello.
    bool loopback = host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
    if (url.substr(0, scheme) == "ws" && !loopback)
        return "a receiver sends its secret to the server it moves to: wss:// (ws:// only on "
               "127.0.0.1)";
    if (!port.empty() &&
        (port.size() > 5 ||
         !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
         std::stoi(port) == 0 || std::stoi(port) > 65535))
        return "the port is 1-65535, not \"" + port + "\"";
    return "";
}

/// Why `pem` cannot be a certificate authority given to receivers ("" if it can).
std::string bad_ca(const std::string& pem) {
    if (pem.empty())
        return "";
    if (pem.size() > std::size_t{64} * 1024)
        return "more than 64 KiB";
    if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos ||
        pem.find("-----END CERTIFICATE-----") == std::string::npos)
        return "expected PEM certificates (-----BEGIN CERTIFICATE-----)";
    if (!std::all_of(pem.begin(), pem.end(),
                     [](char c) { return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r'; }))
        return "PEM is printable ASCII";
    return "";
}

const char* hand_over_word(ReceiverHub::HandOver how) {
    switch (how) {
    case ReceiverHub::HandOver::moved:
        return "moved";
    case ReceiverHub::HandOver::stayed:
        return "it could not reach the new server and stays here";
    case ReceiverHub::HandOver::silent:
        return "no answer in time; it stays provisioned here";
    case ReceiverHub::HandOver::offline:
        return "not connected";
    }
    return "";
}

} // namespace

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

json::value ApiGateway::move_receivers(const Params& p) {
    auto server = p.string("server_url");
    if (auto bad = bad_server_url(server); !bad.empty())
        throw RpcError(rpc_code::kInvalidParams, "params.server_url: " + bad);
    auto ca = p.optional_string("ca").value_or("");
    if (auto bad = bad_ca(ca); !bad.empty())
        throw RpcError(rpc_code::kInvalidParams, "params.ca: " + bad);
    auto ids = p.strings("ids");
    if (auto unit = p.optional_string("unit")) {
        // The unit's receivers and those of the units within it.
        for (const auto& r : receivers_.list(schedule_.scope_of(schedule_.unit_ids({*unit}))))
            ids.push_back(r.id);
        if (ids.empty())
            throw RpcError(rpc_code::kNotFound, "unit " + *unit + " has no receivers");
    }
    if (ids.empty())
        throw RpcError(rpc_code::kInvalidParams, "params: name the receivers (ids) or a unit");
    for (const auto& id : ids)
        value_or_throw(receivers_.record(id));
    json::array moved;
    json::array stayed;
    for (const auto& [id, how] : receivers_.hand_over(ids, server, ca, kMoveTimeout)) {
        if (how == ReceiverHub::HandOver::moved)
            moved.emplace_back(id);
        else
            stayed.push_back(json::object{{"id", id}, {"reason", hand_over_word(how)}});
    }
    return json::object{
        {"server_url", server}, {"moved", std::move(moved)}, {"stayed", std::move(stayed)}};
}

} // namespace loa::server
