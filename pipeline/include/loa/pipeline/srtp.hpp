#pragma once
/// @file
/// SRTP (RFC 3711) through libsrtp, built with OpenSSL. RAII over srtp_t; the packet functions
/// never throw and never allocate once a stream exists.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "loa/common/result.hpp"

struct srtp_ctx_t_;

namespace loa::pipeline {

/// The protection profiles Loa offers.
enum class SrtpProfile {
    aes_cm_128_hmac_sha1_80, ///< the default; widest interoperability
    aead_aes_128_gcm,        ///< AEAD: cheaper per packet, 16-byte tag
};

/// Bytes a protected packet may grow by (auth tag, SRTCP index); keep this much room.
constexpr std::size_t kSrtpMaxTrailer = 32;

/// Master key + salt length of a profile (30 for AES-CM, 28 for AES-GCM).
std::size_t srtp_master_length(SrtpProfile profile);
/// RFC 4568 crypto-suite name ("AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM").
std::string to_string(SrtpProfile profile);
/// Parses an RFC 4568 name or the config spelling ("aes_cm_128_hmac_sha1_80", "aead_aes_128_gcm").
std::optional<SrtpProfile> parse_srtp_profile(const std::string& name);

/// One libsrtp session, for one direction of one key.
///
/// Outbound sessions protect RTP for one SSRC. Inbound sessions accept any SSRC protected with
/// the key (a sender picks a fresh SSRC per start) and keep a replay window per SSRC.
/// SRTCP is authenticated, not encrypted (RFC 3711 E bit clear), so its reports can be routed
/// before the key is known; the key still decides whether they are believed.
class SrtpSession {
public:
    /// Creates a session; fails if the key length does not fit the profile.
    static common::Result<SrtpSession>
    outbound(SrtpProfile profile, std::span<const std::uint8_t> master, std::uint32_t ssrc);
    /// Creates a receiving session that accepts any SSRC under this key.
    static common::Result<SrtpSession> inbound(SrtpProfile profile,
                                               std::span<const std::uint8_t> master);

    SrtpSession(SrtpSession&& other) noexcept;
    SrtpSession& operator=(SrtpSession&& other) noexcept;
    SrtpSession(const SrtpSession&) = delete;
    SrtpSession& operator=(const SrtpSession&) = delete;
    ~SrtpSession();

    /// Protects an RTP packet in place; `len` grows by the trailer. False on failure.
    bool protect_rtp(std::uint8_t* packet, std::size_t& len, std::size_t capacity);
    /// Verifies and decrypts an SRTP packet in place; false if forged, replayed or malformed.
    bool unprotect_rtp(std::uint8_t* packet, std::size_t& len);
    /// Authenticates an outgoing RTCP compound packet in place.
    bool protect_rtcp(std::uint8_t* packet, std::size_t& len, std::size_t capacity);
    /// Verifies an incoming SRTCP packet; false if forged, replayed or malformed.
    bool unprotect_rtcp(std::uint8_t* packet, std::size_t& len);
    /// Forgets the replay state of an SSRC that will not be seen again.
    void remove_stream(std::uint32_t ssrc);

    /// Inbound only: verifies a packet whose rollover counter (ROC) is unknown, i.e. the first
    /// packet of a stream joined after its sequence number wrapped, or after a silence of
    /// 2^15 packets or more. Tries ROC 0..max_roc and keeps the one that authenticates.
    /// Costs up to max_roc + 1 authentications: callers rate-limit it.
    bool recover_rtp(std::uint8_t* packet, std::size_t& len, std::uint32_t max_roc);
    /// The packet index (ROC << 16 | sequence) of the last packet accepted for `ssrc`.
    std::optional<std::uint64_t> packet_index(std::uint32_t ssrc, std::uint16_t sequence) const;

private:
    SrtpSession(srtp_ctx_t_* ctx, SrtpProfile profile, std::span<const std::uint8_t> master);
    srtp_ctx_t_* ctx_ = nullptr;
    SrtpProfile profile_ = SrtpProfile::aes_cm_128_hmac_sha1_80;
    std::array<std::uint8_t, 32> master_{}; ///< kept for streams added by recover_rtp
    std::uint8_t master_length_ = 0;
};

} // namespace loa::pipeline
