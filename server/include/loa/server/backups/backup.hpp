#pragma once
/// @file
/// Backups of a server's state while it runs: its database copied through SQLite's VACUUM INTO
/// (never a file copy of a live database), its media by content into a pool the backups share
/// (a file already there is not copied again), and a manifest; each verified as a restore would
/// open it before it is named a backup. Secrets stay out: the sealing key is never copied, and
/// the database holds receivers' keys sealed and passwords, secrets and tokens only hashed.
///
/// A backup folder DIR holds `loa-YYYYMMDDTHHMMSSZ/` (`-2`, `-3`... after it for another in the
/// same second; `loa.db`, `manifest.json`) per backup
/// and `media/`, the pool. A backup is written into `DIR/.partial-NAME/` and renamed once
/// verified, so that a run cut short (power, SIGKILL) leaves no folder that looks whole.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "loa/common/result.hpp"

namespace loa::server {

/// A media file a backup needs, in the pool.
struct BackupMedia {
    std::string name; ///< as in the state's media folder
    std::uint64_t bytes = 0;
    std::string sha256;
};

/// One backup in a backups folder, as its manifest describes it.
struct Backup {
    std::string name;         ///< "loa-20261130T181500Z"
    std::string path;         ///< its folder
    std::int64_t taken_ms{0}; ///< when its database was copied (UTC)
    std::uint64_t database_bytes = 0;
    std::string database_sha256;
    std::vector<BackupMedia> media;
};

/// How many backups are kept: the newest of each of the last `daily` days, `weekly` weeks
/// (Monday to Sunday) and `monthly` months that have a backup, in `time_zone`.
struct Retention {
    int daily = 7;
    int weekly = 4;
    int monthly = 12;
    std::string time_zone = "Asia/Ho_Chi_Minh";
};

/// Takes a backup of `state_dir` (its loa.db and media/) into `dir` at `now`, verifies it and
/// returns it. A stray `.partial-*` of an interrupted run is removed first. Fails, leaving no
/// backup, if the database cannot be copied, the copy does not verify, or the disk is full, or
/// when `cancel` becomes true (checked between media files: a server stopping).
common::Result<Backup> take_backup(const std::string& state_dir, const std::string& dir,
                                   std::chrono::system_clock::time_point now,
                                   const std::atomic<bool>* cancel = nullptr);

/// Checks the backup `path` (a folder in `dir`) as a restore would: its manifest readable, its
/// database of the manifest's size and checksum, whole (PRAGMA integrity_check) and readable
/// (its schema versions), every media file in the pool with its size and checksum.
common::Result<Backup> verify_backup(const std::string& dir, const std::string& path);

/// The backups in `dir`, oldest first (a folder without a readable manifest is left out).
std::vector<Backup> list_backups(const std::string& dir);

/// The names of the backups that `keep` keeps.
std::set<std::string> kept_backups(const std::vector<Backup>& backups, const Retention& keep);

/// Removes the backups `keep` does not keep, then the pool's media no kept backup needs;
/// returns the names of the backups removed.
common::Result<std::vector<std::string>> prune_backups(const std::string& dir,
                                                       const Retention& keep);

} // namespace loa::server
