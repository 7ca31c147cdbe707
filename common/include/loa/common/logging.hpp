#pragma once
/// @file
/// spdlog set-up: one named logger per component, all writing to one shared sink.

#include <memory>
#include <spdlog/spdlog.h>
#include <string>

namespace loa::common {

/// Configures the process-wide sink and level ("trace".."off"). Call once from main.
void init_logging(const std::string& level = "info");

/// Returns the logger of a component ("fanout", "router", "receiver"...), creating it once.
std::shared_ptr<spdlog::logger> logger(const std::string& component);

} // namespace loa::common
