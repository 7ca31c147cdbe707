#include <fstream>
#include <gtest/gtest.h>

#include "loa/clients/receiver_settings.hpp"

using loa::clients::load_receiver_settings;
using loa::common::Config;
using loa::common::ConfigError;

namespace {

std::string error_of(const std::string& json) {
    try {
        load_receiver_settings(Config::parse(json, "t"));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST(ReceiverSettings, MinimalSettingsLoadWithDefaults) {
    auto s = load_receiver_settings(Config::parse(
        R"({"id": "r1", "server": "127.0.0.1:5004", "key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"})",
        "t"));
    EXPECT_EQ(s.server.to_string(), "127.0.0.1:5004");
    EXPECT_EQ(s.jitter_ms, 80);
    EXPECT_EQ(s.output, "");
    EXPECT_EQ(s.key.size(), 30U);
}

TEST(ReceiverSettings, ErrorsNameTheKey) {
    EXPECT_EQ(error_of(R"({"server": "127.0.0.1:5004"})"),
              "config key \"id\": is required (a string)");
    EXPECT_EQ(error_of(R"({"id": "r", "server": "127.0.0.1", "key": "x"})"),
              "config key \"server\": expected HOST:PORT, got \"127.0.0.1\"");
    EXPECT_NE(error_of(R"({"id": "r", "server": "127.0.0.1:1", "key": "AAAA"})")
                  .find("expected 30 bytes of base64"),
              std::string::npos);
    EXPECT_EQ(
        error_of(
            R"({"id": "r", "server": "127.0.0.1:1", "key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd", "jitter_ms": 5})"),
        "config key \"jitter_ms\": must be between 30 and 2000, got 5");
}

TEST(ReceiverSettings, KeyCanComeFromAFileKeptOutOfTheProcessList) {
    std::string path = ::testing::TempDir() + "/loa-receiver-key";
    std::ofstream(path) << "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\n";
    auto s = load_receiver_settings(Config::parse(
        R"({"id": "r1", "server": "127.0.0.1:5004", "key_file": ")" + path + R"("})", "t"));
    EXPECT_EQ(s.key.size(), 30U);
    EXPECT_EQ(s.key[29], 29);
    EXPECT_EQ(error_of(R"({"id": "r", "server": "127.0.0.1:1", "key_file": "/nonexistent/k"})"),
              "config key \"key_file\": cannot read a key from /nonexistent/k");
}
