#pragma once
/// @file
/// Secrets at rest: values sealed (libsodium secretbox, XSalsa20-Poly1305) with a key kept
/// outside the database, so that a copied database or backup gives nobody the SRTP keys.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loa/common/result.hpp"

namespace loa::common {

/// The key that seals secrets at rest.
class SealingKey {
public:
    /// The key from the environment variable `env_name` (base64 of 32 bytes) if it is set,
    /// else from `file`, which is made (32 random bytes, mode 0600) if it does not exist yet.
    /// Throws std::runtime_error if the variable or the file is malformed or unreadable, or if
    /// the file may be read by others than its owner.
    static SealingKey load(const std::string& file, const char* env_name = "LOA_SEAL_KEY");
    /// A key of the given bytes (tests).
    explicit SealingKey(const std::array<std::uint8_t, 32>& bytes) : key_(bytes) {}

    /// `plain` sealed: "sealed1:" + base64(nonce, ciphertext and tag). A fresh nonce each time.
    std::string seal(std::string_view plain) const;
    /// What `sealed` holds; an error if it was not sealed with this key, or was changed.
    Result<std::string> open(std::string_view sealed) const;
    /// Whether a stored value is sealed (values kept before sealing are not).
    static bool is_sealed(std::string_view stored);

private:
    std::array<std::uint8_t, 32> key_;
};

} // namespace loa::common
