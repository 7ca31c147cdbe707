#include "loa/server/backups/backup.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <unistd.h>

#include "files.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"
#include "loa/common/sqlite.hpp"

namespace loa::server {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using common::Errc;
using common::make_error;

using backup_files::kDatabase;
using backup_files::kManifest;
using backup_files::sync;
constexpr const char* kPartial = ".partial-";

auto log() {
    static auto logger = common::logger("backups");
    return logger;
}

std::string name_at(std::chrono::system_clock::time_point now) {
    return "loa-" + common::basic_utc(now);
}

json::object manifest_of(const Backup& b) {
    json::array media;
    for (const auto& m : b.media)
        media.push_back(json::object{{"name", m.name}, {"bytes", m.bytes}, {"sha256", m.sha256}});
    return json::object{{"format", 1},
                        {"name", b.name},
                        {"taken_ms", b.taken_ms},
                        {"database", json::object{{"file", kDatabase},
                                                  {"bytes", b.database_bytes},
                                                  {"sha256", b.database_sha256}}},
                        {"media", std::move(media)}};
}

common::Result<Backup> read_manifest(const fs::path& folder) {
    std::ifstream in(folder / kManifest);
    if (!in)
        return make_error(Errc::not_found,
                          "no " + std::string(kManifest) + " in " + folder.string());
    std::stringstream text;
    text << in.rdbuf();
    try {
        auto m = json::parse(text.str()).as_object();
        Backup b;
        b.path = folder.string();
        b.name = json::value_to<std::string>(m.at("name"));
        b.taken_ms = m.at("taken_ms").to_number<std::int64_t>();
        b.database_bytes = m.at("database").at("bytes").to_number<std::uint64_t>();
        b.database_sha256 = json::value_to<std::string>(m.at("database").at("sha256"));
        for (const auto& item : m.at("media").as_array())
            b.media.push_back({json::value_to<std::string>(item.at("name")),
                               item.at("bytes").to_number<std::uint64_t>(),
                               json::value_to<std::string>(item.at("sha256"))});
        return b;
    } catch (const std::exception& e) {
        return make_error(Errc::invalid_argument,
                          folder.string() + "/" + kManifest + " is damaged: " + e.what());
    }
}

/// A media file of the state worth keeping: not a preview, not a file still being written.
bool kept_media(const fs::directory_entry& entry) {
    auto name = entry.path().filename().string();
    // A bulletin being spoken is written as speech-KEY.partial.wav, an upload as NAME.partial.
    return entry.is_regular_file() && name.find(".partial") == std::string::npos &&
           !name.starts_with(".");
}

/// The media a backup needs, and those of them found whole in the pool while copying (read and
/// checked already: verification need not read them again).
struct PooledMedia {
    std::vector<BackupMedia> media;
    std::set<std::string> checked;
};

common::Result<PooledMedia> copy_media(const fs::path& state_media, const fs::path& pool,
                                       const std::vector<Backup>& earlier,
                                       const std::atomic<bool>* cancel) {
    // The checksums the backups recorded: a state's file is not read twice.
    std::map<std::string, BackupMedia> known;
    for (const auto& b : earlier)
        for (const auto& m : b.media)
            known[m.name] = m;
    PooledMedia out;
    std::error_code ec;
    if (!fs::is_directory(state_media, ec))
        return out;
    for (const auto& entry : fs::directory_iterator(state_media, ec)) {
        if (cancel != nullptr && *cancel)
            return make_error(Errc::io_error, "stopped with the server");
        if (!kept_media(entry))
            continue;
        BackupMedia m;
        m.name = entry.path().filename().string();
        m.bytes = entry.file_size(ec);
        fs::path target = pool / m.name;
        // Content-addressed names: a file's checksum is the one recorded before, if any.
        auto found = known.find(m.name);
        auto sha = found != known.end() && found->second.bytes == m.bytes
                       ? std::optional(found->second.sha256)
                       : common::sha256_file(entry.path().string());
        if (!sha && !fs::exists(entry.path(), ec))
            continue; // removed since it was listed (a program deleted): not needed
        if (!sha)
            return make_error(Errc::io_error, "cannot read " + entry.path().string());
        m.sha256 = *sha;
        // In the pool already, and whole: not copied again.
        if (fs::exists(target, ec) && fs::file_size(target, ec) == m.bytes &&
            common::sha256_file(target.string()) == m.sha256) {
            out.checked.insert(m.name);
            out.media.push_back(std::move(m));
            continue;
        }
        if (auto copied = backup_files::copy_synced(entry.path(), target); !copied)
            return copied.error();
        out.media.push_back(std::move(m)); // read back when the backup is verified
    }
    if (!sync(pool)) // the pool's new names, before a manifest names them
        return make_error(Errc::io_error, "cannot sync " + pool.string());
    std::sort(out.media.begin(), out.media.end(),
              [](const BackupMedia& a, const BackupMedia& b) { return a.name < b.name; });
    return out;
}

common::Result<void> write_manifest(const fs::path& folder, const Backup& b) {
    fs::path file = folder / kManifest;
    {
        std::ofstream out(file, std::ios::trunc);
        out << json::serialize(manifest_of(b)) << "\n";
        if (!out.flush())
            return make_error(Errc::io_error, "cannot write " + file.string());
    }
    if (!sync(file) || !sync(folder))
        return make_error(Errc::io_error, "cannot sync " + folder.string());
    return {};
}

/// verify_backup, skipping the checksums of the media in `checked`.
common::Result<Backup> verify(const std::string& dir, const std::string& path,
                              const std::set<std::string>& checked) {
    auto backup = read_manifest(path);
    if (!backup)
        return backup;
    fs::path database = fs::path(path) / kDatabase;
    std::error_code ec;
    auto bytes = fs::file_size(database, ec);
    auto sha = common::sha256_file(database.string());
    if (ec || !sha || bytes != backup->database_bytes || *sha != backup->database_sha256)
        return make_error(Errc::io_error,
                          "the database of " + path + " is not the one its manifest describes");
    try {
        common::Database db(database.string(), common::Database::Access::read_only);
        auto check = db.prepare("PRAGMA integrity_check");
        auto row = check.step();
        if (!row || !*row || check.text(0) != "ok")
            return make_error(Errc::io_error,
                              "the database of " + path + " is damaged: " +
                                  (row && *row ? check.text(0) : std::string("unreadable")));
        auto schema = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
        if (auto read = schema.step(); !read || !*read || schema.integer(0) == 0)
            return make_error(Errc::io_error, "the database of " + path + " has no tables");
    } catch (const std::exception& e) {
        return make_error(Errc::io_error, std::string("the database of ") + path +
                                              " cannot be opened: " + e.what());
    }
    for (const auto& m : backup->media) {
        fs::path file = fs::path(dir) / "media" / m.name;
        auto size = fs::file_size(file, ec);
        if (!ec && size == m.bytes && checked.contains(m.name))
            continue;
        auto hash = ec ? std::nullopt : common::sha256_file(file.string());
        if (ec || size != m.bytes || !hash || *hash != m.sha256)
            return make_error(Errc::io_error, "the backups' media file " + m.name +
                                                  " is missing or not the one " + path + " needs");
    }
    return backup;
}

} // namespace

common::Result<Backup> verify_backup(const std::string& dir, const std::string& path) {
    return verify(dir, path, {});
}

common::Result<Backup> take_backup(const std::string& state_dir, const std::string& dir,
                                   std::chrono::system_clock::time_point now,
                                   const std::atomic<bool>* cancel) {
    auto started = std::chrono::steady_clock::now();
    std::error_code ec;
    fs::path root(dir);
    fs::path pool = root / "media";
    fs::create_directories(pool, ec);
    if (ec)
        return make_error(Errc::io_error, "cannot create " + pool.string() + ": " + ec.message());
    for (const auto& entry : fs::directory_iterator(root, ec))
        if (entry.path().filename().string().starts_with(kPartial)) {
            log()->warn("removing {}, left by a backup that did not finish", entry.path().string());
            fs::remove_all(entry.path(), ec);
        }
    fs::path database = fs::path(state_dir) / kDatabase;
    if (!fs::is_regular_file(database, ec))
        return make_error(Errc::not_found, "no database at " + database.string());
    Backup b;
    b.name = name_at(now);
    b.taken_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    // A second backup within the same second (an admin's right after the scheduled one).
    for (int n = 2; fs::exists(root / b.name, ec); ++n) {
        if (n > 100)
            return make_error(Errc::already_exists, "too many backups named " + name_at(now));
        b.name = name_at(now) + "-" + std::to_string(n);
    }
    fs::path staging = root / (kPartial + b.name);
    fs::create_directories(staging, ec);
    auto fail = [&](const common::Error& error) -> common::Result<Backup> {
        std::error_code ignored;
        fs::remove_all(staging, ignored);
        log()->error("backup {} failed: {}", b.name, error.message);
        return error;
    };
    try {
        common::Database live(database.string());
        if (auto copied = live.vacuum_into((staging / kDatabase).string()); !copied)
            return fail(copied.error());
    } catch (const std::exception& e) {
        return fail(make_error(Errc::io_error, e.what()));
    }
    if (!sync(staging / kDatabase))
        return fail(make_error(Errc::io_error, "cannot sync the copy of the database"));
    b.database_bytes = fs::file_size(staging / kDatabase, ec);
    auto sha = common::sha256_file((staging / kDatabase).string());
    if (!sha)
        return fail(make_error(Errc::io_error, "cannot read the copy of the database"));
    b.database_sha256 = *sha;
    auto media = copy_media(fs::path(state_dir) / "media", pool, list_backups(dir), cancel);
    if (!media)
        return fail(media.error());
    b.media = std::move(media->media);
    if (auto written = write_manifest(staging, b); !written)
        return fail(written.error());
    if (auto verified = verify(dir, staging.string(), media->checked); !verified)
        return fail(verified.error());
    fs::rename(staging, root / b.name, ec);
    if (ec || !sync(root))
        return fail(
            make_error(Errc::io_error, "cannot name the backup " + b.name + ": " + ec.message()));
    b.path = (root / b.name).string();
    log()->info("backup {}: database {} bytes, {} media files, {:.1f} s", b.name, b.database_bytes,
                b.media.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return b;
}

std::vector<Backup> list_backups(const std::string& dir) {
    std::vector<Backup> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (!entry.is_directory() || !entry.path().filename().string().starts_with("loa-"))
            continue;
        if (auto b = read_manifest(entry.path()))
            out.push_back(std::move(*b));
    }
    std::sort(out.begin(), out.end(), [](const Backup& a, const Backup& b) {
        return std::tie(a.taken_ms, a.name) < std::tie(b.taken_ms, b.name);
    });
    return out;
}

namespace backup_files {

bool sync(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool done = ::fsync(fd) == 0;
    ::close(fd);
    return done;
}

common::Result<void> copy_synced(const fs::path& from, const fs::path& to) {
    fs::path copying = to.string() + ".copying";
    std::error_code ec;
    fs::copy_file(from, copying, fs::copy_options::overwrite_existing, ec);
    if (!ec && !sync(copying))
        ec = std::error_code(errno, std::generic_category());
    if (!ec)
        fs::rename(copying, to, ec);
    if (ec) {
        fs::remove(copying, ec);
        return make_error(Errc::io_error, "cannot copy " + from.string() + " to " + to.string() +
                                              ": " + ec.message());
    }
    return {};
}

} // namespace backup_files

} // namespace loa::server
