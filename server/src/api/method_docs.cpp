// The method table as docs/api.md shows it.
#include "loa/server/api/method_table.hpp"

namespace loa::server {

std::string_view to_string(Permission permission) {
    switch (permission) {
    case Permission::anyone:
        return "anyone";
    case Permission::report:
        return "any role, reporter keys";
    case Permission::read:
        return "any role";
    case Permission::change:
        return "manager, approver, admin";
    case Permission::approve:
        return "approver, admin";
    case Permission::admin:
        return "admin";
    }
    return "";
}

std::string_view to_string(UnitRule rule) {
    switch (rule) {
    case UnitRule::none:
        return "";
    case UnitRule::listing:
        return "shows its units' only";
    case UnitRule::named:
        return "units named must be its own";
    case UnitRule::receiver:
        return "a receiver of its units";
    case UnitRule::alarm:
        return "an alarm of its units";
    case UnitRule::own_account:
        return "its own account (admins: any)";
    case UnitRule::province:
        return "province-wide only";
    }
    return "";
}

std::string_view to_string(Channel channel) {
    switch (channel) {
    case Channel::any:
        return "";
    case Channel::confidential:
        return "TLS, 127.0.0.1 or the control socket";
    case Channel::session:
        return "a logged-in session";
    case Channel::websocket:
        return "the WebSocket only";
    }
    return "";
}

std::string methods_markdown() {
    std::string out = "| method | who | units | connection | params → result |\n"
                      "|---|---|---|---|---|\n";
    for (const auto& m : method_table()) {
        std::string who(to_string(m.permission));
        if (m.name == "programs.decide")
            who += " (approving: approver, admin)";
        out += "| `" + std::string(m.name) + "` | " + who + " | " +
               std::string(to_string(m.units)) + " | " + std::string(to_string(m.channel)) + " | " +
               std::string(m.summary) + " |\n";
    }
    return out;
}

} // namespace loa::server
