#pragma once
/// @file
/// Restoring a backup (backup.hpp) into a server's state folder, with the server stopped:
/// `loa-server --restore BACKUP`. Nothing is lost on the way: the state found there is moved
/// aside whole, never deleted, and the backup is verified, and its receivers' keys opened with
/// the sealing key, before anything is moved.

#include <chrono>
#include <optional>
#include <string>

#include "loa/common/result.hpp"
#include "loa/server/backups/backup.hpp"

namespace loa::server {

/// What a restore did.
struct Restored {
    Backup backup;
    std::size_t media_files = 0;
    std::string moved_aside; ///< where the state found in the folder went; "" if there was none
};

/// Restores the backup folder `backup` (in a backups folder, whose media pool it reads) into
/// `state_dir`, whose seal key (`seal_key_file`, or LOA_SEAL_KEY) must open the receivers' keys
/// the backup holds. Refuses while a server answers on the folder's control socket. The backup
/// is first copied into `state_dir/.restoring-STAMP/` (a full disk fails there, nothing
/// changed); then the state found (loa.db and its journal files, media/) is moved into
/// `state_dir/before-restore-STAMP/` (`-2`... if taken) and the copy moved in, by renames that
/// are undone if one fails. The seal key, the media epoch and the rest stay.
common::Result<Restored> restore_backup(const std::string& backup, const std::string& state_dir,
                                        const std::string& seal_key_file,
                                        std::chrono::system_clock::time_point now);

} // namespace loa::server
