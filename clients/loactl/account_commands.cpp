// loactl's commands about the operator's session, units and receivers.
#include <cstdlib>
#include <iostream>
#include <termios.h>
#include <unistd.h>

#include "commands.hpp"
#include "loa/clients/saved_session.hpp"
#include "loa/clients/table.hpp"

namespace loactl {
namespace {

/// The password from LOA_PASSWORD, else one line of standard input (not echoed on a terminal).
std::string read_password() {
    if (const char* p = std::getenv("LOA_PASSWORD"); p != nullptr && *p != '\0')
        return p;
    bool terminal = ::isatty(STDIN_FILENO) != 0;
    termios saved{};
    if (terminal && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
        std::cerr << "password: " << std::flush;
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    } else {
        terminal = false;
    }
    std::string line;
    bool read = static_cast<bool>(std::getline(std::cin, line));
    if (terminal) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << "\n";
    }
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    if (!read || line.empty())
        throw UsageError("no password: type it, pipe it on standard input, or set LOA_PASSWORD");
    return line;
}

std::string member_text(const json::value& object, const char* key) {
    const auto* o = object.if_object();
    const auto* v = o != nullptr ? o->if_contains(key) : nullptr;
    return v != nullptr ? loa::clients::cell_text(*v) : "-";
}

std::string format_volume(const json::value& v) {
    return format_fixed(v, 2);
}
std::string format_loss(const json::value& v) {
    return format_fixed(v, 1);
}
std::string format_jitter(const json::value& v) {
    return format_fixed(v, 1);
}

} // namespace

int login(Context& c, const Args& a) {
    const auto& name = a.positional(0, "the user NAME");
    a.at_most(1);
    auto password = read_password();
    c.forget_token(); // a stale token must not stop the login
    json::value result;
    try {
        result = c.call("auth.login", {{"name", name}, {"password", password}});
    } catch (const loa::clients::ApiError& e) {
        if (e.code != loa::jsonrpc::code::kUnauthorized)
            throw;
        throw std::runtime_error("login as " + name + " refused: " + e.message);
    }
    auto* object = result.if_object();
    const auto* token = object != nullptr ? object->if_contains("token") : nullptr;
    if (token == nullptr || !token->is_string())
        throw std::runtime_error("the server's answer to auth.login has no token");
    auto path = loa::clients::session_file();
    if (auto saved = loa::clients::save_session(path, {c.url(), std::string(token->get_string())});
        !saved)
        throw std::runtime_error(saved.error().message +
                                 "; set LOA_CONFIG_DIR to a folder you can write");
    (*object)["token"] = "(saved in " + path + ")";
    c.print(result, [&](const json::value&) {
        auto member = [&](const char* key) {
            return object->contains(key) ? object->at(key) : json::value();
        };
        std::cout << "logged in to " << c.url() << " as " << name << " (role "
                  << member_text(member("user"), "role") << "; units "
                  << member_text(member("user"), "units") << "); the token expires at "
                  << format_time(member("expires_at")) << " and is saved in " << path << "\n";
    });
    return 0;
}

int logout(Context& c, const Args& a) {
    a.at_most(0);
    auto path = loa::clients::session_file();
    auto saved = loa::clients::load_session(path);
    bool ours = saved && saved->server == c.url();
    if (c.options().bearer_token.empty()) {
        std::cout << "not logged in to " << c.url() << "\n";
        return 0;
    }
    std::string failure;
    try {
        c.call("auth.logout");
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (ours)
        loa::clients::remove_session(path);
    if (!failure.empty())
        throw std::runtime_error("the server did not revoke the token (" + failure +
                                 "); it stays valid until it expires" +
                                 (ours ? "; the saved session was deleted" : ""));
    std::cout << "logged out of " << c.url() << "\n";
    return 0;
}

int units(Context& c, const Args& a) {
    a.at_most(0);
    c.print(c.call("units.list"), [](const json::value& r) {
        print_table(r, {{"ID", "id"},
                        {"CODE", "code"},
                        {"NAME", "name"},
                        {"PARENT", "parent"},
                        {"QUIET HOURS", "quiet_hours"},
                        {"APPROVAL", "approval_required"}});
    });
    return 0;
}

int receivers(Context& c, const Args& a) {
    a.at_most(0);
    json::object params;
    if (auto unit = a.value("--unit"))
        params["unit"] = *unit;
    c.print(c.call("receivers.list", std::move(params)), [](const json::value& r) {
        print_table(r, {{"ID", "id"},
                        {"UNIT", "unit"},
                        {"NAME", "name"},
                        {"ONLINE", "online"},
                        {"LAST SEEN", "last_seen", format_time},
                        {"VOLUME", "volume", format_volume},
                        {"MUTED", "muted"},
                        {"LOSS %", "loss_percent", format_loss},
                        {"JITTER MS", "jitter_ms", format_jitter},
                        {"PLAYING", "playing"},
                        {"VERSION", "version"}});
    });
    return 0;
}

int volume(Context& c, const Args& a) {
    const auto& id = a.positional(0, "the RECEIVER id");
    a.at_most(1);
    json::object params{{"id", id}};
    if (auto v = a.value("--volume")) {
        double level = parse_number(*v, "--volume");
        if (level < 0 || level > 2)
            throw UsageError("--volume must be from 0 (silent) to 2 (double), got " + *v);
        params["volume"] = level;
    }
    if (a.has("--mute") && a.has("--unmute"))
        throw UsageError("give --mute or --unmute, not both");
    if (a.has("--mute") || a.has("--unmute"))
        params["muted"] = a.has("--mute");
    if (params.size() == 1)
        throw UsageError("nothing to change: give --volume V, --mute or --unmute");
    c.print(c.call("receivers.set_volume", std::move(params)), print_fields);
    return 0;
}

int provision(Context& c, const Args& a) {
    const auto& id = a.positional(0, "the RECEIVER id");
    a.at_most(1);
    auto unit = a.value("--unit");
    if (!unit)
        throw UsageError("`provision` needs --unit CODE (the unit the receiver belongs to)");
    json::object params{{"id", id}, {"unit", *unit}};
    if (auto name = a.value("--name"))
        params["name"] = *name;
    auto result = c.call("receivers.provision", std::move(params));
    const auto* object = result.if_object();
    const auto* bundle = object != nullptr ? object->if_contains("bundle") : nullptr;
    if (bundle == nullptr)
        throw std::runtime_error("the server's answer to receivers.provision has no bundle");
    auto out = a.value("--out");
    if (!out) {
        Context::print_json(*bundle);
        return 0;
    }
    if (auto written =
            loa::clients::write_private_file(*out, loa::clients::pretty_json(*bundle) + "\n");
        !written)
        throw std::runtime_error(written.error().message);
    std::cout << "wrote the bundle of receiver " << id << " to " << *out
              << " (mode 0600: it holds the receiver's keys; copy it to the receiver only)\n";
    return 0;
}

} // namespace loactl
