#pragma once
/// @file
/// Calls the province's tests make of a server's API as its admin: logging in, provisioning
/// and starting a cluster, reading the receivers, and hearing a bulletin on a cluster; and the
/// times a schedule is written in.

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "harness.hpp"
#include "loa/schedules/recurrence.hpp"

namespace loa::test {

/// Wall time in Vietnam as the schedule writes it: "2026-11-23T06:30:00".
inline std::string vietnam_local(std::chrono::system_clock::time_point t) {
    return *schedules::utc_to_local(std::chrono::floor<std::chrono::seconds>(t),
                                    schedules::kDefaultTimeZone);
}

/// Milliseconds since the Unix epoch.
inline std::int64_t ms_of(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// The code of a failed call (0 if it succeeded) and its message.
inline std::pair<int, std::string> refusal(clients::ApiConnection& c, const std::string& method,
                                           boost::json::object params) {
    try {
        c.call(method, std::move(params));
        return {0, ""};
    } catch (const clients::ApiError& e) {
        return {e.code, e.what()};
    }
}

/// receivers.list as {id: receiver}.
inline std::map<std::string, boost::json::object> receivers(clients::ApiConnection& c) {
    std::map<std::string, boost::json::object> out;
    auto list = c.call("receivers.list");
    for (const auto& r : list.as_array())
        out[std::string(r.at("id").as_string())] = r.as_object();
    return out;
}

/// A connection logged in as the admin.
inline std::unique_ptr<clients::ApiConnection> admin_of(Scenario& s) {
    auto admin = connect_api(s.api_url() + "/api/v1/ws");
    admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
    return admin;
}

/// Provisions a receiver of `unit` and starts it; returns its bundle's file.
inline std::string start_box(Scenario& s, clients::ApiConnection& admin, const std::string& id,
                             const std::string& unit) {
    auto made = admin.call("receivers.provision", {{"id", id}, {"unit", unit}});
    std::string bundle = s.dir().file(id + ".bundle.json");
    std::ofstream(bundle) << boost::json::serialize(made.as_object().at("bundle"));
    s.start_provisioned_receiver(id, bundle);
    return bundle;
}

/// The milliseconds of sound a receiver reported having played.
inline double sound_ms(const boost::json::object& r) {
    const auto* status = r.if_contains("status");
    const auto* sound = status != nullptr && status->is_object()
                            ? status->as_object().if_contains("sound_ms")
                            : nullptr;
    return sound != nullptr ? sound->to_number<double>() : 0.0;
}

/// Starts an emergency of a new bulletin on `unit` and waits (bounded) until `box` plays it.
inline bool plays(clients::ApiConnection& admin, const std::string& unit, const std::string& box) {
    auto before = sound_ms(receivers(admin)[box]);
    auto bulletin = admin.call("programs.create", {{"unit", unit},
                                                   {"title", "Bản tin"},
                                                   {"kind", "tts"},
                                                   {"text", "Bà con chú ý, đây là bản tin."}});
    auto emergency = admin.call("emergency.start", {{"units", boost::json::array{unit.c_str()}},
                                                    {"program", bulletin.at("id")}});
    bool heard = wait_until([&] { return sound_ms(receivers(admin)[box]) > before + 500; },
                            std::chrono::seconds(20));
    // A short bulletin may have ended by itself already (a slow machine): nothing to stop.
    auto [code, message] = refusal(admin, "emergency.stop", {{"id", emergency.at("override")}});
    if (code != 0 && message.find("already ended") == std::string::npos)
        throw std::runtime_error("emergency.stop: " + message);
    return heard;
}

} // namespace loa::test
