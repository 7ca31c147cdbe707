#pragma once
/// @file
/// The media plane's figures in the log: every 30 s and on SIGUSR1, with the receivers worth an
/// operator's look.

#include "loa/server/media/media_server.hpp"

namespace loa::server {

/// Logs packets sent, receivers latched, drops and reports (component "server").
void log_figures(const MediaServer& media);

/// Logs the receivers silent for 30 s or losing more than 5 % (at most 20 lines).
void log_troubled_receivers(const MediaServer& media);

} // namespace loa::server
