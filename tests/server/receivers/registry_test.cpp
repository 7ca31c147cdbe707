// The provisioned receivers in a real SQLite file: found by their secret and only by it, their
// volume, mute and key kept across reopening, and gone for good once unprovisioned.
#include <cmath>
#include <filesystem>
#include <gtest/gtest.h>

#include "loa/common/clock.hpp"
#include "loa/server/receivers/registry.hpp"
#include "process.hpp"

using namespace loa;
using server::ReceiverRegistry;

namespace {

constexpr std::int64_t kUnit = 7;

class ReceiverRegistryTest : public ::testing::Test {
protected:
    std::unique_ptr<ReceiverRegistry>
    open(pipeline::SrtpProfile profile = pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80) {
        return std::make_unique<ReceiverRegistry>(dir.file("loa.db"), clock, profile);
    }

    server::Provisioned provision(ReceiverRegistry& r, const std::string& id) {
        auto made = r.provision(id, kUnit, "Thôn 3", "admin");
        if (!made)
            throw std::runtime_error(made.error().message);
        return *made;
    }

    test::TempDir dir{"receiver-registry"};
    common::ManualClock clock;
};

} // namespace

TEST_F(ReceiverRegistryTest, AReceiverIsFoundByItsSecretAndOnlyByIt) {
    auto registry = open();
    auto made = provision(*registry, "box-1");
    EXPECT_EQ(made.record.key.size(), 30U);
    EXPECT_GE(made.secret.size(), 32U);

    auto found = registry->check_secret("box-1", made.secret);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->unit, kUnit);
    EXPECT_EQ(found->name, "Thôn 3");
    EXPECT_EQ(found->provisioned_by, "admin");
    EXPECT_EQ(found->key, made.record.key);

    auto wrong = registry->check_secret("box-1", made.secret + "x");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, common::Errc::unauthorized);
    auto unknown = registry->check_secret("box-2", made.secret);
    ASSERT_FALSE(unknown);
    // A wrong id and a wrong secret read the same: nothing tells which ids exist.
    EXPECT_EQ(unknown.error().message, wrong.error().message);
    EXPECT_FALSE(registry->check_secret("box-1", ""));
}

TEST_F(ReceiverRegistryTest, TheSecretIsNotKeptInClear) {
    auto registry = open();
    auto made = provision(*registry, "box-1");
    registry.reset();
    for (const auto& file : std::filesystem::directory_iterator(dir.path()))
        EXPECT_EQ(test::read_file(file.path().string()).find(made.secret), std::string::npos)
            << file.path();
}

TEST_F(ReceiverRegistryTest, BadIdsAndAnIdInUseAreRefused) {
    auto registry = open();
    for (const auto& id : std::vector<std::string>{"", "box 1", "box/1", std::string(65, 'a')}) {
        auto made = registry->provision(id, kUnit, "", "admin");
        ASSERT_FALSE(made) << "\"" << id << "\"";
        EXPECT_EQ(made.error().code, common::Errc::invalid_argument);
    }
    EXPECT_TRUE(registry->provision(std::string(64, 'a'), kUnit, "", "admin"));
    auto first = provision(*registry, "xa-a_01.b");
    auto again = registry->provision("xa-a_01.b", kUnit, "", "admin");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, common::Errc::already_exists);
    EXPECT_TRUE(registry->check_secret("xa-a_01.b", first.secret)) << "the first one is intact";
}

TEST_F(ReceiverRegistryTest, VolumeAndMuteSurviveReopeningTheDatabase) {
    auto registry = open();
    provision(*registry, "box-1");
    auto set = registry->set_output("box-1", 0.35, true);
    ASSERT_TRUE(set) << set.error().message;
    EXPECT_DOUBLE_EQ(set->volume, 0.35);
    EXPECT_TRUE(set->muted);
    // Only what is given changes.
    ASSERT_TRUE(registry->set_output("box-1", std::nullopt, std::nullopt));
    registry.reset();

    registry = open();
    auto found = registry->find("box-1");
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_DOUBLE_EQ(found->volume, 0.35);
    EXPECT_TRUE(found->muted);
    auto louder = registry->set_output("box-1", 2.0, std::nullopt);
    ASSERT_TRUE(louder);
    EXPECT_DOUBLE_EQ(louder->volume, 2.0);
    EXPECT_TRUE(louder->muted);
}

TEST_F(ReceiverRegistryTest, AVolumeOutsideZeroToTwoIsRefusedAndChangesNothing) {
    auto registry = open();
    provision(*registry, "box-1");
    for (double v : {-0.1, 2.01, std::nan("")}) {
        auto set = registry->set_output("box-1", v, true);
        ASSERT_FALSE(set) << v;
        EXPECT_EQ(set.error().code, common::Errc::invalid_argument);
        EXPECT_NE(set.error().message.find("volume"), std::string::npos);
    }
    auto found = registry->find("box-1");
    EXPECT_DOUBLE_EQ(found->volume, 1.0);
    EXPECT_FALSE(found->muted);
    auto missing = registry->set_output("box-2", 0.5, std::nullopt);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, common::Errc::not_found);
}

TEST_F(ReceiverRegistryTest, ACompletedRekeyReplacesKeyAndSecretForGood) {
    auto registry = open();
    auto made = provision(*registry, "box-1");
    auto key = registry->new_key();
    ASSERT_EQ(key.size(), made.record.key.size());
    ASSERT_NE(key, made.record.key);
    ASSERT_TRUE(registry->offer_secret("box-1", "new-secret"));
    ASSERT_TRUE(registry->complete_rekey("box-1", key));
    registry.reset();

    registry = open();
    EXPECT_FALSE(registry->check_secret("box-1", made.secret)); // a copied bundle is dead
    auto found = registry->check_secret("box-1", "new-secret");
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->key, key);
    EXPECT_FALSE(found->rotation_owed);
    auto missing = registry->complete_rekey("box-2", key);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, common::Errc::not_found);
}

TEST_F(ReceiverRegistryTest, AnUnansweredRekeyIsSettledByTheSecretTheReceiverComesBackWith) {
    auto registry = open();
    auto made = provision(*registry, "box-1");
    // The receiver kept the new secret: from its hello on, the old one opens nothing.
    ASSERT_TRUE(registry->offer_secret("box-1", "kept"));
    ASSERT_TRUE(registry->check_secret("box-1", "kept"));
    EXPECT_FALSE(registry->check_secret("box-1", made.secret));
    EXPECT_TRUE(registry->check_secret("box-1", "kept"));

    // It did not keep it: its hello with the old secret withdraws the offer.
    auto other = provision(*registry, "box-2");
    ASSERT_TRUE(registry->offer_secret("box-2", "lost"));
    ASSERT_TRUE(registry->check_secret("box-2", other.secret));
    EXPECT_FALSE(registry->check_secret("box-2", "lost"));
    // A refused rekey withdraws it at once.
    ASSERT_TRUE(registry->offer_secret("box-2", "refused"));
    ASSERT_TRUE(registry->withdraw_secret("box-2"));
    EXPECT_FALSE(registry->check_secret("box-2", "refused"));
    EXPECT_TRUE(registry->check_secret("box-2", other.secret));
}

TEST_F(ReceiverRegistryTest, AnOfflineRekeyStoresTheKeyAndOwesARotation) {
    auto registry = open();
    auto made = provision(*registry, "box-1");
    auto key = registry->new_key();
    ASSERT_TRUE(registry->set_key_owing_rotation("box-1", key));
    registry.reset();
    registry = open();
    auto found = registry->check_secret("box-1", made.secret);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->key, key);
    EXPECT_TRUE(found->rotation_owed);
    ASSERT_TRUE(registry->complete_rekey("box-1", registry->new_key()));
    EXPECT_FALSE(registry->find("box-1")->rotation_owed);
}

TEST_F(ReceiverRegistryTest, KeysAreMadeForTheProfile) {
    EXPECT_EQ(open(pipeline::SrtpProfile::aead_aes_128_gcm)->new_key().size(), 28U);
    EXPECT_EQ(open()->new_key().size(), 30U);
}

TEST_F(ReceiverRegistryTest, UnprovisionRemovesTheReceiverAndItsSecretForGood) {
    auto registry = open();
    auto gone = provision(*registry, "box-1");
    provision(*registry, "box-2");
    ASSERT_TRUE(registry->unprovision("box-1"));

    auto found = registry->find("box-1");
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().code, common::Errc::not_found);
    EXPECT_FALSE(registry->check_secret("box-1", gone.secret));
    auto all = registry->all();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1U);
    EXPECT_EQ((*all)[0].id, "box-2");
    auto twice = registry->unprovision("box-1");
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, common::Errc::not_found);

    // The id may be provisioned again: a new secret and key; the old secret stays dead.
    registry.reset();
    registry = open();
    auto again = provision(*registry, "box-1");
    EXPECT_NE(again.secret, gone.secret);
    EXPECT_NE(again.record.key, gone.record.key);
    EXPECT_FALSE(registry->check_secret("box-1", gone.secret));
    EXPECT_TRUE(registry->check_secret("box-1", again.secret));
}
