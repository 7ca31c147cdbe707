#include "loa/common/secret.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <sodium.h>
#include <stdexcept>

namespace loa::common {
namespace {

void ensure_sodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready)
        throw std::runtime_error("libsodium failed to initialise");
}

} // namespace

void random_bytes(void* out, std::size_t size) {
    ensure_sodium();
    randombytes_buf(out, size);
}

std::string to_base64(const std::vector<std::uint8_t>& bytes) {
    if (bytes.empty()) // libsodium takes no null pointer, which an empty vector may give
        return "";
    ensure_sodium();
    std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1); // drop the terminating NUL
    return out;
}

std::optional<std::vector<std::uint8_t>> from_base64(const std::string& text) {
    if (text.empty()) // an empty vector's data() may be null, which libsodium does not take
        return std::vector<std::uint8_t>{};
    ensure_sodium();
    std::vector<std::uint8_t> out(text.size());
    std::size_t len = 0;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return std::nullopt;
    out.resize(len);
    return out;
}

} // namespace loa::common

namespace loa::common {
namespace {

std::string to_hex(const unsigned char* digest) {
    std::string out(crypto_hash_sha256_BYTES * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), digest, crypto_hash_sha256_BYTES);
    out.resize(crypto_hash_sha256_BYTES * 2);
    return out;
}

} // namespace

std::string hash_password(std::string_view password) {
    ensure_sodium();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        throw std::runtime_error("argon2id: out of memory");
    return out.data();
}

bool verify_password(std::string_view password, const std::string& encoded) {
    ensure_sodium();
    return crypto_pwhash_str_verify(encoded.c_str(), password.data(), password.size()) == 0;
}

std::string random_token(std::size_t bytes) {
    ensure_sodium();
    std::vector<std::uint8_t> raw(bytes);
    randombytes_buf(raw.data(), raw.size());
    std::string out(sodium_base64_encoded_len(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                    '\0');
    sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::string sha256_hex(std::string_view data) {
    ensure_sodium();
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size());
    return to_hex(digest.data());
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    ensure_sodium();
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                                key.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                                  data.size());
    std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
    crypto_auth_hmacsha256_final(&state, mac.data());
    sodium_memzero(&state, sizeof state);
    return to_hex(mac.data());
}

struct Sha256::State {
    crypto_hash_sha256_state sodium{};
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
    ensure_sodium();
    crypto_hash_sha256_init(&state_->sodium);
}

Sha256::~Sha256() = default;

void Sha256::add(std::string_view bytes) {
    crypto_hash_sha256_update(&state_->sodium, reinterpret_cast<const unsigned char*>(bytes.data()),
                              bytes.size());
}

std::string Sha256::hex() {
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256_final(&state_->sodium, digest.data());
    return to_hex(digest.data());
}

std::optional<std::string> sha256_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    Sha256 digest;
    std::array<char, 65536> chunk{};
    while (in) {
        in.read(chunk.data(), chunk.size());
        auto n = in.gcount();
        if (n > 0)
            digest.add(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
    }
    if (in.bad())
        return std::nullopt;
    return digest.hex();
}

} // namespace loa::common
