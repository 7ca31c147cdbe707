#pragma once
/// @file
/// spdlog set-up: one named logger per component, all writing to one shared sink.

#include <fmt/format.h>
#include <memory>
#include <spdlog/spdlog.h>
#include <string>
#include <string_view>

/// fmt's formatting engine, instantiated once in logging.cpp: without this, every file that
/// logs instantiated and optimised the whole engine again through spdlog (half of a typical
/// file's compile time under clang). Not libfmt's own copy: gcc and clang name it differently.
extern template void
fmt::detail::vformat_to<char>(fmt::detail::buffer<char>&, fmt::basic_string_view<char>,
                              fmt::basic_format_args<fmt::buffer_context<char>>,
                              fmt::detail::locale_ref);

namespace loa::common {

/// Configures the process-wide sink and level ("trace".."off"). Call once from main.
void init_logging(const std::string& level = "info");

/// Returns the logger of a component ("fanout", "router", "receiver"...), creating it once.
std::shared_ptr<spdlog::logger> logger(const std::string& component);

/// A caller's text (a name, an address, a path) fit for one log line: in double quotes, with
/// quotes, backslashes and control characters escaped (\n, \xNN) so that it cannot forge a
/// line, and cut to `max` bytes ("..." after the quote says it was cut).
std::string loggable(std::string_view text, std::size_t max = 64);

} // namespace loa::common
