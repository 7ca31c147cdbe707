#pragma once
/// @file
/// Random bytes, base64 for keys and SHA-256 content hashes (libsodium). Secrets are never
/// logged.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loa::common {

/// Fills `out` with cryptographically strong random bytes.
void random_bytes(void* out, std::size_t size);
/// Standard base64 (with padding) of `bytes`.
std::string to_base64(const std::vector<std::uint8_t>& bytes);
/// Decodes standard base64; nullopt if the text is not valid base64.
std::optional<std::vector<std::uint8_t>> from_base64(const std::string& text);

/// An argon2id hash of `password` in the standard encoded form (salt and parameters
/// included), for storage; throws only if memory runs out.
std::string hash_password(std::string_view password);
/// True if `password` matches an encoded argon2id hash.
bool verify_password(std::string_view password, const std::string& encoded);
/// `bytes` random bytes as URL-safe base64 without padding: a bearer token or a secret.
std::string random_token(std::size_t bytes = 32);

/// SHA-256 of `data`, as 64 lowercase hex digits (content addresses of stored media).
std::string sha256_hex(std::string_view data);
/// HMAC-SHA-256 of `data` with `key` (any length), as 64 lowercase hex digits: a signature a
/// receiving system checks with the secret it shares.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
/// SHA-256 of a file's contents, read in chunks; nullopt if it cannot be read.
std::optional<std::string> sha256_file(const std::string& path);

/// SHA-256 fed piece by piece (a digest over many rows or chunks).
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void add(std::string_view bytes);
    /// The digest of everything added, as 64 lowercase hex digits; call it once.
    std::string hex();

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace loa::common
