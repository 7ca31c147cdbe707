#include "loa/pipeline/srtp.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <mutex>
#include <srtp2/srtp.h>
#include <stdexcept>

namespace loa::pipeline {
namespace {

void ensure_srtp_initialised() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (srtp_init() != srtp_err_status_ok)
            throw std::runtime_error("libsrtp failed to initialise");
    });
}

void set_policy(SrtpProfile profile, srtp_policy_t& policy) {
    switch (profile) {
    case SrtpProfile::aes_cm_128_hmac_sha1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
        break;
    case SrtpProfile::aead_aes_128_gcm:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
        break;
    }
    policy.rtcp.sec_serv = sec_serv_auth;
}

srtp_policy_t make_policy(SrtpProfile profile, std::span<const std::uint8_t> master,
                          srtp_ssrc_type_t type, std::uint32_t ssrc) {
    srtp_policy_t policy{};
    set_policy(profile, policy);
    policy.ssrc.type = type;
    policy.ssrc.value = ssrc;
    policy.key = const_cast<unsigned char*>(master.data()); // libsrtp copies, never writes
    policy.window_size = 1024;
    policy.allow_repeat_tx = 0;
    return policy;
}

common::Result<srtp_t> create(SrtpProfile profile, std::span<const std::uint8_t> master,
                              srtp_ssrc_type_t type, std::uint32_t ssrc) {
    ensure_srtp_initialised();
    if (master.size() != srtp_master_length(profile))
        return common::make_error(common::Errc::invalid_argument,
                                  "an " + to_string(profile) + " key must be " +
                                      std::to_string(srtp_master_length(profile)) +
                                      " bytes (master key + salt), got " +
                                      std::to_string(master.size()));
    srtp_policy_t policy = make_policy(profile, master, type, ssrc);
    srtp_t ctx = nullptr;
    if (auto status = srtp_create(&ctx, &policy); status != srtp_err_status_ok)
        return common::make_error(common::Errc::media_error,
                                  "srtp_create failed with status " + std::to_string(status));
    return ctx;
}

} // namespace

std::size_t srtp_master_length(SrtpProfile profile) {
    return profile == SrtpProfile::aead_aes_128_gcm ? 28 : 30;
}

std::string to_string(SrtpProfile profile) {
    return profile == SrtpProfile::aead_aes_128_gcm ? "AEAD_AES_128_GCM"
                                                    : "AES_CM_128_HMAC_SHA1_80";
}

std::optional<SrtpProfile> parse_srtp_profile(const std::string& name) {
    if (name == "AES_CM_128_HMAC_SHA1_80" || name == "aes_cm_128_hmac_sha1_80")
        return SrtpProfile::aes_cm_128_hmac_sha1_80;
    if (name == "AEAD_AES_128_GCM" || name == "aead_aes_128_gcm")
        return SrtpProfile::aead_aes_128_gcm;
    return std::nullopt;
}

common::Result<SrtpSession> SrtpSession::outbound(SrtpProfile profile,
                                                  std::span<const std::uint8_t> master,
                                                  std::uint32_t ssrc) {
    auto ctx = create(profile, master, ssrc_specific, ssrc);
    if (!ctx)
        return ctx.error();
    return SrtpSession(*ctx, profile, {});
}

common::Result<SrtpSession> SrtpSession::inbound(SrtpProfile profile,
                                                 std::span<const std::uint8_t> master) {
    auto ctx = create(profile, master, ssrc_any_inbound, 0);
    if (!ctx)
        return ctx.error();
    return SrtpSession(*ctx, profile, master);
}

SrtpSession::SrtpSession(srtp_ctx_t_* ctx, SrtpProfile profile,
                         std::span<const std::uint8_t> master)
    : ctx_(ctx), profile_(profile), master_length_(static_cast<std::uint8_t>(master.size())) {
    std::copy(master.begin(), master.end(), master_.begin());
}

SrtpSession::SrtpSession(SrtpSession&& other) noexcept
    : ctx_(other.ctx_), profile_(other.profile_), master_(other.master_),
      master_length_(other.master_length_) {
    other.ctx_ = nullptr;
}

SrtpSession& SrtpSession::operator=(SrtpSession&& other) noexcept {
    if (this != &other) {
        if (ctx_ != nullptr)
            srtp_dealloc(ctx_);
        ctx_ = other.ctx_;
        profile_ = other.profile_;
        master_ = other.master_;
        master_length_ = other.master_length_;
        other.ctx_ = nullptr;
    }
    return *this;
}

SrtpSession::~SrtpSession() {
    if (ctx_ != nullptr)
        srtp_dealloc(ctx_);
}

bool SrtpSession::protect_rtp(std::uint8_t* packet, std::size_t& len, std::size_t capacity) {
    if (capacity < len + kSrtpMaxTrailer)
        return false;
    int n = static_cast<int>(len);
    if (srtp_protect(ctx_, packet, &n) != srtp_err_status_ok)
        return false;
    len = static_cast<std::size_t>(n);
    return true;
}

bool SrtpSession::unprotect_rtp(std::uint8_t* packet, std::size_t& len) {
    int n = static_cast<int>(len);
    if (srtp_unprotect(ctx_, packet, &n) != srtp_err_status_ok)
        return false;
    len = static_cast<std::size_t>(n);
    return true;
}

bool SrtpSession::protect_rtcp(std::uint8_t* packet, std::size_t& len, std::size_t capacity) {
    if (capacity < len + kSrtpMaxTrailer)
        return false;
    int n = static_cast<int>(len);
    if (srtp_protect_rtcp(ctx_, packet, &n) != srtp_err_status_ok)
        return false;
    len = static_cast<std::size_t>(n);
    return true;
}

bool SrtpSession::unprotect_rtcp(std::uint8_t* packet, std::size_t& len) {
    int n = static_cast<int>(len);
    if (srtp_unprotect_rtcp(ctx_, packet, &n) != srtp_err_status_ok)
        return false;
    len = static_cast<std::size_t>(n);
    return true;
}

void SrtpSession::remove_stream(std::uint32_t ssrc) {
    srtp_remove_stream(ctx_, htonl(ssrc));
}

bool SrtpSession::recover_rtp(std::uint8_t* packet, std::size_t& len, std::uint32_t max_roc) {
    constexpr std::size_t kMaxPacket = 2048;
    if (master_length_ == 0 || len < 12 || len > kMaxPacket)
        return false;
    std::uint32_t ssrc = (std::uint32_t{packet[8]} << 24) | (std::uint32_t{packet[9]} << 16) |
                         (std::uint32_t{packet[10]} << 8) | packet[11];
    // A stream of its own for this SSRC, whose ROC can be set before each attempt.
    srtp_remove_stream(ctx_, htonl(ssrc));
    srtp_policy_t policy =
        make_policy(profile_, std::span(master_.data(), master_length_), ssrc_specific, ssrc);
    if (srtp_add_stream(ctx_, &policy) != srtp_err_status_ok)
        return false;
    alignas(16) std::array<std::uint8_t, kMaxPacket> scratch;
    for (std::uint32_t roc = 0; roc <= max_roc; ++roc) {
        srtp_set_stream_roc(ctx_, ssrc, roc);
        std::memcpy(scratch.data(), packet, len);
        int n = static_cast<int>(len);
        if (srtp_unprotect(ctx_, scratch.data(), &n) == srtp_err_status_ok) {
            std::memcpy(packet, scratch.data(), static_cast<std::size_t>(n));
            len = static_cast<std::size_t>(n);
            return true;
        }
    }
    srtp_remove_stream(ctx_, htonl(ssrc)); // back to the template for this SSRC
    return false;
}

std::optional<std::uint64_t> SrtpSession::packet_index(std::uint32_t ssrc,
                                                       std::uint16_t sequence) const {
    std::uint32_t roc = 0;
    if (srtp_get_stream_roc(ctx_, ssrc, &roc) != srtp_err_status_ok)
        return std::nullopt;
    return (std::uint64_t{roc} << 16) | sequence;
}

} // namespace loa::pipeline
