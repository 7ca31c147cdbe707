#pragma once
/// @file
/// Random bytes and base64 for keys (libsodium). Secrets are never logged.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loa::common {

/// Fills `out` with cryptographically strong random bytes.
void random_bytes(void* out, std::size_t size);
/// Standard base64 (with padding) of `bytes`.
std::string to_base64(const std::vector<std::uint8_t>& bytes);
/// Decodes standard base64; nullopt if the text is not valid base64.
std::optional<std::vector<std::uint8_t>> from_base64(const std::string& text);

} // namespace loa::common
