// Restoring a backup into a stopped server's state folder.

#include "loa/server/backups/restore.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include "files.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/logging.hpp"
#include "loa/common/sealed.hpp"
#include "loa/common/sqlite.hpp"

namespace loa::server {
namespace {

namespace fs = std::filesystem;
using backup_files::kDatabase;
using common::Errc;
using common::make_error;

auto log() {
    static auto logger = common::logger("backups");
    return logger;
}

/// Whether a server answers on the control socket `path`.
bool server_running(const fs::path& path) {
    sockaddr_un address{};
    if (path.string().size() >= sizeof address.sun_path)
        return false;
    address.sun_family = AF_UNIX;
    path.string().copy(address.sun_path, sizeof address.sun_path - 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool connected =
        ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
}

/// Opens one of the backup's sealed receiver keys with the state folder's sealing key, without
/// making a key file where there is none (the server would make one at start).
common::Result<void> check_seal_key(const fs::path& database, const std::string& seal_key_file) {
    std::string sealed;
    try {
        common::Database db(database.string(), common::Database::Access::read_only);
        auto has = db.prepare(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'receiver'");
        if (auto row = has.step(); !row || !*row || has.integer(0) == 0)
            return {};
        auto key = db.prepare("SELECT key FROM receiver WHERE key LIKE 'sealed%' LIMIT 1");
        if (auto row = key.step(); !row || !*row)
            return {}; // no receiver, or keys from before sealing
        sealed = key.text(0);
    } catch (const std::exception& e) {
        return make_error(Errc::io_error, e.what());
    }
    std::error_code ec;
    const char* from_environment = std::getenv("LOA_SEAL_KEY");
    bool in_environment = from_environment != nullptr && *from_environment != '\0';
    if (!in_environment && !fs::exists(seal_key_file, ec))
        return make_error(Errc::not_found,
                          "the backup's receiver keys are sealed, and there is no sealing key at " +
                              seal_key_file +
                              ": put the old server's seal.key there (or set LOA_SEAL_KEY), "
                              "then restore again");
    try {
        if (auto opened = common::SealingKey::load(seal_key_file).open(sealed); !opened)
            return make_error(Errc::invalid_argument,
                              "the sealing key at " + seal_key_file +
                                  " does not open the backup's receiver keys: put the seal.key "
                                  "of the server the backup was taken on there (or set "
                                  "LOA_SEAL_KEY), then restore again");
    } catch (const std::exception& e) {
        return make_error(Errc::invalid_argument, e.what());
    }
    return {};
}

/// What a state folder holds that a restore replaces.
constexpr std::array kReplaced = {"loa.db", "loa.db-wal", "loa.db-shm", "media"};

/// Moves `names` from `from` into `to` (made if needed); the names moved, or the error with
/// those moved before it.
struct Moved {
    std::vector<std::string> names;
    std::string error;
};

Moved move_all(const fs::path& from, const fs::path& to, const std::vector<std::string>& names) {
    Moved out;
    std::error_code ec;
    for (const auto& name : names) {
        if (!fs::exists(from / name, ec))
            continue;
        fs::create_directories(to, ec);
        fs::rename(from / name, to / name, ec);
        if (ec) {
            out.error = "cannot move " + (from / name).string() + " to " + to.string() + ": " +
                        ec.message();
            return out;
        }
        out.names.push_back(name);
    }
    return out;
}

/// A name in `state` not taken yet: `base`, else `base-2`, `base-3`...
fs::path free_name(const fs::path& state, const std::string& base) {
    std::error_code ec;
    fs::path path = state / base;
    for (int n = 2; fs::exists(path, ec); ++n)
        path = state / (base + "-" + std::to_string(n));
    return path;
}

/// Copies the backup (its database and the media it needs) into `staging`, synced.
common::Result<std::size_t> copy_backup(const fs::path& folder, const fs::path& backups,
                                        const Backup& backup, const fs::path& staging) {
    std::error_code ec;
    fs::create_directories(staging / "media", ec);
    if (ec)
        return make_error(Errc::io_error,
                          "cannot create " + staging.string() + ": " + ec.message());
    std::size_t files = 0;
    for (const auto& m : backup.media) {
        if (auto copied =
                backup_files::copy_synced(backups / "media" / m.name, staging / "media" / m.name);
            !copied)
            return copied.error();
        ++files;
    }
    if (auto copied = backup_files::copy_synced(folder / kDatabase, staging / kDatabase); !copied)
        return copied.error();
    if (!backup_files::sync(staging / "media") || !backup_files::sync(staging))
        return make_error(Errc::io_error, "cannot sync " + staging.string());
    return files;
}

} // namespace

common::Result<Restored> restore_backup(const std::string& backup, const std::string& state_dir,
                                        const std::string& seal_key_file,
                                        std::chrono::system_clock::time_point now) {
    std::error_code ec;
    fs::path folder = fs::absolute(backup, ec).lexically_normal();
    if (!folder.has_filename()) // ".../loa-20261130T193000Z/"
        folder = folder.parent_path();
    fs::path backups = folder.parent_path();
    auto verified = verify_backup(backups.string(), folder.string());
    if (!verified)
        return make_error(verified.error().code,
                          "not restored: " + verified.error().message + " (nothing was changed)");
    fs::path state(state_dir);
    if (server_running(state / "control.sock"))
        return make_error(Errc::already_exists,
                          "a server is running on " + state_dir + ": stop it first");
    if (auto key = check_seal_key(folder / kDatabase, seal_key_file); !key)
        return make_error(key.error().code, "not restored: " + key.error().message);
    fs::create_directories(state, ec);
    Restored out;
    out.backup = *verified;
    // 1. The backup copied into the state folder's file system, beside what is there: a disk
    // too small fails here, with nothing changed.
    auto stamp = common::basic_utc(now);
    fs::path staging = free_name(state, ".restoring-" + stamp);
    auto copied = copy_backup(folder, backups, *verified, staging);
    if (!copied) {
        fs::remove_all(staging, ec);
        return make_error(copied.error().code,
                          "not restored: " + copied.error().message + " (nothing was changed)");
    }
    out.media_files = *copied;
    // 2. What is there moved aside, never over an earlier restore's; 3. the copy moved in.
    // Renames within one file system: a failure puts back what was there.
    fs::path aside = free_name(state, "before-restore-" + stamp);
    std::vector<std::string> replaced(kReplaced.begin(), kReplaced.end());
    auto moved_aside = move_all(state, aside, replaced);
    Moved moved_in;
    if (moved_aside.error.empty())
        moved_in = move_all(staging, state, {"media", std::string(kDatabase)});
    if (!moved_aside.error.empty() || !moved_in.error.empty()) {
        move_all(state, staging, moved_in.names);
        auto back = move_all(aside, state, moved_aside.names);
        fs::remove_all(staging, ec);
        auto error = moved_aside.error.empty() ? moved_in.error : moved_aside.error;
        if (!back.error.empty())
            return make_error(Errc::io_error, "not restored: " + error + "; what was there is in " +
                                                  aside.string() + ": move it back by hand (" +
                                                  back.error + ")");
        return make_error(Errc::io_error, "not restored: " + error + " (nothing was changed)");
    }
    fs::remove_all(staging, ec);
    out.moved_aside = moved_aside.names.empty() ? std::string() : aside.string();
    if (!backup_files::sync(state))
        return make_error(Errc::io_error, "cannot sync " + state_dir);
    log()->info("restored {} into {} ({} media files{})", verified->name, state_dir,
                out.media_files,
                out.moved_aside.empty() ? "" : "; what was there is in " + out.moved_aside);
    return out;
}

} // namespace loa::server
