#pragma once
// What exporting (export.cpp) and importing (import.cpp) a handover archive share: its
// tables, its manifest and its digest.

#include <memory>
#include <spdlog/logger.h>
#include <string>
#include <vector>

#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/server/handover/handover.hpp"

namespace loa::server::handover_archive {

/// The archive's format, in its manifest; an archive of another format or a later version
/// is refused.
inline constexpr const char* kFormat = "loa-handover";
inline constexpr int kVersion = 1;

/// A table an archive holds: its name and columns (the same names as in the server's
/// database, which an export selects from and an import reads).
struct Table {
    const char* name;
    std::vector<const char*> columns;
    const char* kind; ///< what HandoverArchive::counts calls its rows
};

/// The archive's tables in the order an import reads them (and the digest covers them).
const std::vector<Table>& tables();

/// "a, b, c" of a table's columns, each prefixed with `prefix` ("" or "x.").
std::string column_list(const Table& table, const std::string& prefix = "");

/// The component's logger, "handover".
std::shared_ptr<spdlog::logger> log();

/// What a server keeps of handovers in its own database: the archives it imported (by
/// digest), its identity as a source of archives, and the rows it imported from each source
/// (so that a later archive of the same units adds only what is new).
const std::vector<common::Migration>& migrations();

/// This server's identity as the source of archives (made at its first export).
common::Result<std::string> source_id(common::Database& db);

/// Creates the manifest and the tables in a new archive.
common::Result<void> create_tables(common::Database& archive);

/// The SHA-256 over the archive's content: its manifest (but the digest), every table's rows
/// in order, and each media file's content checked against its own checksum on the way (a
/// mismatch is an error). It finds damage; it is no signature (whoever can write the archive
/// can write a digest that matches).
common::Result<std::string> content_digest(common::Database& archive);

/// A manifest value; "" if missing. `schema` is "main", or the name the archive is attached as.
common::Result<std::string> manifest_value(common::Database& archive, const std::string& key,
                                           const std::string& schema = "main");

/// The archive's description read from its manifest and row counts.
common::Result<HandoverArchive> describe(common::Database& archive, const std::string& name);

/// The archive at `path` (called `name` in errors) verified as open_handover does it.
common::Result<HandoverArchive> verify(const std::string& path, const std::string& name);

/// Whether `name` can be an archive's file name: letters, digits, '-', '_' and '.', not
/// starting with '.', ending in ".sqlite".
bool valid_archive_name(const std::string& name);

} // namespace loa::server::handover_archive
