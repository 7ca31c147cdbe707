// Restoring a backup into a stopped server's state folder.

#include "loa/server/backups/restore.hpp"

#include <cstdlib>
#include <filesystem>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
    if (std::getenv("LOA_SEAL_KEY") == nullptr && !fs::exists(seal_key_file, ec))
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

/// Moves the state found in `state` (the database, its journals, media/) into `aside`.
common::Result<std::string> move_aside(const fs::path& state, const fs::path& aside) {
    std::error_code ec;
    bool created = false;
    for (const char* name : {"loa.db", "loa.db-wal", "loa.db-shm", "media"}) {
        if (!fs::exists(state / name, ec))
            continue;
        if (!created) {
            fs::create_directories(aside, ec);
            if (ec)
                return make_error(Errc::io_error,
                                  "cannot create " + aside.string() + ": " + ec.message());
            created = true;
        }
        fs::rename(state / name, aside / name, ec);
        if (ec)
            return make_error(Errc::io_error, "cannot move " + (state / name).string() + " to " +
                                                  aside.string() + ": " + ec.message());
    }
    return created ? aside.string() : std::string();
}

} // namespace

common::Result<Restored> restore_backup(const std::string& backup, const std::string& state_dir,
                                        const std::string& seal_key_file,
                                        std::chrono::system_clock::time_point now) {
    std::error_code ec;
    fs::path folder = fs::absolute(backup, ec);
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
    auto aside = move_aside(state, state / ("before-restore-" + common::basic_utc(now)));
    if (!aside)
        return aside.error();
    out.moved_aside = *aside;
    fs::create_directories(state / "media", ec);
    for (const auto& m : verified->media) {
        if (auto copied =
                backup_files::copy_synced(backups / "media" / m.name, state / "media" / m.name);
            !copied)
            return copied.error();
        ++out.media_files;
    }
    // The database last: a restore cut short leaves no database, so no server starts on half.
    if (auto copied = backup_files::copy_synced(folder / kDatabase, state / kDatabase); !copied)
        return copied.error();
    if (!backup_files::sync(state / "media") || !backup_files::sync(state))
        return make_error(Errc::io_error, "cannot sync " + state_dir);
    log()->info("restored {} into {} ({} media files{})", verified->name, state_dir,
                out.media_files,
                out.moved_aside.empty() ? "" : "; what was there is in " + out.moved_aside);
    return out;
}

} // namespace loa::server
