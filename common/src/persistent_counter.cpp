#include "loa/common/persistent_counter.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace loa::common {

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<void> write_file_durably(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return make_error(Errc::io_error, "cannot write " + tmp + ": " + std::strerror(errno));
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
              ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
        return make_error(Errc::io_error, "cannot store " + path + ": " + std::strerror(errno));
    std::string dir = std::filesystem::path(path).parent_path().string();
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

Result<std::uint32_t> advance_persistent_counter(const std::string& path, std::uint32_t floor) {
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty())
        std::filesystem::create_directories(dir, ec);
    if (ec)
        return make_error(Errc::io_error, "cannot create " + dir.string() + ": " + ec.message());
    std::uint32_t current = floor;
    std::ifstream in(path);
    if (in) {
        unsigned long long stored = 0;
        if (!(in >> stored) || stored > 0xffffffffULL)
            return make_error(Errc::io_error, path + " is corrupt: expected one unsigned "
                                                     "32-bit number; restore it or remove it");
        auto value = static_cast<std::uint32_t>(stored);
        if (static_cast<std::int32_t>(value - floor) > 0)
            current = value;
    }
    auto stored = write_file_durably(path, std::to_string(current + 1U) + "\n");
    if (!stored)
        return stored.error();
    return current;
}

} // namespace loa::common
