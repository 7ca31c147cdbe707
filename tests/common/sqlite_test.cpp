#include <gtest/gtest.h>

#include "loa/common/sqlite.hpp"
#include "process.hpp"

using loa::common::Database;
using loa::common::Migration;
using loa::common::Transaction;

namespace {

/// A database file in a fresh folder that lives as long as the test.
struct DatabaseFile {
    explicit DatabaseFile(const std::string& name) : dir("sqlite-" + name) {}
    loa::test::TempDir dir;
    std::string path = dir.file("loa.db");
};

const std::vector<Migration> kSchema = {
    {1, "CREATE TABLE unit (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT);"},
    {2, "CREATE TABLE receiver (id TEXT PRIMARY KEY, unit INTEGER NOT NULL REFERENCES unit(id));"},
};

} // namespace

TEST(Database, MigrationsApplyOnceAndSurviveReopening) {
    DatabaseFile file("migrate");
    const auto& path = file.path;
    {
        Database db(path);
        db.migrate(kSchema);
        EXPECT_EQ(db.schema_version(), 2);
        ASSERT_TRUE(db.prepare("INSERT INTO unit (code, name) VALUES (?, ?)")
                        .bind(1, std::string_view("70"))
                        .bind(2, std::string_view("Bình Phước"))
                        .run());
    }
    Database again(path);
    again.migrate(kSchema); // nothing new: no error, no duplicate table
    auto s = again.prepare("SELECT code, name FROM unit");
    auto row = s.step();
    ASSERT_TRUE(row && *row);
    EXPECT_EQ(s.text(0), "70");
    EXPECT_EQ(s.text(1), "Bình Phước");
    auto mode = again.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(*mode.step());
    EXPECT_EQ(mode.text(0), "wal");
}

TEST(Database, ForeignKeysAreEnforced) {
    DatabaseFile file("fk");
    Database db(file.path);
    db.migrate(kSchema);
    auto bad = db.prepare("INSERT INTO receiver (id, unit) VALUES ('r1', 42)").run();
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("FOREIGN KEY"), std::string::npos);
}

TEST(Database, TransactionRollsBackUnlessCommitted) {
    DatabaseFile file("tx");
    Database db(file.path);
    db.migrate(kSchema);
    {
        Transaction tx(db);
        ASSERT_TRUE(db.prepare("INSERT INTO unit (code) VALUES ('a')").run());
    } // no commit
    {
        Transaction tx(db);
        ASSERT_TRUE(db.prepare("INSERT INTO unit (code) VALUES ('b')").run());
        ASSERT_TRUE(tx.commit());
    }
    auto s = db.prepare("SELECT group_concat(code) FROM unit");
    ASSERT_TRUE(*s.step());
    EXPECT_EQ(s.text(0), "b");
}

TEST(Database, ATransactionInsideAnotherIsASavepointThatTheOuterOneCommitsOrUndoes) {
    DatabaseFile file("nested");
    Database db(file.path);
    db.migrate(kSchema);
    auto codes = [&] {
        auto s = db.prepare("SELECT coalesce(group_concat(code), '') FROM unit");
        EXPECT_TRUE(*s.step());
        return s.text(0);
    };
    {
        Transaction outer(db);
        ASSERT_TRUE(db.prepare("INSERT INTO unit (code) VALUES ('a')").run());
        {
            Transaction inner(db);
            ASSERT_TRUE(db.prepare("INSERT INTO unit (code) VALUES ('b')").run());
        } // undone alone
        {
            Transaction inner(db);
            ASSERT_TRUE(db.prepare("INSERT INTO unit (code) VALUES ('c')").run());
            ASSERT_TRUE(inner.commit());
        }
        EXPECT_EQ(codes(), "a,c");
        ASSERT_TRUE(outer.commit());
    }
    EXPECT_EQ(codes(), "a,c");
    {
        Transaction outer(db);
        Transaction inner(db);
        ASSERT_TRUE(db.prepare("INSERT INTO unit (code) VALUES ('d')").run());
        ASSERT_TRUE(inner.commit());
    } // the outer one undoes what the inner one kept
    EXPECT_EQ(codes(), "a,c");
    EXPECT_FALSE(db.in_transaction());
    {
        // SQLite may end a transaction by itself (a full disk): what follows inside it is
        // refused rather than begun and committed on its own.
        Transaction outer(db);
        ASSERT_TRUE(db.execute("ROLLBACK"));
        EXPECT_THROW(Transaction inner(db), std::runtime_error);
    }
    Transaction after(db); // the connection is usable again
    ASSERT_TRUE(db.prepare("INSERT INTO unit (code) VALUES ('e')").run());
    ASSERT_TRUE(after.commit());
    EXPECT_EQ(codes(), "a,c,e");
}

TEST(Database, AWriteKeptWaitingSaysHowLongItWaitedAndAStaleReadSaysWhy) {
    DatabaseFile file("busy");
    Database writer(file.path);
    writer.migrate(kSchema);
    Database other(file.path);
    other.set_busy_timeout(std::chrono::milliseconds(200));
    {
        Transaction held(writer);
        auto insert = other.prepare("INSERT INTO unit (code) VALUES ('kept waiting')").run();
        ASSERT_FALSE(insert);
        EXPECT_NE(insert.error().message.find("database is locked, waited "), std::string::npos)
            << insert.error().message;
        EXPECT_NE(insert.error().message.find("kept waiting"), std::string::npos)
            << "names the statement";
        auto begin = other.execute("BEGIN IMMEDIATE");
        ASSERT_FALSE(begin);
        EXPECT_NE(begin.error().message.find("ms for another connection's write to end"),
                  std::string::npos)
            << begin.error().message;
    }
    // A read still open on `other` began before `writer`'s insert: no wait can make its
    // snapshot current, and the error says so at once.
    ASSERT_TRUE(other.prepare("INSERT INTO unit (code) VALUES ('a')").run());
    auto reading = other.prepare("SELECT code FROM unit");
    ASSERT_TRUE(*reading.step());
    ASSERT_TRUE(writer.prepare("INSERT INTO unit (code) VALUES ('b')").run());
    auto stale = other.prepare("INSERT INTO unit (code) VALUES ('c')").run();
    ASSERT_FALSE(stale);
    EXPECT_NE(stale.error().message.find("another connection wrote since this one began reading"),
              std::string::npos)
        << stale.error().message;
}

TEST(Database, NullsRoundTripAndBadSqlIsABug) {
    DatabaseFile file("null");
    Database db(file.path);
    db.migrate(kSchema);
    ASSERT_TRUE(db.prepare("INSERT INTO unit (code, name) VALUES ('c', ?)")
                    .bind(1, std::optional<std::string>())
                    .run());
    auto s = db.prepare("SELECT name FROM unit");
    ASSERT_TRUE(*s.step());
    EXPECT_FALSE(s.optional_text(0).has_value());
    EXPECT_THROW(db.prepare("SELEC nonsense"), std::logic_error);
}

TEST(Database, AFailedMigrationLeavesTheSchemaAsItWas) {
    DatabaseFile file("failed");
    const auto& path = file.path;
    Database db(path);
    db.migrate(kSchema);
    std::vector<Migration> broken = kSchema;
    broken.push_back({3, "CREATE TABLE x (id INTEGER); CREATE TABLE x (id INTEGER);"});
    EXPECT_THROW(db.migrate(broken), std::runtime_error);
    EXPECT_EQ(db.schema_version(), 2);
    auto s = db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'x'");
    ASSERT_TRUE(*s.step());
    EXPECT_EQ(s.integer(0), 0);
}
