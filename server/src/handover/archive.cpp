// The handover archive's format: its tables, manifest and digest; opening and listing archives.
#include "archive.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <filesystem>

#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using common::Errc;
using common::make_error;

} // namespace

std::string handover_folder(const std::string& state_dir) {
    return state_dir + "/handover";
}

namespace handover_archive {

std::shared_ptr<spdlog::logger> log() {
    static auto logger = common::logger("handover");
    return logger;
}

const std::vector<common::Migration>& migrations() {
    static const std::vector<common::Migration> all = {
        {1, "CREATE TABLE handover_import (digest TEXT PRIMARY KEY, archive TEXT NOT NULL, "
            "at_ms INTEGER NOT NULL);"},
        {2, "CREATE TABLE handover_source (id TEXT NOT NULL);"
            "CREATE TABLE handover_row (source TEXT NOT NULL, kind TEXT NOT NULL, old INTEGER "
            "NOT NULL, new INTEGER NOT NULL, PRIMARY KEY (source, kind, old));"},
    };
    return all;
}

common::Result<std::string> source_id(common::Database& db) {
    auto read = db.prepare("SELECT id FROM handover_source");
    auto row = read.step();
    if (!row)
        return row.error();
    if (*row)
        return read.text(0);
    auto id = common::random_token(16);
    auto made = db.prepare("INSERT INTO handover_source (id) VALUES (?)");
    if (auto done = made.bind(1, id).run(); !done)
        return done.error();
    return id;
}

const std::vector<Table>& tables() {
    static const std::vector<Table> all = {
        {"unit",
         {"id", "code", "name", "parent", "valid_from", "valid_to", "merged_into",
          "approval_required", "quiet_start", "quiet_end", "named_from"},
         "units"},
        {"unit_former_name", {"unit", "code", "name", "valid_from", "valid_to"}, "former_names"},
        {"unit_split", {"unit", "part", "date"}, "splits"},
        {"cluster", {"id", "unit", "name"}, "clusters"},
        {"receiver",
         {"id", "unit", "name", "secret_hash", "next_secret_hash", "volume_permille", "muted",
          "provisioned_by", "provisioned_at_ms"},
         "receivers"},
        {"program",
         {"id", "unit", "kind", "title", "source", "media", "duration_ms", "voice", "rate_wpm",
          "approval", "decided_by", "decided_at", "emergency_record"},
         "programs"},
        {"schedule_entry",
         {"id", "program", "priority", "start_local", "time_zone", "rule", "exceptions",
          "duration_s"},
         "entries"},
        {"entry_target", {"entry", "unit"}, "entry_targets"},
        {"entry_cluster", {"entry", "cluster"}, "entry_clusters"},
        {"override",
         {"id", "kind", "program", "started_at_ms", "started_by", "ended_at_ms", "ended_by"},
         "overrides"},
        {"override_target", {"override", "unit", "cluster"}, "override_targets"},
        {"as_run",
         {"id", "program", "entry", "override", "priority", "channel", "scheduled_at",
          "started_at_ms", "ended_at_ms", "receivers", "outcome", "played"},
         "as_run"},
        {"alarm",
         {"id", "kind", "severity", "subject", "unit", "raised_ms", "cleared_ms", "acknowledged_by",
          "acknowledged_ms", "text_vi", "text_en", "figures"},
         "alarms"},
        {"audit", {"id", "at_ms", "who", "from_address", "what", "summary"}, "audit"},
        {"online_sample", {"at_ms", "unit", "online", "clusters"}, "online_samples"},
        {"media", {"name", "sha256", "bytes", "content"}, "media"},
    };
    return all;
}

std::string column_list(const Table& table, const std::string& prefix) {
    std::string out;
    for (const auto* column : table.columns)
        out += (out.empty() ? "" : ", ") + prefix + column;
    return out;
}

common::Result<void> create_tables(common::Database& archive) {
    std::string sql = "CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);";
    for (const auto& table : tables())
        sql += std::string("CREATE TABLE ") + table.name + " (" + column_list(table) + ");";
    return archive.execute(sql);
}

common::Result<std::string> content_digest(common::Database& archive) {
    common::Sha256 digest;
    // The manifest (but the digest itself), then every table.
    auto manifest =
        archive.prepare("SELECT key, value FROM manifest WHERE key != 'digest' ORDER BY key");
    for (;;) {
        auto row = manifest.step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        digest.add(manifest.text(0));
        digest.add("\x1f");
        digest.add(manifest.text(1));
        digest.add("\x1e");
    }
    for (const auto& table : tables()) {
        bool media = std::string_view(table.name) == "media";
        std::string select;
        for (const auto* column : table.columns)
            if (!media || std::string_view(column) != "content")
                select += std::string(select.empty() ? "" : ", ") + "quote(" + column + ")";
        if (media)
            select += ", sha256, content";
        auto rows = archive.prepare("SELECT " + select + " FROM " + table.name + " ORDER BY rowid");
        digest.add(table.name);
        digest.add("\x1e");
        int quoted = static_cast<int>(table.columns.size()) - (media ? 1 : 0);
        for (;;) {
            auto row = rows.step();
            if (!row)
                return row.error();
            if (!*row)
                break;
            for (int i = 0; i < quoted; ++i) {
                digest.add(rows.text(i));
                digest.add("\x1f");
            }
            digest.add("\x1e");
            if (media && common::sha256_hex(rows.text(quoted + 1)) != rows.text(quoted))
                return make_error(Errc::invalid_argument,
                                  "the archive's media file " + rows.text(0) +
                                      " does not match its checksum: the archive is damaged");
        }
    }
    return digest.hex();
}

common::Result<std::string> manifest_value(common::Database& archive, const std::string& key,
                                           const std::string& schema) {
    auto s = archive.prepare("SELECT value FROM " + schema + ".manifest WHERE key = ?");
    s.bind(1, key);
    auto row = s.step();
    if (!row)
        return row.error();
    return *row ? s.text(0) : std::string();
}

common::Result<HandoverArchive> describe(common::Database& archive, const std::string& name) {
    HandoverArchive out;
    out.name = name;
    auto read = [&](const char* key) -> common::Result<std::string> {
        return manifest_value(archive, key);
    };
    auto created = read("created_ms");
    auto server = read("server");
    auto units = read("units");
    auto digest = read("digest");
    for (const auto* value : {&created, &server, &units, &digest})
        if (!*value)
            return value->error();
    try {
        out.created_ms = std::stoll(*created);
        auto listed = json::parse(*units);
        for (const auto& code : listed.as_array())
            out.units.emplace_back(code.as_string());
    } catch (const std::exception&) {
        return make_error(Errc::invalid_argument, "the archive's manifest is not readable");
    }
    out.server = *server;
    out.digest = *digest;
    for (const auto& table : tables()) {
        auto count = archive.prepare(std::string("SELECT count(*) FROM ") + table.name);
        auto row = count.step();
        if (!row)
            return row.error();
        out.counts[table.kind] = count.integer(0);
    }
    return out;
}

bool valid_archive_name(const std::string& name) {
    constexpr std::string_view kSuffix = ".sqlite";
    return name.size() > kSuffix.size() && name.size() <= 200 && name.front() != '.' &&
           name.ends_with(kSuffix) && std::all_of(name.begin(), name.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                      c == '.';
           });
}

} // namespace handover_archive

common::Result<HandoverArchive> open_handover(const std::string& folder, const std::string& name) {
    if (!handover_archive::valid_archive_name(name))
        return make_error(Errc::invalid_argument,
                          "an archive is named by its file's name in the handover folder "
                          "(letters, digits, '-', '_', '.', ending in .sqlite), not \"" +
                              name + "\"");
    fs::path path = fs::path(folder) / name;
    std::error_code error;
    if (!fs::is_regular_file(path, error))
        return make_error(Errc::not_found, "no archive \"" + name + "\" in " + folder);
    return handover_archive::verify(path.string(), name);
}

namespace handover_archive {

common::Result<HandoverArchive> verify(const std::string& path, const std::string& name) {
    std::error_code error;
    try {
        common::Database archive(path, common::Database::Access::read_only);
        auto check = archive.prepare("PRAGMA integrity_check");
        auto row = check.step();
        if (!row || !*row || check.text(0) != "ok")
            return make_error(Errc::invalid_argument,
                              "\"" + name + "\" is damaged: its database is not whole");
        auto format = manifest_value(archive, "format");
        auto version = manifest_value(archive, "version");
        if (!format || !version || *format != kFormat)
            return make_error(Errc::invalid_argument,
                              "\"" + name + "\" is not a Loa handover archive");
        if (*version != std::to_string(kVersion))
            return make_error(Errc::invalid_argument, "\"" + name + "\" is of version " + *version +
                                                          "; this server reads version " +
                                                          std::to_string(kVersion));
        auto described = describe(archive, name);
        if (!described)
            return described.error();
        auto digest = content_digest(archive);
        if (!digest)
            return digest.error();
        if (*digest != described->digest)
            return make_error(Errc::invalid_argument,
                              "\"" + name +
                                  "\" is damaged or altered: its content does not match its "
                                  "digest");
        described->bytes = fs::file_size(path, error);
        return described;
    } catch (const std::exception& e) {
        // Not a database at all, or one whose tables are not an archive's.
        return make_error(Errc::invalid_argument,
                          "\"" + name + "\" is not a readable handover archive (" + e.what() + ")");
    }
}

} // namespace handover_archive

std::vector<HandoverArchive> list_handovers(const std::string& folder) {
    std::vector<HandoverArchive> out;
    std::error_code error;
    for (const auto& file : fs::directory_iterator(folder, error)) {
        auto name = file.path().filename().string();
        if (!handover_archive::valid_archive_name(name))
            continue;
        auto archive = open_handover(folder, name);
        if (archive)
            out.push_back(std::move(*archive));
        else
            handover_archive::log()->warn("{}", archive.error().message);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.created_ms != b.created_ms ? a.created_ms > b.created_ms : a.name > b.name;
    });
    return out;
}

} // namespace loa::server
