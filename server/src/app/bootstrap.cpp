#include "loa/server/app/bootstrap.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "loa/common/logging.hpp"
#include "loa/common/persistent_counter.hpp"

namespace loa::server {

void announce_first_admin(AuthStore& auth, const Settings& settings) {
    std::string password;
    if (const char* env = std::getenv("LOA_ADMIN_PASSWORD"))
        password = env;
    else if (!settings.admin_password_file.empty()) {
        std::ifstream in(settings.admin_password_file);
        if (!std::getline(in, password))
            throw std::runtime_error("control.admin_password_file: cannot read \"" +
                                     settings.admin_password_file + "\"");
    }
    auto made = auth.ensure_admin(password);
    if (!made)
        throw std::runtime_error("cannot create the first admin: " + made.error().message);
    if (*made && password.empty())
        std::cerr << "loa-server: first start: created the user \"admin\" with the password\n\n"
                  << "    " << **made << "\n\n"
                  << "It is shown this once; change it with users.set_password.\n";
    else if (*made)
        common::logger("server")->info("first start: created the user \"admin\"");
}

std::string read_metrics_token(const Settings& settings) {
    if (settings.metrics_token_file.empty())
        return "";
    auto text = common::read_file(settings.metrics_token_file);
    if (!text)
        throw std::runtime_error("http.metrics_token_file: cannot read \"" +
                                 settings.metrics_token_file + "\"");
    auto token = text->substr(0, text->find_first_of("\r\n"));
    if (token.size() < 16)
        throw std::runtime_error("http.metrics_token_file: the token needs at least 16 characters");
    return token;
}

} // namespace loa::server
