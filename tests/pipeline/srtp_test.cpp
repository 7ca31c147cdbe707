#include <array>
#include <gtest/gtest.h>
#include <vector>

#include "keys.hpp"
#include "loa/pipeline/rtcp.hpp"
#include "loa/pipeline/rtp.hpp"
#include "loa/pipeline/srtp.hpp"

using namespace loa::pipeline;

namespace {

std::vector<std::uint8_t> key_for(SrtpProfile p) {
    return loa::test::random_key(srtp_master_length(p));
}

struct Packet {
    std::array<std::uint8_t, 256> bytes{};
    std::size_t len = 0;
};

Packet make_rtp(std::uint32_t ssrc, std::uint16_t seq, const std::string& payload) {
    Packet p;
    RtpHeader h{kOpusPayloadType, false, seq, seq * 960U, ssrc};
    write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize>(p.bytes.data(), kRtpHeaderSize), h);
    std::copy(payload.begin(), payload.end(), p.bytes.begin() + kRtpHeaderSize);
    p.len = kRtpHeaderSize + payload.size();
    return p;
}

class SrtpProfiles : public ::testing::TestWithParam<SrtpProfile> {};

} // namespace

TEST_P(SrtpProfiles, RoundTripHidesThePayload) {
    auto key = key_for(GetParam());
    auto tx = SrtpSession::outbound(GetParam(), key, 0x1234);
    auto rx = SrtpSession::inbound(GetParam(), key);
    ASSERT_TRUE(tx && rx);
    for (std::uint16_t seq = 1; seq < 50; ++seq) {
        Packet p = make_rtp(0x1234, seq, "opus frame payload");
        ASSERT_TRUE(tx->protect_rtp(p.bytes.data(), p.len, p.bytes.size()));
        EXPECT_GT(p.len, kRtpHeaderSize + 18);
        std::string on_wire(p.bytes.begin() + kRtpHeaderSize,
                            p.bytes.begin() + kRtpHeaderSize + 18);
        EXPECT_NE(on_wire, "opus frame payload");
        ASSERT_TRUE(rx->unprotect_rtp(p.bytes.data(), p.len));
        EXPECT_EQ(p.len, kRtpHeaderSize + 18);
        EXPECT_EQ(std::string(p.bytes.begin() + kRtpHeaderSize, p.bytes.begin() + p.len),
                  "opus frame payload");
    }
}

TEST_P(SrtpProfiles, TamperedReplayedAndWrongKeyPacketsAreRejected) {
    auto key = key_for(GetParam());
    auto tx = SrtpSession::outbound(GetParam(), key, 7);
    auto rx = SrtpSession::inbound(GetParam(), key);
    auto stranger = SrtpSession::inbound(GetParam(), key_for(GetParam()));
    ASSERT_TRUE(tx && rx && stranger);

    Packet p = make_rtp(7, 100, "hello");
    ASSERT_TRUE(tx->protect_rtp(p.bytes.data(), p.len, p.bytes.size()));
    Packet replay = p, tampered = p, foreign = p;
    tampered.bytes[kRtpHeaderSize] ^= 0x01;
    EXPECT_FALSE(rx->unprotect_rtp(tampered.bytes.data(), tampered.len));
    EXPECT_FALSE(stranger->unprotect_rtp(foreign.bytes.data(), foreign.len));
    EXPECT_TRUE(rx->unprotect_rtp(p.bytes.data(), p.len));
    EXPECT_FALSE(rx->unprotect_rtp(replay.bytes.data(), replay.len)); // same index again
}

TEST_P(SrtpProfiles, ReportsAreAuthenticatedButReadableBeforeVerification) {
    auto key = key_for(GetParam());
    auto tx = SrtpSession::outbound(GetParam(), key, 42);
    auto rx = SrtpSession::inbound(GetParam(), key);
    ASSERT_TRUE(tx && rx);
    std::array<std::uint8_t, kMaxReceiverReportSize + kSrtpMaxTrailer> buf{};
    std::size_t len = write_receiver_report(buf, ReceiverReport{42, "commune-07-r3", std::nullopt});
    ASSERT_GT(len, 0U);
    ASSERT_TRUE(tx->protect_rtcp(buf.data(), len, buf.size()));
    auto cname = peek_cname(std::span<const std::uint8_t>(buf.data(), len));
    ASSERT_TRUE(cname);
    EXPECT_EQ(*cname, "commune-07-r3");
    auto copy = buf;
    std::size_t copy_len = len;
    copy[10] ^= 0x40; // tamper with the clear text
    EXPECT_FALSE(rx->unprotect_rtcp(copy.data(), copy_len));
    EXPECT_TRUE(rx->unprotect_rtcp(buf.data(), len));
    auto again = buf; // replaying the verified packet fails
    std::size_t again_len = len;
    EXPECT_FALSE(rx->unprotect_rtcp(again.data(), again_len));
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpProfiles,
                         ::testing::Values(SrtpProfile::aes_cm_128_hmac_sha1_80,
                                           SrtpProfile::aead_aes_128_gcm));

TEST(Srtp, WrongKeyLengthIsAClearError) {
    std::vector<std::uint8_t> short_key(16);
    auto s = SrtpSession::outbound(SrtpProfile::aes_cm_128_hmac_sha1_80, short_key, 1);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message,
              "an AES_CM_128_HMAC_SHA1_80 key must be 30 bytes (master key + salt), got 16");
}

TEST(Srtp, ProfilesParseFromBothSpellings) {
    EXPECT_EQ(parse_srtp_profile("AEAD_AES_128_GCM"), SrtpProfile::aead_aes_128_gcm);
    EXPECT_EQ(parse_srtp_profile("aes_cm_128_hmac_sha1_80"), SrtpProfile::aes_cm_128_hmac_sha1_80);
    EXPECT_FALSE(parse_srtp_profile("AES_CM_128_HMAC_SHA1_32"));
}
