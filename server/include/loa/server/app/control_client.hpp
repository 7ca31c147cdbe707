#pragma once
/// @file
/// `loa-server --call`: one method on the running server, over its control socket.

#include <string>

#include "loa/server/app/settings.hpp"

namespace loa::server {

/// Calls `method` with `params_json` (a JSON object) on the control socket of the server that
/// `settings` configure; prints the result as JSON on stdout, or the error on stderr. Returns
/// the exit status: 0 when the method succeeded.
int call_running_server(const Settings& settings, const std::string& method,
                        const std::string& params_json);

} // namespace loa::server
