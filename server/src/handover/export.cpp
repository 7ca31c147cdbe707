// Exporting units into a handover archive: the units asked for, the units within them and
// those merged into them, with everything that is theirs, from one snapshot of the database.
#include <boost/json.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "../backups/files.hpp"
#include "archive.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/secret.hpp"

namespace loa::server {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using common::Errc;
using common::make_error;
using handover_archive::column_list;
using handover_archive::Table;

/// A unit as the selection needs it.
struct UnitRow {
    std::int64_t id = 0;
    std::string code;
    std::optional<std::int64_t> parent;
    std::optional<std::int64_t> merged_into;
};

/// The rows of each table an export takes: a WHERE clause over the source table `x`, reading
/// the temporary tables pick_unit (ids), pick_channel (codes and "@" + cluster ids the units
/// bore), pick_entry, pick_override and pick_program.
const std::map<std::string_view, const char*> kWhere = {
    {"unit", "x.id IN (SELECT id FROM pick_unit)"},
    {"unit_former_name", "x.unit IN (SELECT id FROM pick_unit)"},
    {"unit_split", "x.unit IN (SELECT id FROM pick_unit) AND x.part IN (SELECT id FROM pick_unit)"},
    {"cluster", "x.unit IN (SELECT id FROM pick_unit)"},
    {"receiver", "x.unit IN (SELECT id FROM pick_unit)"},
    {"program", "x.id IN (SELECT id FROM pick_program)"},
    {"schedule_entry", "x.id IN (SELECT id FROM pick_entry)"},
    {"entry_target", "x.entry IN (SELECT id FROM pick_entry)"},
    {"entry_cluster", "x.entry IN (SELECT id FROM pick_entry)"},
    {"override", "x.id IN (SELECT id FROM pick_override)"},
    {"override_target", "x.override IN (SELECT id FROM pick_override)"},
    {"as_run", "x.channel IN (SELECT code FROM pick_channel) OR x.entry IN (SELECT id FROM "
               "pick_entry) OR x.override IN (SELECT id FROM pick_override)"},
    {"alarm", "x.unit IN (SELECT id FROM pick_unit)"},
    // The audit of the units' own users: those whose every unit is among them.
    {"audit", "x.who IN (SELECT u.name FROM src.user u WHERE EXISTS (SELECT 1 FROM "
              "src.user_unit s WHERE s.user = u.id) AND NOT EXISTS (SELECT 1 FROM src.user_unit "
              "s WHERE s.user = u.id AND s.unit NOT IN (SELECT id FROM pick_unit)))"},
    {"online_sample", "x.unit IN (SELECT code FROM pick_channel)"},
};

/// Statements that fill the selection's temporary tables once pick_unit holds the units.
constexpr const char* kPicks[] = {
    "INSERT OR IGNORE INTO pick_channel SELECT code FROM src.unit WHERE id IN (SELECT id FROM "
    "pick_unit)",
    "INSERT OR IGNORE INTO pick_channel SELECT code FROM src.unit_former_name WHERE unit IN "
    "(SELECT id FROM pick_unit)",
    "INSERT OR IGNORE INTO pick_channel SELECT '@' || id FROM src.cluster WHERE unit IN (SELECT "
    "id FROM pick_unit)",
    // Entries whose every target is theirs (one that also targets other units stays behind).
    "INSERT INTO pick_entry SELECT e.id FROM src.schedule_entry e WHERE (EXISTS (SELECT 1 FROM "
    "src.entry_target t WHERE t.entry = e.id) OR EXISTS (SELECT 1 FROM src.entry_cluster c "
    "WHERE c.entry = e.id)) AND NOT EXISTS (SELECT 1 FROM src.entry_target t WHERE t.entry = "
    "e.id AND t.unit NOT IN (SELECT id FROM pick_unit)) AND NOT EXISTS (SELECT 1 FROM "
    "src.entry_cluster c JOIN src.cluster k ON k.id = c.cluster WHERE c.entry = e.id AND "
    "k.unit NOT IN (SELECT id FROM pick_unit))",
    // Ended overrides whose every target is theirs (one in force stays with its server).
    "INSERT INTO pick_override SELECT o.id FROM src.override o WHERE o.ended_at_ms IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM src.override_target t LEFT JOIN src.cluster k ON k.id = "
    "t.cluster WHERE t.override = o.id AND coalesce(t.unit, k.unit) NOT IN (SELECT id FROM "
    "pick_unit))",
    // Their programs, and those their history played.
    "INSERT OR IGNORE INTO pick_program SELECT id FROM src.program WHERE unit IN (SELECT id FROM "
    "pick_unit)",
    "INSERT OR IGNORE INTO pick_program SELECT program FROM src.schedule_entry WHERE id IN "
    "(SELECT id FROM pick_entry)",
    "INSERT OR IGNORE INTO pick_program SELECT program FROM src.override WHERE id IN (SELECT id "
    "FROM pick_override) AND program IS NOT NULL",
    "INSERT OR IGNORE INTO pick_program SELECT program FROM src.as_run WHERE channel IN (SELECT "
    "code FROM pick_channel) OR entry IN (SELECT id FROM pick_entry) OR override IN (SELECT id "
    "FROM pick_override)",
};

common::Result<std::vector<UnitRow>> read_units(common::Database& db) {
    auto s = db.prepare("SELECT id, code, parent, merged_into FROM src.unit ORDER BY id");
    return common::collect<UnitRow>(s, [](const common::Statement& row) {
        return UnitRow{row.integer(0), row.text(1), row.optional_integer(2),
                       row.optional_integer(3)};
    });
}

/// The units split, each with a part: (unit, part).
common::Result<std::vector<std::pair<std::int64_t, std::int64_t>>>
read_splits(common::Database& db) {
    auto present = db.has_table("unit_split", "src");
    if (!present)
        return present.error();
    if (!*present)
        return std::vector<std::pair<std::int64_t, std::int64_t>>{};
    auto s = db.prepare("SELECT unit, part FROM src.unit_split ORDER BY rowid");
    return common::collect<std::pair<std::int64_t, std::int64_t>>(
        s, [](const common::Statement& row) {
            return std::pair{row.integer(0), row.integer(1)};
        });
}

/// The units `codes` name, the units within them, the units merged into them and the units
/// split with one of them as a part (their predecessors), at any depth; every unit if `codes`
/// is empty. An unknown code is an error.
common::Result<std::set<std::int64_t>>
pick_units(const std::vector<UnitRow>& units,
           const std::vector<std::pair<std::int64_t, std::int64_t>>& splits,
           const std::vector<std::string>& codes) {
    std::set<std::int64_t> picked;
    for (const auto& code : codes) {
        auto it = std::find_if(units.begin(), units.end(),
                               [&](const UnitRow& u) { return u.code == code; });
        if (it == units.end())
            return make_error(Errc::not_found, "no unit with code \"" + code + "\"");
        picked.insert(it->id);
    }
    if (codes.empty())
        for (const auto& u : units)
            picked.insert(u.id);
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& u : units) {
            bool below = u.parent && picked.count(*u.parent) != 0;
            bool merged = u.merged_into && picked.count(*u.merged_into) != 0;
            if ((below || merged) && picked.insert(u.id).second)
                grew = true;
        }
        for (const auto& [whole, part] : splits)
            if (picked.count(part) != 0 && picked.insert(whole).second)
                grew = true;
    }
    return picked;
}

common::Result<void> put_manifest(common::Database& archive, const std::string& key,
                                  const std::string& value) {
    auto s = archive.prepare("INSERT OR REPLACE INTO manifest (key, value) VALUES (?, ?)");
    s.bind(1, key).bind(2, value);
    return s.run();
}

/// Copies each media file the archive's programs play into its media table.
common::Result<void> copy_media(common::Database& archive, const std::string& media_dir) {
    auto names = archive.prepare("SELECT DISTINCT media FROM program WHERE media != ''");
    auto stored = common::collect<std::string>(
        names, [](const common::Statement& row) { return row.text(0); });
    if (!stored)
        return stored.error();
    for (const auto& media : *stored) {
        auto name = fs::path(media).filename().string();
        std::ifstream in(fs::path(media_dir) / name, std::ios::binary);
        if (!in) {
            std::string missing = "the media file " + name;
            missing += " is missing from " + media_dir + "; nothing was exported";
            return make_error(Errc::not_found, missing);
        }
        std::stringstream bytes;
        bytes << in.rdbuf();
        auto content = bytes.str();
        auto put =
            archive.prepare("INSERT INTO media (name, sha256, bytes, content) VALUES (?, ?, ?, ?)");
        put.bind(1, name)
            .bind(2, common::sha256_hex(content))
            .bind(3, static_cast<std::int64_t>(content.size()))
            .bind_blob(4, content);
        if (auto done = put.run(); !done)
            return done.error();
    }
    return {};
}

/// Fills the archive at `archive` (open, tables made, the database attached as src).
common::Result<void> fill(common::Database& archive, const HandoverPlaces& places,
                          const std::vector<std::string>& codes, const std::string& server,
                          const std::string& source, std::int64_t created_ms) {
    auto units = read_units(archive);
    if (!units)
        return units.error();
    auto splits = read_splits(archive);
    if (!splits)
        return splits.error();
    auto picked = pick_units(*units, *splits, codes);
    if (!picked)
        return picked.error();
    if (auto made = archive.execute("CREATE TEMP TABLE pick_unit (id INTEGER PRIMARY KEY);"
                                    "CREATE TEMP TABLE pick_channel (code TEXT PRIMARY KEY);"
                                    "CREATE TEMP TABLE pick_entry (id INTEGER PRIMARY KEY);"
                                    "CREATE TEMP TABLE pick_override (id INTEGER PRIMARY KEY);"
                                    "CREATE TEMP TABLE pick_program (id INTEGER PRIMARY KEY);");
        !made)
        return made.error();
    for (auto id : *picked) {
        auto put = archive.prepare("INSERT INTO pick_unit (id) VALUES (?)");
        if (auto done = put.bind(1, id).run(); !done)
            return done.error();
    }
    for (const auto* sql : kPicks)
        if (auto done = archive.execute(sql); !done)
            return done.error();
    for (const auto& table : handover_archive::tables()) {
        auto where = kWhere.find(table.name);
        if (where == kWhere.end())
            continue; // media, filled below
        auto present = archive.has_table(table.name, "src");
        if (!present)
            return present.error();
        bool audit = std::string_view(table.name) == "audit";
        bool whole_audit = codes.empty() && audit;
        auto scopes = archive.has_table("user_unit", "src");
        if (!scopes)
            return scopes.error();
        if (!*present || (audit && !whole_audit && !*scopes))
            continue; // a component this database does not have
        std::string sql = std::string("INSERT INTO ") + table.name + " (" + column_list(table) +
                          ") SELECT " + column_list(table, "x.") + " FROM src." + table.name +
                          " x" + (whole_audit ? "" : std::string(" WHERE ") + where->second) +
                          " ORDER BY x.rowid";
        if (auto done = archive.execute(sql); !done)
            return done.error();
    }
    if (auto done = copy_media(archive, places.media_dir); !done)
        return done.error();
    // The units outside the archive that its top units belong to: an import maps them.
    json::object outside;
    json::array asked;
    for (const auto& u : *units) {
        if (picked->count(u.id) == 0 || !u.parent || picked->count(*u.parent) != 0)
            continue;
        for (const auto& parent : *units)
            if (parent.id == *u.parent)
                outside[u.code] = parent.code;
    }
    for (const auto& code : codes)
        asked.emplace_back(code);
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"format", handover_archive::kFormat},
             {"version", std::to_string(handover_archive::kVersion)},
             {"created_ms", std::to_string(created_ms)},
             {"server", server},
             {"source", source},
             {"units", json::serialize(asked)},
             {"outside_parents", json::serialize(outside)}})
        if (auto done = put_manifest(archive, key, value); !done)
            return done.error();
    auto digest = handover_archive::content_digest(archive);
    if (!digest)
        return digest.error();
    return put_manifest(archive, "digest", *digest);
}

/// A name in `folder` not taken: loa-handover-WHAT-STAMP.sqlite, then -2, -3...
std::string free_name(const fs::path& folder, const std::string& what,
                      std::chrono::system_clock::time_point now) {
    std::string stem = "loa-handover-" + what + "-" + common::basic_utc(now);
    std::error_code error;
    for (int n = 1;; ++n) {
        auto name = stem + (n == 1 ? "" : "-" + std::to_string(n)) + ".sqlite";
        if (!fs::exists(folder / name, error))
            return name;
    }
}

} // namespace

common::Result<HandoverArchive> export_handover(const HandoverPlaces& places,
                                                const std::vector<std::string>& codes,
                                                const std::string& server,
                                                std::chrono::system_clock::time_point now) {
    fs::path folder(places.folder);
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
        return make_error(Errc::io_error, "cannot make the handover folder " + places.folder +
                                              ": " + error.message());
    // Named by the first code as far as it is letters and digits: a file name, whatever it is.
    std::string what;
    for (char c : codes.empty() ? std::string("all") : codes.front())
        if (std::isalnum(static_cast<unsigned char>(c)) != 0 && what.size() < 20)
            what += c;
    // One export at a time: two in the same second would share a name.
    static std::mutex exporting;
    std::lock_guard one_at_a_time(exporting);
    std::string source;
    try {
        common::Database live(places.database);
        live.migrate("handover", handover_archive::migrations());
        auto id = handover_archive::source_id(live);
        if (!id)
            return id.error();
        source = *id;
    } catch (const std::exception& e) {
        return make_error(Errc::io_error, e.what());
    }
    auto name = free_name(folder, what.empty() ? "units" : what, now);
    auto partial = folder / (".partial-" + name);
    fs::remove(partial, error);
    auto created_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    auto filled = [&]() -> common::Result<void> {
        common::Database archive(partial.string());
        if (auto done = handover_archive::create_tables(archive); !done)
            return done.error();
        auto attach = archive.prepare("ATTACH DATABASE ? AS src");
        if (auto done = attach.bind(1, places.database).run(); !done)
            return done.error();
        // A deferred transaction: the first read takes the snapshot, and the server's own
        // writes go on meanwhile (an immediate one would hold them off for the whole export).
        if (auto done = archive.execute("BEGIN"); !done)
            return done.error();
        auto done = fill(archive, places, codes, server, source, created_ms);
        if (auto ended = archive.execute(done ? "COMMIT" : "ROLLBACK"); done && !ended)
            return ended.error();
        if (!done)
            return done.error();
        if (auto detached = archive.execute("DETACH DATABASE src"); !detached)
            return detached.error();
        // One file, without a write-ahead log beside it.
        return archive.execute("PRAGMA journal_mode=DELETE");
    };
    common::Result<void> made = make_error(Errc::io_error, "");
    try {
        made = filled();
    } catch (const std::exception& e) {
        made = make_error(Errc::io_error, e.what());
    }
    if (made && !backup_files::sync(partial))
        made = make_error(Errc::io_error, "cannot write " + partial.string() + " to the disk");
    if (made)
        fs::rename(partial, folder / name, error);
    if (!made || error) {
        fs::remove(partial, error);
        return made ? make_error(Errc::io_error, "cannot name the archive " + name) : made.error();
    }
    backup_files::sync(folder);
    auto archive = open_handover(places.folder, name);
    if (archive)
        handover_archive::log()->info("exported {} ({} bytes, {} units, {} as-run rows)", name,
                                      archive->bytes, archive->counts["units"],
                                      archive->counts["as_run"]);
    return archive;
}

} // namespace loa::server
