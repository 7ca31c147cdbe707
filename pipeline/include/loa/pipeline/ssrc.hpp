#pragma once
/// @file
/// How SSRCs are chosen so that no (key, SSRC, packet index) is ever used twice.
///
/// Every start of a sender takes a fresh *epoch* from a persistent counter that never goes back
/// (and never below the Unix time in seconds, so even a lost state file moves forward). The SSRC
/// of the server's media is the epoch XOR a salt derived from the key's owner (a receiver id or a
/// channel id), so each receiver has its own SSRC and can recover the epoch and refuse an older
/// one. A receiver's report SSRC is its epoch itself (its CNAME names it).

#include <cstdint>
#include <string_view>

namespace loa::pipeline {

/// 32-bit FNV-1a of a name: the SSRC salt of a receiver or channel.
constexpr std::uint32_t ssrc_salt(std::string_view owner) {
    std::uint32_t h = 2166136261U;
    for (char c : owner) {
        h ^= static_cast<std::uint8_t>(c);
        h *= 16777619U;
    }
    return h;
}

/// The SSRC a sender uses for `owner` in `epoch`.
constexpr std::uint32_t ssrc_for(std::uint32_t epoch, std::string_view owner) {
    return epoch ^ ssrc_salt(owner);
}

/// The epoch an SSRC belongs to.
constexpr std::uint32_t epoch_of(std::uint32_t ssrc, std::string_view owner) {
    return ssrc ^ ssrc_salt(owner);
}

/// Serial-number comparison (RFC 1982) of 32-bit epochs: true if `a` is newer than `b`.
constexpr bool epoch_newer(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::int32_t>(a - b) > 0;
}

} // namespace loa::pipeline
