// Relay URLs as callers give them: taken apart, refused when they would make the server fetch
// from its own neighbourhood, and shown back without credentials.
#include <gtest/gtest.h>

#include "loa/server/schedule/relay_url.hpp"

using namespace loa::server;

TEST(RelayUrl, IsTakenApartWithDefaultPorts) {
    auto u = parse_relay_url("HTTPS://user:pw@radio.example.vn/live?x=1");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->scheme, "https");
    EXPECT_EQ(u->userinfo, "user:pw");
    EXPECT_EQ(u->host, "radio.example.vn");
    EXPECT_EQ(u->port, 443);
    EXPECT_EQ(u->rest, "/live?x=1");
    auto v6 = parse_relay_url("rtsp://[2001:4860::8888]:8554/cam");
    ASSERT_TRUE(v6) << v6.error().message;
    EXPECT_EQ(v6->host, "2001:4860::8888");
    EXPECT_EQ(v6->port, 8554);
    EXPECT_EQ(parse_relay_url("http://a.vn")->port, 80);
}

TEST(RelayUrl, MalformedOnesAreRefusedWithTheReason) {
    for (const char* bad :
         {"ftp://x/", "file:///etc/passwd", "http://", "http://a b/", "http://x:0/",
          "http://x:65536/", "http://x:8o/", "http://[::1/", "http://[nothost]/", "http://x\\y/",
          "http://xn--\x01/", "javascript:alert(1)", "http://h_st/"})
        EXPECT_FALSE(parse_relay_url(bad)) << bad;
    EXPECT_EQ(parse_relay_url("gopher://x").error().message,
              "a relay needs an http://, https:// or rtsp:// URL");
}

TEST(RelayUrl, OnlyPublicAddressesAreReachableByDefault) {
    for (const char* address : {"127.0.0.1",
                                "127.9.9.9",
                                "10.0.0.1",
                                "172.16.0.1",
                                "172.31.255.255",
                                "192.168.1.1",
                                "169.254.169.254",
                                "100.64.0.1",
                                "0.0.0.0",
                                "224.0.0.1",
                                "255.255.255.255",
                                "::1",
                                "::",
                                "fe80::1",
                                "fd00::1",
                                "ff02::1",
                                "::ffff:127.0.0.1",
                                "::ffff:10.1.1.1",
                                "64:ff9b::a00:1",
                                "2002:7f00:1::",
                                "2001:db8::1",
                                "192.0.2.1",
                                "not an address"})
        EXPECT_FALSE(is_public_address(address)) << address;
    for (const char* address : {"8.8.8.8", "203.0.114.7", "172.32.0.1", "100.128.0.1",
                                "2001:4860:4860::8888", "::ffff:8.8.8.8", "2002:808:808::"})
        EXPECT_TRUE(is_public_address(address)) << address;
}

TEST(RelayUrl, AHostIsJudgedByEveryAddressItResolvesTo) {
    // Literal forms that resolve to loopback: the name, a decimal and a short form.
    for (const char* url : {"http://localhost/x", "http://2130706433/", "http://127.1/",
                            "http://0x7f.0.0.1/", "http://[::ffff:127.0.0.1]/"}) {
        auto checked = check_relay_url(url, false);
        ASSERT_FALSE(checked) << url;
        EXPECT_NE(checked.error().message.find("programs.allow_private_relays"), std::string::npos)
            << checked.error().message;
    }
    EXPECT_TRUE(check_relay_url("http://203.0.114.7:8000/live.mp3", false));
    EXPECT_TRUE(check_relay_url("http://127.0.0.1:9/x", true)); // the admin allowed it
    EXPECT_FALSE(check_relay_url("ftp://127.0.0.1/", true));
}

TEST(RelayUrl, CredentialsAreNeverShownBack) {
    EXPECT_EQ(redact_url("http://loa:bí-mật@203.0.114.7:8000/a@b"),
              "http://***@203.0.114.7:8000/a@b");
    EXPECT_EQ(redact_url("rtsp://user@cam/x"), "rtsp://***@cam/x");
    EXPECT_EQ(redact_url("https://radio.vn/live"), "https://radio.vn/live");
    EXPECT_EQ(redact_url("not a url"), "not a url");
}
