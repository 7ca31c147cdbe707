#include <gtest/gtest.h>

#include "loa/common/config.hpp"

using loa::common::Config;
using loa::common::ConfigError;

namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST(Config, ReadsTypedValuesWithDefaults) {
    auto c = Config::parse(R"({"media": {"port": 5006, "bind": "10.0.0.1"}, "x": true})", "t");
    auto media = c.root().object("media");
    EXPECT_EQ(media.integer("port", 1, 65535), 5006);
    EXPECT_EQ(media.string("bind"), "10.0.0.1");
    EXPECT_EQ(media.integer("workers", 0, 8, 3), 3);
    EXPECT_TRUE(c.root().boolean("x"));
}

TEST(Config, ErrorsNameTheKeyAndWhatIsWrong) {
    auto c = Config::parse(R"({"media": {"port": "abc", "big": 70000}})", "t");
    auto media = c.root().object("media");
    EXPECT_EQ(error_of([&] { media.integer("port", 1, 65535); }),
              "config key \"media.port\": expected an integer between 1 and 65535, got \"abc\"");
    EXPECT_EQ(error_of([&] { media.integer("big", 1, 65535); }),
              "config key \"media.big\": must be between 1 and 65535, got 70000");
    EXPECT_EQ(error_of([&] { media.string("missing"); }),
              "config key \"media.missing\": is required (a string)");
}

TEST(Config, UnknownKeysAreRefusedWithASuggestion) {
    auto c = Config::parse(R"({"media": {"prot": 1}})", "t");
    EXPECT_EQ(error_of([&] {
                  c.root().object("media").reject_unknown_keys({"port", "bind"});
              }),
              "config key \"media.prot\": unknown key; did you mean \"port\"?");
}

TEST(Config, ChoicesListTheAllowedWords) {
    auto c = Config::parse(R"({"profile": "aes"})", "t");
    EXPECT_EQ(error_of([&] {
                  c.root().choice("profile", {"a", "b"});
              }),
              "config key \"profile\": unknown value \"aes\"; expected one of: a, b");
}

TEST(Config, ListsOfObjectsCarryTheirIndexInErrors) {
    auto c = Config::parse(R"({"receivers": [{"id": "a"}, {"id": 5}]})", "t");
    auto items = c.root().objects("receivers");
    ASSERT_EQ(items.size(), 2U);
    EXPECT_EQ(error_of([&] { items[1].string("id"); }),
              "config key \"receivers[1].id\": expected a string, got 5");
}

TEST(Config, MalformedJsonSaysSo) {
    EXPECT_NE(error_of([] {
                  Config::parse("{\"a\": ", "server.json");
              }).find("server.json: not valid JSON"),
              std::string::npos);
    EXPECT_EQ(error_of([] { Config::load_file("/nonexistent/loa.json"); }),
              "/nonexistent/loa.json: cannot open the configuration file");
}

TEST(Config, OverridesSetNestedKeysAsJsonOrString) {
    auto c = Config::parse("{}", "t");
    c.apply_override("media.port=5008");
    c.apply_override("media.bind=127.0.0.1");
    EXPECT_EQ(c.root().object("media").integer("port", 1, 65535), 5008);
    EXPECT_EQ(c.root().object("media").string("bind"), "127.0.0.1");
    EXPECT_EQ(error_of([&] { c.apply_override("nonsense"); }),
              "--set \"nonsense\": expected KEY.PATH=VALUE");
}
