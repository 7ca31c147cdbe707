#include "authorization_world.hpp"

#include <cstdio>
#include <stdexcept>

#include "loa/clients/live_sender.hpp"
#include "wav.hpp"

namespace loa::test::authz {
namespace {

namespace json = boost::json;
using server::Role;

/// Communes 70-001 (the scoped users'), 70-002 (outside them), 70-003 (airs throughout), and
/// 70-098, 70-099 for units.merge to merge away, 70-096, 70-097 for units.recode.
constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "70-001", "name": "Xã A", "quiet_hours": "none", "approval_required": true},
      {"code": "70-002", "name": "Xã B", "quiet_hours": "none", "approval_required": true},
      {"code": "70-003", "name": "Xã C", "quiet_hours": "none", "approval_required": true},
      {"code": "70-096", "name": "Xã F", "quiet_hours": "none"},
      {"code": "70-097", "name": "Xã G", "quiet_hours": "none"},
      {"code": "70-098", "name": "Xã D", "quiet_hours": "none"},
      {"code": "70-099", "name": "Xã E", "quiet_hours": "none"}]})";

} // namespace

const std::vector<CallerSpec>& callers() {
    static const std::vector<CallerSpec> all = {
        {Who::anonymous, "anonymous", "", std::nullopt, false},
        {Who::viewer1, "viewer1", "viewer1", Role::viewer, true},
        {Who::viewer, "viewer", "viewer", Role::viewer, false},
        {Who::manager1, "manager1", "manager1", Role::manager, true},
        {Who::approver1, "approver1", "approver1", Role::approver, true},
        {Who::admin, "admin", "admin", Role::admin, false},
        {Who::local, "control", "", std::nullopt, false},
    };
    return all;
}

World::World(const std::string& name) : s(name) {
    write_tone_wav(s.dir().file("tone.wav"), 440, 20);
    write_tone_wav(s.dir().file("short.wav"), 880, 1);
    write_tone_wav(s.dir().file("long.wav"), 660, 120);
    s.write_province_config(
        kProvince, R"("live_inputs": [{"id": "studio", "device": "hw:9,0", "name": "Studio"}],)"
                   R"( "live": {"addresses": ["127.0.0.1"]},)"
                   R"( "backups": {"dir": ")" +
                       s.dir().file("nas") + R"("})");
    s.start_server();
    offer = clients::LiveSender({"tone:1000", {"127.0.0.1"}, 32}).offer().value();
    control("users.create", {{"name", "speaker"}, {"password", kPassword}, {"role", "admin"}});
    control("users.set_password", {{"name", "admin"}, {"password", kPassword}});
    for (const auto& c : callers())
        if (c.role && *c.role != Role::admin) {
            json::object user{
                {"name", c.user}, {"password", kPassword}, {"role", to_string(*c.role)}};
            if (c.scoped)
                user["units"] = json::array{"70-001"};
            control("users.create", std::move(user));
        }
    auto program = [&](const std::string& unit, const std::string& file) {
        auto id =
            control("programs.create",
                    {{"unit", unit}, {"title", "Bản tin " + unit}, {"path", s.dir().file(file)}})
                .at("id")
                .as_int64();
        control("programs.decide", {{"id", id}, {"approval", "approved"}});
        return id;
    };
    program_in = program("70-001", "tone.wav");
    program_out = program("70-002", "tone.wav");
    program_province = program("70", "tone.wav");
    entry_in = entry(program_in, "70-001");
    entry_out = entry(program_out, "70-002");
    for (const auto& [id, unit] : {std::pair{"box-in", "70-001"}, {"box-out", "70-002"}})
        secrets[id] = std::string(control("receivers.provision", {{"id", id}, {"unit", unit}})
                                      .at("bundle")
                                      .at("secret")
                                      .as_string());
    background = control("emergency.start", {{"units", json::array{"70-003"}},
                                             {"program", program("70-003", "long.wav")}})
                     .at("override")
                     .as_int64();
    // What the listing methods show outside the scoped users' units: it is on air, and in the
    // as-run log.
    bool airing = wait_until(
        [&] {
            auto rows = json::serialize(control("as_run.list"));
            return rows.find("\"70-003\"") != std::string::npos &&
                   control("status").at("on_air").as_object().contains("70-003");
        },
        std::chrono::seconds(20));
    if (!airing)
        throw std::runtime_error("the emergency on 70-003 does not air");
    // The boxes never connect: past the offline grace (2 s) each has its alarm.
    bool alarmed = wait_until(
        [&] {
            auto alarms = control("alarms.list", {{"kind", "cluster_offline"}});
            for (const auto& a : alarms.as_array())
                (a.at("subject") == "box-in" ? alarm_in : alarm_out) = a.at("id").as_int64();
            return alarm_in != 0 && alarm_out != 0;
        },
        std::chrono::seconds(20));
    if (!alarmed)
        throw std::runtime_error("box-in and box-out raise no cluster_offline alarm");
}

json::object World::control_raw(const std::string& method, json::object params) {
    return s.call_raw(json::serialize(json::object{
        {"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}}));
}

json::value World::control(const std::string& method, json::object params) {
    return s.call(method, json::serialize(params));
}

std::unique_ptr<clients::ApiConnection> World::connect(const std::string& token) {
    clients::ConnectOptions options;
    options.bearer_token = token;
    return connect_api(s.api_url() + "/api/v1/ws", options);
}

std::int64_t World::go_live(const std::string& unit) {
    // A province-wide admin of its own: the matrix ends the sessions of the callers it tests.
    if (!speaker_)
        speaker_ = login("speaker");
    json::array units;
    units.emplace_back(unit);
    json::object params;
    params["units"] = std::move(units);
    params["sdp"] = offer;
    return speaker_->call("live.start", std::move(params)).at("session").to_number<std::int64_t>();
}

std::unique_ptr<clients::ApiConnection> World::login(const std::string& user, std::string* token) {
    auto c = connect();
    auto made = c->call("auth.login", {{"name", user}, {"password", kPassword}});
    if (token)
        *token = std::string(made.at("token").as_string());
    return c;
}

std::string World::next_start() {
    int n = next();
    char text[32];
    std::snprintf(text, sizeof text, "2031-01-%02dT%02d:00:00", 1 + n / 20 % 28, n % 20);
    return text;
}

std::string World::ics_of(std::int64_t program) {
    int n = next();
    char start[32];
    std::snprintf(start, sizeof start, "203201%02dT%02d0000Z", 1 + n / 20 % 28, n % 20);
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//loa//authz//EN\r\nBEGIN:VEVENT\r\n"
           "UID:authz-" +
           std::to_string(n) + "@test\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:" + start +
           "\r\nDURATION:PT1M\r\nSUMMARY:x\r\nX-LOA-PROGRAM:" + std::to_string(program) +
           "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
}

std::int64_t World::draft_program(const std::string& unit) {
    return control("programs.create", {{"unit", unit},
                                       {"title", "draft " + std::to_string(next())},
                                       {"url", "http://127.0.0.1:9/draft"}})
        .at("id")
        .as_int64();
}

std::int64_t World::entry(std::int64_t program, const std::string& unit) {
    return control("entries.create", {{"program", program},
                                      {"start", next_start()},
                                      {"duration_s", 60},
                                      {"units", json::array{unit}}})
        .at("id")
        .as_int64();
}

} // namespace loa::test::authz
