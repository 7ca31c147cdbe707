// Users, sessions and the audit log against a real SQLite file and a manual clock.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/auth_store.hpp"
#include "process.hpp"

using namespace loa::server;
using namespace std::chrono;

namespace {

class AuthStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<loa::test::TempDir>(
            std::string("auth-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        path = dir->file("loa.db");
        auth = std::make_unique<AuthStore>(path, clock);
    }

    std::string login(const std::string& name, const std::string& password,
                      const std::string& from = "10.0.0.1") {
        auto token = auth->login(name, password, from, hours(8));
        return token ? *token : "refused: " + token.error().message;
    }

    loa::common::ManualClock clock;
    std::unique_ptr<loa::test::TempDir> dir;
    std::string path;
    std::unique_ptr<AuthStore> auth;
};

} // namespace

TEST_F(AuthStoreTest, ALoginGivesATokenThatIdentifiesTheUserUntilItExpires) {
    ASSERT_TRUE(auth->create_user("tanlap", "mật khẩu dài đủ", Role::manager, {2}));
    auto token = login("tanlap", "mật khẩu dài đủ");
    ASSERT_EQ(token.find("refused"), std::string::npos) << token;
    EXPECT_GE(token.size(), 40U);
    auto user = auth->authenticate(token);
    ASSERT_TRUE(user) << user.error().message;
    EXPECT_EQ(user->name, "tanlap");
    EXPECT_EQ(user->role, Role::manager);
    EXPECT_EQ(user->units, (std::vector<std::int64_t>{2}));
    clock.advance(hours(8) + seconds(1));
    auto expired = auth->authenticate(token);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().code, loa::common::Errc::unauthorized);
}

TEST_F(AuthStoreTest, WrongPasswordsAndUnknownNamesGetTheSameAnswer) {
    ASSERT_TRUE(auth->create_user("tanlap", "mật khẩu dài đủ", Role::viewer, {}));
    EXPECT_EQ(login("tanlap", "sai mật khẩu rồi"), "refused: wrong name or password");
    EXPECT_EQ(login("nobody", "sai mật khẩu rồi", "10.0.0.2"), "refused: wrong name or password");
    EXPECT_FALSE(auth->authenticate("not-a-token"));
}

TEST_F(AuthStoreTest, NeitherPasswordsNorTokensAreStoredAsTheyAre) {
    ASSERT_TRUE(auth->create_user("admin2", "correct horse battery", Role::admin, {}));
    auto token = login("admin2", "correct horse battery");
    loa::common::Database db(path);
    auto hash = db.prepare("SELECT password_hash FROM user WHERE name = 'admin2'");
    ASSERT_TRUE(*hash.step());
    EXPECT_EQ(hash.text(0).rfind("$argon2id$", 0), 0U);
    EXPECT_EQ(hash.text(0).find("correct horse"), std::string::npos);
    auto sessions = db.prepare("SELECT token_hash FROM session");
    ASSERT_TRUE(*sessions.step());
    EXPECT_NE(sessions.text(0), token);
    EXPECT_EQ(sessions.text(0).size(), 64U); // SHA-256, hex
}

TEST_F(AuthStoreTest, RevokingAPasswordChangeOrDisablingEndsSessions) {
    ASSERT_TRUE(auth->create_user("a", "mật khẩu dài đủ", Role::viewer, {}));
    auto first = login("a", "mật khẩu dài đủ");
    auto second = login("a", "mật khẩu dài đủ");
    ASSERT_TRUE(auth->revoke(first));
    EXPECT_FALSE(auth->authenticate(first));
    EXPECT_TRUE(auth->authenticate(second));
    ASSERT_TRUE(auth->set_password("a", "một mật khẩu mới hơn"));
    EXPECT_FALSE(auth->authenticate(second));
    auto third = login("a", "một mật khẩu mới hơn");
    ASSERT_TRUE(auth->disable("a"));
    EXPECT_FALSE(auth->authenticate(third));
    EXPECT_EQ(login("a", "một mật khẩu mới hơn"), "refused: wrong name or password");
}

TEST_F(AuthStoreTest, FailuresSlowDownOneNameFromOneAddressAndNeverLockOthersOut) {
    ASSERT_TRUE(auth->create_user("tanlap", "mật khẩu dài đủ", Role::viewer, {}));
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(login("tanlap", "đoán mò " + std::to_string(i), "10.0.0.2"),
                  "refused: wrong name or password");
    // The sixth failure locks that name from that address for 1 s, unverified...
    EXPECT_EQ(login("tanlap", "mật khẩu dài đủ", "10.0.0.2"),
              "refused: too many failed logins from this address; try again in 1 s");
    // ...but never the right password from another address, nor another name from there.
    EXPECT_EQ(login("tanlap", "mật khẩu dài đủ", "10.0.0.1").find("refused"), std::string::npos);
    ASSERT_TRUE(auth->create_user("other", "mật khẩu khác dài", Role::viewer, {}));
    EXPECT_EQ(login("other", "mật khẩu khác dài", "10.0.0.2").find("refused"), std::string::npos);
    // Each failure past the lock doubles the wait: 1 s, 2 s, 4 s...
    clock.advance(seconds(1));
    EXPECT_EQ(login("tanlap", "đoán mò 7", "10.0.0.2"), "refused: wrong name or password");
    EXPECT_EQ(login("tanlap", "mật khẩu dài đủ", "10.0.0.2"),
              "refused: too many failed logins from this address; try again in 2 s");
    clock.advance(seconds(2));
    EXPECT_EQ(login("tanlap", "đoán mò 8", "10.0.0.2"), "refused: wrong name or password");
    EXPECT_EQ(login("tanlap", "mật khẩu dài đủ", "10.0.0.2"),
              "refused: too many failed logins from this address; try again in 4 s");
    // Once the wait has passed, the right password works and the count starts again.
    clock.advance(seconds(4));
    EXPECT_EQ(login("tanlap", "mật khẩu dài đủ", "10.0.0.2").find("refused"), std::string::npos);
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(login("tanlap", "lại đoán " + std::to_string(i), "10.0.0.2"),
                  "refused: wrong name or password");
}

TEST_F(AuthStoreTest, TheWaitGrowsToFifteenMinutesAtMostAndEndsWithTheRightPassword) {
    ASSERT_TRUE(auth->create_user("tanlap", "mật khẩu dài đủ", Role::viewer, {}));
    // A patient guesser waits out every lock: the waits double up to 15 minutes.
    int failures = 0;
    long long longest = 0;
    for (int tries = 0; failures < 20 && tries < 100; ++tries) {
        auto r = login("tanlap", "đoán " + std::to_string(tries), "10.0.0.2");
        auto at = r.find("try again in ");
        if (at == std::string::npos) {
            EXPECT_EQ(r, "refused: wrong name or password");
            ++failures;
            continue;
        }
        long long wait = std::stoll(r.substr(at + 13));
        EXPECT_GE(wait, longest);
        longest = wait;
        clock.advance(seconds(wait));
    }
    EXPECT_EQ(longest, 900);
    EXPECT_EQ(login("tanlap", "mật khẩu dài đủ", "10.0.0.2"),
              "refused: too many failed logins from this address; try again in 900 s");
    clock.advance(minutes(15));
    EXPECT_EQ(login("tanlap", "mật khẩu dài đủ", "10.0.0.2").find("refused"), std::string::npos);
}

TEST_F(AuthStoreTest, AnAddressTryingManyNamesIsSlowedDownAlone) {
    ASSERT_TRUE(auth->create_user("tanlap", "mật khẩu dài đủ", Role::viewer, {}));
    for (int i = 0; i < 21; ++i)
        EXPECT_EQ(login("name" + std::to_string(i), "đoán mò", "10.0.0.9"),
                  "refused: wrong name or password");
    EXPECT_EQ(login("tanlap", "mật khẩu dài đủ", "10.0.0.9"),
              "refused: too many failed logins from this address; try again in 1 s");
    EXPECT_EQ(login("tanlap", "mật khẩu dài đủ", "10.0.0.1").find("refused"), std::string::npos);
}

TEST_F(AuthStoreTest, ConcurrentGuessesCannotAllPassTheCheck) {
    ASSERT_TRUE(auth->create_user("tanlap", "mật khẩu dài đủ", Role::viewer, {}));
    // Each attempt counts before its (slow) verification: of 16 guesses at once from one
    // address, at most 6 are verified, the rest refused unverified.
    std::atomic<int> verified{0};
    std::vector<std::thread> guesses;
    for (int i = 0; i < 16; ++i)
        guesses.emplace_back([&, i] {
            auto r = login("tanlap", "đoán " + std::to_string(i), "10.0.0.2");
            if (r == "refused: wrong name or password")
                ++verified;
        });
    for (auto& g : guesses)
        g.join();
    EXPECT_LE(verified.load(), 6);
    EXPECT_GE(verified.load(), 1);
}

TEST_F(AuthStoreTest, CheckingAPasswordCountsLikeALogin) {
    ASSERT_TRUE(auth->create_user("tanlap", "mật khẩu dài đủ", Role::viewer, {}));
    EXPECT_TRUE(auth->check_password("tanlap", "mật khẩu dài đủ", "10.0.0.2"));
    for (int i = 0; i < 6; ++i)
        EXPECT_FALSE(auth->check_password("tanlap", "sai " + std::to_string(i), "10.0.0.2"));
    auto locked = auth->check_password("tanlap", "mật khẩu dài đủ", "10.0.0.2");
    ASSERT_FALSE(locked);
    EXPECT_NE(locked.error().message.find("too many failed logins"), std::string::npos);
}

TEST_F(AuthStoreTest, BadUsersAreRefusedWithTheReason) {
    EXPECT_EQ(auth->create_user("x", "short", Role::viewer, {}).error().message,
              "a password needs at least 10 characters");
    EXPECT_EQ(auth->create_user("m", "mật khẩu dài đủ", Role::manager, {}).error().message,
              "a manager needs at least one unit to act in");
    EXPECT_EQ(auth->create_user("two words", "mật khẩu dài đủ", Role::viewer, {}).error().code,
              loa::common::Errc::invalid_argument);
    ASSERT_TRUE(auth->create_user("v", "mật khẩu dài đủ", Role::viewer, {}));
    EXPECT_EQ(auth->create_user("v", "mật khẩu dài đủ", Role::viewer, {}).error().code,
              loa::common::Errc::already_exists);
}

TEST_F(AuthStoreTest, TheFirstStartMakesAnAdminWithARandomPasswordOnce) {
    auto first = auth->ensure_admin("");
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->has_value());
    EXPECT_GE((*first)->size(), 20U);
    EXPECT_EQ(login("admin", **first).find("refused"), std::string::npos);
    auto again = auth->ensure_admin("");
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->has_value());
    // Another installation, with the password given (from the environment or a file).
    loa::test::TempDir other("auth-given");
    AuthStore given(other.file("loa.db"), clock);
    auto chosen = given.ensure_admin("mật khẩu của tỉnh 2026");
    ASSERT_TRUE(chosen && chosen->has_value());
    EXPECT_TRUE(given.login("admin", "mật khẩu của tỉnh 2026", "local", hours(1)));
}

TEST_F(AuthStoreTest, TheAuditLogKeepsWhoWhatWhenAndFrom) {
    auto at = floor<milliseconds>(clock.system_now());
    ASSERT_TRUE(auth->record({0, at, "tanlap", "10.0.0.1", "entries.create",
                              "entry #4: Bản tin sáng, 70-001, daily 06:30"}));
    ASSERT_TRUE(auth->record(
        {0, at + seconds(1), "admin", "local", "units.merge", "70-002 merged into 70-001"}));
    auto rows = auth->audit(at, at + seconds(2));
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 2U);
    EXPECT_EQ((*rows)[0].who, "tanlap");
    EXPECT_EQ((*rows)[1].what, "units.merge");
    EXPECT_EQ(auth->audit(at + seconds(1), at + seconds(2))->size(), 1U);
}

TEST_F(AuthStoreTest, SharesTheDatabaseWithTheScheduleWithoutTouchingItsSchema) {
    loa::schedules::ScheduleStore schedule(path); // its own migrations, in the same file
    loa::schedules::Unit province;
    province.code = "70";
    province.name = "Bình Phước";
    ASSERT_TRUE(schedule.add_unit(province));
    AuthStore reopened(path, clock); // auth migrations already applied: nothing reruns
    ASSERT_TRUE(reopened.create_user("v", "mật khẩu dài đủ", Role::viewer, {}));
    EXPECT_EQ(schedule.units()->size(), 1U);
}

TEST_F(AuthStoreTest, ApiKeysAreShownOnceKeptHashedRotatedAndRevokedAtOnce) {
    auto made = auth->create_key("ioc", {7}, "admin");
    ASSERT_TRUE(made) << made.error().message;
    auto [key, secret] = *made;
    EXPECT_TRUE(is_api_key(secret));
    EXPECT_EQ(key.units, std::vector<std::int64_t>{7});
    EXPECT_TRUE(secret.starts_with(key.prefix));
    EXPECT_LT(key.prefix.size(), secret.size() / 2);
    // Only the digest is stored.
    loa::common::Database db(path);
    auto q = db.prepare("SELECT secret_hash FROM api_key");
    ASSERT_TRUE(q.step().value_or(false));
    EXPECT_NE(q.text(0), secret);
    EXPECT_EQ(q.text(0).size(), 64U);

    auto user = auth->authenticate(secret);
    ASSERT_TRUE(user) << user.error().message;
    EXPECT_EQ(user->role, Role::reporter);
    EXPECT_EQ(user->name, "key:ioc");
    EXPECT_EQ(user->units, std::vector<std::int64_t>{7});
    EXPECT_EQ(auth->keys()->front().uses, 1);
    EXPECT_FALSE(auth->create_key("ioc", {}, "admin")) << "names are unique";
    EXPECT_FALSE(auth->create_user("bot", "long enough password", Role::reporter, {}))
        << "a reporter is a key, never a user";

    auto generation = auth->sessions_generation();
    auto rotated = auth->rotate_key(key.id);
    ASSERT_TRUE(rotated);
    EXPECT_GT(auth->sessions_generation(), generation);
    EXPECT_FALSE(auth->authenticate(secret)) << "the old secret opens nothing";
    EXPECT_TRUE(auth->authenticate(rotated->second));

    ASSERT_TRUE(auth->revoke_key(key.id));
    EXPECT_FALSE(auth->authenticate(rotated->second)) << "revoked at once";
    EXPECT_TRUE(auth->keys()->front().revoked_at);
    EXPECT_FALSE(auth->rotate_key(key.id)) << "a revoked key stays revoked";
}
