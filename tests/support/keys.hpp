#pragma once
/// @file
/// Test helper: fresh random SRTP master keys.

#include <cstdint>
#include <vector>

#include "loa/common/secret.hpp"

namespace loa::test {

/// `length` random bytes: 30 for AES-CM, 28 for AES-GCM (srtp_master_length).
inline std::vector<std::uint8_t> random_key(std::size_t length = 30) {
    std::vector<std::uint8_t> key(length);
    common::random_bytes(key.data(), key.size());
    return key;
}

} // namespace loa::test
