// The provisioning bundle on the box: read and checked, and its device secret replaced in place
// by a rekey, everything else kept.

#include <boost/json.hpp>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "loa/clients/control_link.hpp"
#include "loa/common/persistent_counter.hpp"
#include "process.hpp"

namespace json = boost::json;
using loa::clients::read_bundle;
using loa::clients::save_secret;

TEST(Bundle, ARekeysSecretReplacesTheOldOneAndKeepsTheRest) {
    loa::test::TempDir dir("bundle");
    auto path = dir.file("bundle.json");
    std::ofstream(path) << R"({"server": "wss://loa.example.vn:8443", "id": "box-1", )"
                        << R"("secret": "old", "ca": "PEM", "note": "Thôn 3"})";
    ASSERT_TRUE(save_secret(path, "new"));
    auto bundle = read_bundle(path);
    ASSERT_TRUE(bundle) << bundle.error().message;
    EXPECT_EQ(bundle->secret, "new");
    EXPECT_EQ(bundle->server, "wss://loa.example.vn:8443");
    EXPECT_EQ(bundle->ca, "PEM");
    auto text = loa::common::read_file(path);
    EXPECT_EQ(json::parse(*text).at("note"), "Thôn 3") << "fields Loa does not read are kept";
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U) << "the secret is the box's alone";
}

TEST(Bundle, ASecretThatCannotBeSavedIsAnErrorAndTheFileStaysAsItWas) {
    loa::test::TempDir dir("bundle-bad");
    EXPECT_FALSE(save_secret(dir.file("missing.json"), "new"));
    auto path = dir.file("bundle.json");
    std::ofstream(path) << "not json";
    auto refused = save_secret(path, "new");
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("not a provisioning bundle"), std::string::npos);
    EXPECT_EQ(*loa::common::read_file(path), "not json");
}
