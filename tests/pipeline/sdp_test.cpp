#include <gtest/gtest.h>

#include "loa/common/secret.hpp"
#include "loa/pipeline/sdp.hpp"

using namespace loa::pipeline;

TEST(Sdp, CarriesOpusAndTheReceiversKey) {
    SdpDescription d;
    d.receiver_id = "r7";
    d.listen_address = "127.0.0.1";
    d.listen_port = 6000;
    d.key.assign(30, 0xab);
    d.ssrc = 0x01020304;
    std::string sdp = make_sdp(d);
    EXPECT_NE(sdp.find("m=audio 6000 RTP/SAVP 96\r\n"), std::string::npos);
    EXPECT_NE(sdp.find("a=rtpmap:96 opus/48000/2\r\n"), std::string::npos);
    EXPECT_NE(sdp.find("c=IN IP4 127.0.0.1\r\n"), std::string::npos);
    EXPECT_NE(
        sdp.find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + loa::common::to_base64(d.key)),
        std::string::npos);
    EXPECT_NE(sdp.find("a=ssrc:16909060 cname:r7"), std::string::npos);
}
