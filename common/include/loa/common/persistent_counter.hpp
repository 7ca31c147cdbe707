#pragma once
/// @file
/// Small state files written durably (and read back whole), and a 32-bit counter kept in one,
/// advanced once per process start. Loa uses the counter to make every start's SRTP SSRCs fresh, so
/// that no keystream is ever used twice.

#include <cstdint>
#include <optional>
#include <string>

#include "loa/common/result.hpp"

namespace loa::common {

/// Replaces `path` with `text` so that a crash leaves the old or the new content, never a mix:
/// write a temporary file, fsync it, rename it over `path`, fsync the folder.
Result<void> write_file_durably(const std::string& path, const std::string& text);
/// A whole file's content; nullopt if it cannot be opened.
std::optional<std::string> read_file(const std::string& path);

/// Returns this start's value and durably stores the next one (write, fsync, rename) before
/// returning, so a crash right after cannot hand out the same value again. The value is never
/// below `floor` (compared as RFC 1982 serial numbers): pass the Unix time in seconds so that a
/// lost or restored-from-backup file still moves forward.
Result<std::uint32_t> advance_persistent_counter(const std::string& path, std::uint32_t floor);

} // namespace loa::common
