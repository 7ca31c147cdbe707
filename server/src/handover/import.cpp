// Importing a handover archive: its units placed (import_units.cpp), then its clusters and
// receivers, its programs and their audio, its entries and overrides, and its history, in one
// transaction that a dry run, or any refusal, undoes.
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "../backups/files.hpp"
#include "archive.hpp"
#include "import_units.hpp"

namespace loa::server {
namespace {

namespace fs = std::filesystem;
using common::Errc;
using common::make_error;

common::Result<std::int64_t> count(common::Database& db, const std::string& sql) {
    auto s = db.prepare(sql);
    auto row = s.step();
    if (!row)
        return row.error();
    return s.integer(0);
}

/// Clusters and receivers: a cluster or receiver here already must be the same one (in the
/// same unit; a receiver with the same secret), else it is refused.
common::Result<void> place_clusters(common::Database& db, const HandoverMapping& mapping,
                                    HandoverImport& out) {
    auto clusters = db.prepare(
        "SELECT a.id, m.new, a.name, (SELECT unit FROM main.cluster c WHERE c.id = a.id) FROM "
        "arc.cluster a JOIN map_unit m ON m.old = a.unit ORDER BY a.rowid");
    for (;;) {
        auto row = clusters.step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        auto id = clusters.text(0);
        auto unit = clusters.integer(1);
        out.clusters.push_back(id);
        if (auto here = clusters.optional_integer(3)) {
            if (*here != unit)
                out.refused.push_back("cluster " + id + " is in another unit here");
            continue;
        }
        auto put = db.prepare("INSERT INTO cluster (id, unit, name) VALUES (?, ?, ?)");
        if (auto done = put.bind(1, id).bind(2, unit).bind(3, clusters.text(2)).run(); !done)
            return done.error();
        ++out.added["clusters"];
    }
    auto archived = count(db, "SELECT count(*) FROM arc.receiver");
    if (!archived)
        return archived.error();
    auto here = db.has_table("receiver");
    if (!here)
        return here.error();
    if (*archived == 0)
        return {};
    if (!*here || !mapping.receiver_key) {
        out.refused.push_back("this server keeps no receivers; the archive has " +
                              std::to_string(*archived));
        return {};
    }
    auto receivers = db.prepare(
        "SELECT a.id, m.new, a.name, a.secret_hash, a.volume_permille, a.muted, "
        "a.provisioned_by, a.provisioned_at_ms, r.unit, a.next_secret_hash FROM arc.receiver a "
        "JOIN map_unit m ON m.old = a.unit LEFT JOIN main.receiver r ON r.id = a.id ORDER BY "
        "a.rowid");
    for (;;) {
        auto row = receivers.step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        auto id = receivers.text(0);
        if (!receivers.is_null(8)) {
            // Here already: in its unit (an earlier archive of it), else another receiver.
            if (receivers.integer(8) != receivers.integer(1))
                out.refused.push_back("receiver " + id +
                                      " is provisioned here already, in "
                                      "another unit");
            continue;
        }
        // Its secret as hashed there, and one offered by a rekey it has not answered yet.
        auto put = db.prepare("INSERT INTO receiver (id, unit, name, secret_hash, key, "
                              "volume_permille, muted, provisioned_by, provisioned_at_ms, "
                              "next_secret_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        put.bind(1, id)
            .bind(2, receivers.integer(1))
            .bind(3, receivers.text(2))
            .bind(4, receivers.text(3))
            .bind(5, mapping.receiver_key())
            .bind(6, receivers.integer(4))
            .bind(7, receivers.integer(5))
            .bind(8, receivers.text(6))
            .bind(9, receivers.integer(7))
            .bind(10, receivers.optional_text(9));
        if (auto done = put.run(); !done)
            return done.error();
        ++out.added["receivers"];
    }
    return {};
}

/// Runs `sql` and counts the rows it added as `kind`.
common::Result<void> add_rows(common::Database& db, HandoverImport& out, const std::string& kind,
                              const std::string& sql) {
    if (auto done = db.execute(sql); !done)
        return done.error();
    out.added[kind] += db.changes();
    return {};
}

/// The rows imported from the archive's source before are skipped: `alias` is the archive
/// table's alias in the SQL this goes into, `kind` the rows' kind in handover_row.
std::string not_imported(const std::string& kind, const std::string& alias) {
    return "NOT EXISTS (SELECT 1 FROM handover_row h WHERE h.source = (SELECT id FROM "
           "this_source) AND h.kind = '" +
           kind + "' AND h.old = " + alias + ".id)";
}

/// Notes every row of the archive's `table` as imported from its source (`kind`).
common::Result<void> note_imported(common::Database& db, const std::string& table,
                                   const std::string& kind) {
    return db.execute("INSERT OR IGNORE INTO handover_row (source, kind, old, new) SELECT (SELECT "
                      "id FROM this_source), '" +
                      kind + "', id, 0 FROM arc." + table);
}

/// Copies each row of the archive's `table` with `insert` (its one parameter the row's id
/// there), noting the archive's id and the new one in `map` (fresh = 1) and in handover_row;
/// a row imported from the same source before is not copied again, its id here mapped
/// (fresh = 0). Returns the new ids in order.
common::Result<std::vector<std::int64_t>> with_new_ids(common::Database& db,
                                                       const std::string& table,
                                                       const std::string& map,
                                                       const std::string& insert) {
    auto rows = db.prepare("SELECT x.id, h.new FROM arc." + table +
                           " x LEFT JOIN handover_row h ON h.source = (SELECT id FROM "
                           "this_source) AND h.kind = '" +
                           table + "' AND h.old = x.id ORDER BY x.id");
    using Known = std::pair<std::int64_t, std::optional<std::int64_t>>; // id there, id here
    auto ids = common::collect<Known>(rows, [](const common::Statement& row) {
        return Known{row.integer(0), row.optional_integer(1)};
    });
    if (!ids)
        return ids.error();
    std::vector<std::int64_t> added;
    // Prepared once each (run() resets them): programs and entries may be thousands.
    auto put = db.prepare(insert);
    auto noted = db.prepare("INSERT INTO handover_row (source, kind, old, new) VALUES ((SELECT id "
                            "FROM this_source), ?, ?, ?)");
    auto note = db.prepare("INSERT INTO " + map + " (old, new, fresh) VALUES (?, ?, ?)");
    for (const auto& [id, before] : *ids) {
        std::int64_t here = 0;
        if (before) {
            here = *before;
        } else {
            if (auto done = put.bind(1, id).run(); !done)
                return done.error();
            here = db.last_insert_id();
            added.push_back(here);
            if (auto done = noted.bind(1, table).bind(2, id).bind(3, here).run(); !done)
                return done.error();
        }
        if (auto done = note.bind(1, id).bind(2, here).bind(3, std::int64_t{before ? 0 : 1}).run();
            !done)
            return done.error();
    }
    return added;
}

/// Programs, entries and overrides with new ids (kept in map_program, map_entry and
/// map_override), then the as-run log that names them. `home` is the unit here of the
/// archive's first unit asked for: the programs of units outside the archive (those its
/// history played) become its programs.
common::Result<void> add_schedule(common::Database& db, std::int64_t home, HandoverImport& out) {
    auto made = db.execute(
        "CREATE TEMP TABLE map_program (old INTEGER PRIMARY KEY, new INTEGER NOT NULL, fresh "
        "INTEGER NOT NULL);"
        "CREATE TEMP TABLE map_entry (old INTEGER PRIMARY KEY, new INTEGER NOT NULL, fresh "
        "INTEGER NOT NULL);"
        "CREATE TEMP TABLE map_override (old INTEGER PRIMARY KEY, new INTEGER NOT NULL, fresh "
        "INTEGER NOT NULL);");
    if (!made)
        return made.error();
    auto programs = with_new_ids(
        db, "program", "map_program",
        "INSERT INTO program (unit, kind, title, source, media, duration_ms, voice, rate_wpm, "
        "approval, decided_by, decided_at, emergency_record) SELECT coalesce((SELECT new FROM "
        "map_unit WHERE old = x.unit), " +
            std::to_string(home) +
            "), kind, title, source, media, duration_ms, voice, rate_wpm, approval, decided_by, "
            "decided_at, emergency_record FROM arc.program x WHERE x.id = ?");
    if (!programs)
        return programs.error();
    out.added["programs"] = static_cast<std::int64_t>(programs->size());
    auto entries = with_new_ids(
        db, "schedule_entry", "map_entry",
        "INSERT INTO schedule_entry (program, priority, start_local, time_zone, rule, exceptions, "
        "duration_s) SELECT m.new, priority, start_local, time_zone, rule, exceptions, "
        "duration_s FROM arc.schedule_entry x JOIN map_program m ON m.old = x.program WHERE "
        "x.id = ?");
    if (!entries)
        return entries.error();
    out.entries = *entries;
    out.added["entries"] = static_cast<std::int64_t>(entries->size());
    // Several units of the archive may be one here: a target once.
    for (const auto* sql :
         {"INSERT OR IGNORE INTO entry_target (entry, unit) SELECT e.new, u.new FROM "
          "arc.entry_target t JOIN map_entry e ON e.old = t.entry JOIN map_unit u ON u.old = "
          "t.unit WHERE e.fresh = 1",
          "INSERT OR IGNORE INTO entry_cluster (entry, cluster) SELECT e.new, c.cluster FROM "
          "arc.entry_cluster c JOIN map_entry e ON e.old = c.entry WHERE e.fresh = 1"})
        if (auto done = db.execute(sql); !done)
            return done.error();
    auto overrides = with_new_ids(
        db, "override", "map_override",
        "INSERT INTO override (kind, program, started_at_ms, started_by, ended_at_ms, ended_by) "
        "SELECT kind, (SELECT new FROM map_program WHERE old = x.program), started_at_ms, "
        "started_by, ended_at_ms, ended_by FROM arc.override x WHERE x.id = ?");
    if (!overrides)
        return overrides.error();
    out.added["overrides"] = static_cast<std::int64_t>(overrides->size());
    if (auto done = db.execute(
            "INSERT INTO override_target (override, unit, cluster) SELECT DISTINCT o.new, (SELECT "
            "new FROM map_unit WHERE old = t.unit), t.cluster FROM arc.override_target t JOIN "
            "map_override o ON o.old = t.override WHERE o.fresh = 1");
        !done)
        return done.error();
    // The history keeps the channels (codes) as they were when it was written.
    if (auto done = add_rows(
            db, out, "as_run",
            "INSERT INTO as_run (program, entry, override, priority, channel, scheduled_at, "
            "started_at_ms, ended_at_ms, receivers, outcome, played) SELECT p.new, (SELECT new "
            "FROM map_entry WHERE old = a.entry), (SELECT new FROM map_override WHERE old = "
            "a.override), priority, channel, scheduled_at, started_at_ms, coalesce(ended_at_ms, "
            "started_at_ms), receivers, coalesce(outcome, 'interrupted'), played FROM arc.as_run a "
            "JOIN map_program p ON p.old = a.program WHERE " +
                not_imported("as_run", "a") + " ORDER BY a.id");
        !done)
        return done.error();
    return note_imported(db, "as_run", "as_run");
}

/// Alarms (those still active are cleared at the import: the new server raises its own),
/// the audit and the clusters' online figures, into the tables this server has; rows imported
/// from the same source before are not added again.
common::Result<void> add_history(common::Database& db, const HandoverMapping& mapping,
                                 HandoverImport& out) {
    const std::vector<std::tuple<std::string, std::string, std::string>> rows = {
        {"alarm", "alarms",
         "INSERT INTO alarm (kind, severity, subject, unit, raised_ms, cleared_ms, "
         "acknowledged_by, acknowledged_ms, text_vi, text_en, figures) SELECT kind, severity, "
         "subject, (SELECT new FROM map_unit WHERE old = a.unit), raised_ms, coalesce(cleared_ms, "
         "max(raised_ms, " +
             std::to_string(mapping.now_ms) +
             ")), acknowledged_by, acknowledged_ms, text_vi, text_en, figures FROM arc.alarm a "
             "WHERE " +
             not_imported("alarm", "a") + " ORDER BY a.id"},
        {"audit", "audit",
         "INSERT INTO audit (at_ms, who, from_address, what, summary) SELECT at_ms, who, "
         "from_address, what, summary FROM arc.audit a WHERE " +
             not_imported("audit", "a") + " ORDER BY a.id"},
        {"online_sample", "online_samples",
         "INSERT OR IGNORE INTO online_sample (at_ms, unit, online, clusters) SELECT at_ms, "
         "unit, online, clusters FROM arc.online_sample ORDER BY rowid"},
    };
    for (const auto& [table, kind, sql] : rows) {
        auto archived = count(db, "SELECT count(*) FROM arc." + table);
        if (!archived)
            return archived.error();
        if (*archived == 0)
            continue;
        auto here = db.has_table(table);
        if (!here)
            return here.error();
        if (!*here) {
            out.refused.push_back("this server keeps no " + kind + "; the archive has " +
                                  std::to_string(*archived));
            continue;
        }
        if (auto done = add_rows(db, out, kind, sql); !done)
            return done.error();
        if (table != "online_sample")
            if (auto done = note_imported(db, table, table); !done)
                return done.error();
    }
    return {};
}

/// Writes the archive's media files that the media folder lacks (each synced, then named;
/// a file left half-written is removed). Named by their content, they may be written before
/// the import is known to succeed: one it refuses leaves files no program names.
common::Result<void> write_media(const std::string& archive, const std::string& media_dir,
                                 HandoverImport& out) {
    common::Database db(archive, common::Database::Access::read_only);
    auto media = db.prepare("SELECT name, content FROM media ORDER BY rowid");
    for (;;) {
        auto row = media.step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        auto name = fs::path(media.text(0)).filename();
        auto path = fs::path(media_dir) / name;
        std::error_code error;
        if (name.empty() || name.string().front() == '.' || fs::exists(path, error))
            continue;
        auto partial = fs::path(media_dir) / (".handover-" + name.string());
        auto written = [&]() -> bool {
            std::ofstream file(partial, std::ios::binary | std::ios::trunc);
            auto content = media.text(1);
            file.write(content.data(), static_cast<std::streamsize>(content.size()));
            return static_cast<bool>(file.flush());
        }();
        if (!written || !backup_files::sync(partial)) {
            fs::remove(partial, error);
            return make_error(Errc::io_error, "cannot write " + partial.string());
        }
        fs::rename(partial, path, error);
        if (error) {
            fs::remove(partial, error);
            return make_error(Errc::io_error, "cannot name " + path.string());
        }
        ++out.added["media"];
    }
    return {};
}

/// The import inside its transaction; `out.refused` lists why it must be undone.
common::Result<void> import_into(common::Database& db, const HandoverMapping& mapping,
                                 HandoverImport& out) {
    auto before = db.prepare("SELECT archive FROM handover_import WHERE digest = ?");
    before.bind(1, out.archive.digest);
    auto seen = before.step();
    if (!seen)
        return seen.error();
    if (*seen) {
        out.refused.push_back("this archive was imported here already (as " + before.text(0) + ")");
        return {};
    }
    // Rows are known by their source: a later archive of the same units adds what is new.
    auto source = handover_archive::manifest_value(db, "source", "arc");
    if (!source)
        return source.error();
    auto made = db.execute("CREATE TEMP TABLE this_source (id TEXT NOT NULL)");
    if (!made)
        return made;
    auto noted = db.prepare("INSERT INTO this_source (id) VALUES (?)");
    if (auto done = noted.bind(1, source->empty() ? out.archive.digest : *source).run(); !done)
        return done;
    std::int64_t home = 0;
    auto units = handover_import::place_units(db, mapping, out, home);
    if (!units)
        return units.error();
    out.added["units"] = static_cast<std::int64_t>(out.added_units.size());
    // Clusters and receivers are checked even after a unit is refused: a dry run lists all.
    if (auto done = place_clusters(db, mapping, out); !done || !out.refused.empty())
        return done;
    if (auto done = add_schedule(db, home, out); !done)
        return done;
    if (auto done = add_history(db, mapping, out); !done || !out.refused.empty())
        return done;
    auto note = db.prepare("INSERT INTO handover_import (digest, archive, at_ms) VALUES (?, ?, ?)");
    note.bind(1, out.archive.digest).bind(2, out.archive.name).bind(3, mapping.now_ms);
    return note.run();
}

} // namespace

common::Result<HandoverImport> import_handover(const HandoverPlaces& places,
                                               const std::string& name,
                                               const HandoverMapping& mapping) {
    auto named = open_handover(places.folder, name);
    if (!named)
        return named.error();
    // The import reads a private copy, verified again: the file in the folder may change
    // meanwhile (a copy still arriving), the copy does not.
    auto copy = fs::path(places.folder) / (".importing-" + name);
    std::error_code error;
    fs::copy_file(fs::path(places.folder) / name, copy, fs::copy_options::overwrite_existing,
                  error);
    if (error)
        return make_error(Errc::io_error, "cannot copy " + name + ": " + error.message());
    struct Remove {
        fs::path path;
        ~Remove() {
            std::error_code ignored;
            fs::remove(path, ignored);
        }
    } remove_copy{copy};
    auto archive = handover_archive::verify(copy.string(), name);
    if (!archive)
        return archive.error();
    HandoverImport out;
    out.archive = *archive;
    out.dry_run = mapping.dry_run;
    try {
        if (!mapping.dry_run)
            if (auto written = write_media(copy.string(), places.media_dir, out); !written)
                return written.error();
        common::Database db(places.database);
        db.migrate("handover", handover_archive::migrations());
        auto attach = db.prepare("ATTACH DATABASE ? AS arc");
        if (auto done = attach.bind(1, copy.string()).run(); !done)
            return done.error();
        common::Result<void> done;
        {
            common::Transaction transaction(db);
            done = import_into(db, mapping, out);
            if (done && out.refused.empty() && !mapping.dry_run)
                if (auto committed = transaction.commit(); !committed)
                    done = committed.error();
        }
        // The transaction is over: its temporary tables go, and with them the archive.
        (void)db.execute("DROP TABLE IF EXISTS temp.map_unit; DROP TABLE IF EXISTS "
                         "temp.map_program; DROP TABLE IF EXISTS temp.map_entry; DROP TABLE IF "
                         "EXISTS temp.map_override; DROP TABLE IF EXISTS temp.this_source");
        (void)db.execute("DETACH DATABASE arc");
        if (!done)
            return done.error();
    } catch (const std::exception& e) {
        return make_error(Errc::io_error, std::string("the import failed: ") + e.what());
    }
    if (!out.dry_run && out.refused.empty())
        handover_archive::log()->info("imported {}: {} units added, {} as-run rows", name,
                                      out.added["units"], out.added["as_run"]);
    return out;
}

} // namespace loa::server
