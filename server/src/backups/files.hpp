#pragma once
// What taking (backup.cpp) and restoring (restore.cpp) a backup share: the names in a backup's
// folder, and files written so that they are whole on the disk before they are named.

#include <filesystem>

#include "loa/common/result.hpp"

namespace loa::server::backup_files {

/// A backup's copy of the database, in its folder and in a state folder.
inline constexpr const char* kDatabase = "loa.db";
/// What a backup holds, with checksums.
inline constexpr const char* kManifest = "manifest.json";

/// fsync of a file or a folder (so that a rename is on the disk too); false if it failed.
bool sync(const std::filesystem::path& path);

/// Copies `from` to `to` through a temporary name, synced, then renamed.
common::Result<void> copy_synced(const std::filesystem::path& from,
                                 const std::filesystem::path& to);

} // namespace loa::server::backup_files
