#pragma once
/// @file
/// What the server needs settled before it serves: its first admin, and the /metrics token.

#include <string>

#include "loa/server/api/auth_store.hpp"
#include "loa/server/app/settings.hpp"

namespace loa::server {

/// At first start, creates the admin account; its password comes from the environment
/// (LOA_ADMIN_PASSWORD), a file (control.admin_password_file) or is made up and printed once.
void announce_first_admin(AuthStore& auth, const Settings& settings);

/// The token /metrics asks for (http.metrics_token_file), or "" when it is open. Throws when
/// the file cannot be read or the token is shorter than 16 characters.
std::string read_metrics_token(const Settings& settings);

} // namespace loa::server
