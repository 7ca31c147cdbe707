#pragma once
/// @file
/// Handover between servers: one unit (with the units within it and those merged into it) or
/// the whole province exported as one archive, and imported into another server with its codes
/// mapped, all or nothing. The 2025 case: one province's server takes over another's communes
/// with their history.
///
/// An archive is one SQLite file (`loa-handover-CODE-YYYYMMDDTHHMMSSZ.sqlite`) holding the
/// units and their former names, clusters, receivers (their secrets only hashed, their media
/// keys left behind: the importing server makes new ones), programs with their approvals and
/// their audio, schedule entries, ended emergencies and stop-alls, the as-run log, clusters'
/// online figures, alarms and the audit of the units' own users, and a digest over all of it:
/// a damaged or altered archive is refused. docs/operations.md "Handover".

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "loa/common/result.hpp"

namespace loa::server {

/// Where a server keeps its handover archives: state_dir/handover.
std::string handover_folder(const std::string& state_dir);

/// An archive, as its manifest describes it.
struct HandoverArchive {
    std::string name;               ///< the file's name in the handover folder
    std::uint64_t bytes = 0;        ///< the file's size
    std::int64_t created_ms = 0;    ///< when it was exported (UTC)
    std::string server;             ///< the exporting server's province, as it named itself
    std::vector<std::string> units; ///< the codes it was asked for ("" = the whole province)
    std::string digest;             ///< SHA-256 over its content
    std::map<std::string, std::int64_t> counts; ///< rows per kind: "units", "as_run", "media"...
};

/// Where an export reads from and writes to.
struct HandoverPlaces {
    std::string database;  ///< the server's loa.db
    std::string media_dir; ///< its media folder
    std::string folder;    ///< its handover folder (made if missing)
};

/// Exports the units `codes` (current codes; empty = every unit) with everything that is
/// theirs into a new archive in `places.folder`, named by the first code and `now`. Reads one
/// snapshot of the database (the server goes on writing). Fails, leaving no archive, on an
/// unknown code, a media file missing or a full disk.
common::Result<HandoverArchive> export_handover(const HandoverPlaces& places,
                                                const std::vector<std::string>& codes,
                                                const std::string& server,
                                                std::chrono::system_clock::time_point now);

/// The archive `name` in `folder`, verified: a SQLite file whole (integrity check), of this
/// format and a version this server reads, whose content matches its digest. `name` must be a
/// plain file name of the folder (no path), as handover.list shows it.
common::Result<HandoverArchive> open_handover(const std::string& folder, const std::string& name);

/// The archives in `folder` that verify, newest first; those that do not are left out
/// (and logged).
std::vector<HandoverArchive> list_handovers(const std::string& folder);

/// What an import does to one unit of the archive.
struct HandoverUnitStep {
    std::string code;   ///< in the archive
    std::string name;   ///< in the archive
    std::string as;     ///< the code it has here
    std::string action; ///< "added", "merged" (into the unit here bearing `as`) or "refused"
    std::string reason; ///< why it is refused
};

/// What an import did, or would do (a dry run).
struct HandoverImport {
    HandoverArchive archive;
    std::vector<HandoverUnitStep> units;
    std::vector<std::string> refused; ///< every reason it cannot be imported; empty if it can
    std::map<std::string, std::int64_t> added; ///< rows added per kind
    std::vector<std::string> added_units;      ///< codes of the units added (need a channel)
    std::vector<std::string> clusters;         ///< every cluster of the archive (now here)
    std::vector<std::int64_t> entries;         ///< the schedule entries added (their ids)
    bool dry_run = false;
};

/// How an import maps and dates what it takes.
struct HandoverMapping {
    std::map<std::string, std::string> codes; ///< archive code to code here (others unchanged)
    std::string date;                         ///< YYYY-MM-DD the codes and names of the archive end
    std::int64_t now_ms = 0; ///< the time alarms still active in the archive are cleared at
    bool dry_run = false;    ///< do everything, then undo it (no media file written)
    /// A new receiver media key, as the receiver registry stores it (sealed).
    std::function<std::string()> receiver_key;
};

/// Imports the archive `name` of `places.folder` into the server's database and media folder
/// in one transaction: everything or, if any unit, cluster or receiver is refused or the
/// archive was imported here before, nothing (the reasons listed in `refused`). A unit whose
/// code (mapped) is a current unit's here is merged into it, its code and name kept as that
/// unit's former ones; any other is added under its mapped code, the archive's code kept as its
/// former one. Programs, entries, the as-run log, overrides, alarms and the audit are added with
/// new ids; the history keeps the codes as they were. Errors are the archive's (damaged,
/// unreadable) or the database's.
common::Result<HandoverImport> import_handover(const HandoverPlaces& places,
                                               const std::string& name,
                                               const HandoverMapping& mapping);

} // namespace loa::server
