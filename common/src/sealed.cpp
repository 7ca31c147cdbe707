#include "loa/common/sealed.hpp"

#include <cstdlib>
#include <fstream>
#include <sodium.h>
#include <stdexcept>
#include <sys/stat.h>
#include <system_error>

#include "loa/common/secret.hpp"

namespace loa::common {
namespace {

constexpr std::string_view kPrefix = "sealed1:";
static_assert(crypto_secretbox_KEYBYTES == 32);

std::array<std::uint8_t, 32> key_of(const std::vector<std::uint8_t>& bytes,
                                    const std::string& from) {
    if (bytes.size() != 32)
        throw std::runtime_error(from + ": a sealing key is 32 bytes, got " +
                                 std::to_string(bytes.size()));
    std::array<std::uint8_t, 32> key{};
    std::copy(bytes.begin(), bytes.end(), key.begin());
    return key;
}

std::array<std::uint8_t, 32> read_or_make(const std::string& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        std::array<std::uint8_t, 32> key{};
        random_bytes(key.data(), key.size());
        auto old = ::umask(077);
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(key.data()), key.size());
        out.close();
        ::umask(old);
        if (!out || ::chmod(file.c_str(), 0600) != 0)
            throw std::runtime_error("cannot write the sealing key " + file);
        return key;
    }
    if ((st.st_mode & 077) != 0)
        throw std::runtime_error("the sealing key " + file +
                                 " may be read by others; chmod 600 it (and keep it out of "
                                 "backups of the database)");
    std::ifstream in(file, std::ios::binary);
    std::vector<std::uint8_t> bytes(33);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    return key_of(bytes, file);
}

} // namespace

SealingKey SealingKey::load(const std::string& file, const char* env_name) {
    if (sodium_init() < 0)
        throw std::runtime_error("libsodium cannot start");
    if (const char* env = std::getenv(env_name); env != nullptr && *env != '\0') {
        auto bytes = from_base64(env);
        if (!bytes)
            throw std::runtime_error(std::string(env_name) + " is not valid base64");
        return SealingKey(key_of(*bytes, env_name));
    }
    return SealingKey(read_or_make(file));
}

std::string SealingKey::seal(std::string_view plain) const {
    std::vector<std::uint8_t> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                  plain.size());
    random_bytes(out.data(), crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                          out.data(), key_.data());
    return std::string(kPrefix) + to_base64(out);
}

Result<std::string> SealingKey::open(std::string_view sealed) const {
    if (!is_sealed(sealed))
        return make_error(Errc::invalid_argument, "not a sealed value");
    auto bytes = from_base64(std::string(sealed.substr(kPrefix.size())));
    if (!bytes || bytes->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return make_error(Errc::invalid_argument, "a sealed value is damaged");
    std::string plain(bytes->size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES,
                      '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                   bytes->data() + crypto_secretbox_NONCEBYTES,
                                   bytes->size() - crypto_secretbox_NONCEBYTES, bytes->data(),
                                   key_.data()) != 0)
        return make_error(Errc::unauthorized,
                          "a sealed value does not open with this sealing key (another "
                          "server's key, or a changed value)");
    return plain;
}

bool SealingKey::is_sealed(std::string_view stored) {
    return stored.substr(0, kPrefix.size()) == kPrefix;
}

} // namespace loa::common
