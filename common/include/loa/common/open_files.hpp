#pragma once
/// @file
/// The open-files limit: a server holding a province's receivers needs one descriptor each.

#include <cstdint>

namespace loa::common {

/// Raises this process's soft limit on open files to its hard limit; returns the limit now in
/// force.
std::uint64_t raise_open_files_limit();

} // namespace loa::common
