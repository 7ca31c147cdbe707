#include "loa/clients/saved_session.hpp"

#include <boost/json.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include "loa/common/persistent_counter.hpp"

namespace loa::clients {
namespace {

namespace json = boost::json;

common::Error os_error(const std::string& what) {
    return common::make_error(common::Errc::io_error, what + ": " + std::strerror(errno));
}

bool write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

/// Creates the folder (mode 0700) and its parents when missing.
common::Result<void> make_private_folder(const std::filesystem::path& folder) {
    std::error_code ec;
    if (folder.empty() || std::filesystem::is_directory(folder, ec))
        return {};
    if (folder.has_parent_path())
        std::filesystem::create_directories(folder.parent_path(), ec);
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
        return os_error("cannot create the folder " + folder.string());
    return {};
}

} // namespace

std::string session_file() {
    if (const char* dir = std::getenv("LOA_CONFIG_DIR"); dir != nullptr && *dir != '\0')
        return std::string(dir) + "/session.json";
    const char* home = std::getenv("HOME");
    return std::string(home != nullptr ? home : ".") + "/.config/loa/session.json";
}

common::Result<SavedSession> load_session(const std::string& path) {
    auto text = common::read_file(path);
    if (!text)
        return common::make_error(common::Errc::not_found, "no saved session in " + path);
    boost::system::error_code ec;
    auto value = json::parse(*text, ec);
    const auto* object = ec ? nullptr : value.if_object();
    const auto* server = object != nullptr ? object->if_contains("server") : nullptr;
    const auto* token = object != nullptr ? object->if_contains("token") : nullptr;
    if (server == nullptr || token == nullptr || !server->is_string() || !token->is_string())
        return common::make_error(common::Errc::invalid_argument,
                                  path + " is not a saved session ({\"server\": ..., \"token\": "
                                         "...}); delete it and log in again");
    return SavedSession{std::string(server->get_string()), std::string(token->get_string())};
}

common::Result<void> write_private_file(const std::string& path, const std::string& text) {
    std::string temporary = path + ".tmp" + std::to_string(::getpid());
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return os_error("cannot write " + temporary);
    // The mode given to open() is narrowed by the umask only; fchmod makes it exactly 0600.
    bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, text) && ::fsync(fd) == 0;
    auto error = os_error("cannot write " + temporary);
    ok = ::close(fd) == 0 && ok;
    if (!ok) {
        ::unlink(temporary.c_str());
        return error;
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        auto failed = os_error("cannot replace " + path);
        ::unlink(temporary.c_str());
        return failed;
    }
    return {};
}

common::Result<void> save_session(const std::string& path, const SavedSession& session) {
    if (auto made = make_private_folder(std::filesystem::path(path).parent_path()); !made)
        return made;
    json::object o{{"server", session.server}, {"token", session.token}};
    return write_private_file(path, json::serialize(o) + "\n");
}

bool remove_session(const std::string& path) {
    return ::unlink(path.c_str()) == 0;
}

} // namespace loa::clients
