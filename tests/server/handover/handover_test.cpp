#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "loa/common/secret.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/auth_store.hpp"
#include "loa/server/handover/handover.hpp"
#include "loa/server/monitoring/online_history.hpp"
#include "loa/server/receivers/registry.hpp"
#include "loa/server/supervision/alarm_book.hpp"
#include "process.hpp"

using loa::server::export_handover;
using loa::server::HandoverImport;
using loa::server::HandoverMapping;
using loa::server::HandoverPlaces;
using loa::server::import_handover;
using loa::server::open_handover;
namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

/// A server's state folder with every component's tables, as a running server has them.
struct State {
    explicit State(const std::string& dir)
        : places{dir + "/loa.db", dir + "/media", dir + "/handover"} {
        fs::create_directories(places.media_dir);
        loa::schedules::ScheduleStore store(places.database);
        loa::server::AuthStore auth(places.database, clock);
        loa::server::OnlineHistory history(places.database);
        loa::server::AlarmBook alarms(places.database, clock,
                                      [](const loa::server::Alarm&, loa::server::AlarmEvent) {});
    }

    std::int64_t add_unit(const std::string& code, const std::string& name,
                          std::optional<std::int64_t> parent = std::nullopt) {
        loa::schedules::ScheduleStore store(places.database);
        loa::schedules::Unit unit;
        unit.code = code;
        unit.name = name;
        unit.parent = parent;
        auto id = store.add_unit(unit);
        EXPECT_TRUE(id) << id.error().message;
        return id ? *id : 0;
    }

    void run(const std::string& sql) {
        loa::common::Database db(places.database);
        auto done = db.execute(sql);
        ASSERT_TRUE(done) << done.error().message;
    }

    std::int64_t count(const std::string& sql) {
        loa::common::Database db(places.database, loa::common::Database::Access::read_only);
        auto s = db.prepare(sql);
        EXPECT_TRUE(*s.step()) << sql;
        return s.integer(0);
    }

    std::string text(const std::string& sql) {
        loa::common::Database db(places.database, loa::common::Database::Access::read_only);
        auto s = db.prepare(sql);
        EXPECT_TRUE(*s.step()) << sql;
        return s.text(0);
    }

    loa::common::ManualClock clock;
    HandoverPlaces places;
};

/// Province 70 (Bình Phước) with communes 70001 and 70002 and 70003 merged into 70001; the
/// commune 70001 with a cluster and its receiver, a program with its audio, an entry, history.
class HandoverTest : public ::testing::Test {
protected:
    void SetUp() override {
        province_a = a.add_unit("70", "Bình Phước");
        commune_a = a.add_unit("70001", "Phường Đồng Xoài", province_a);
        other_a = a.add_unit("70002", "Xã Tân Lợi", province_a);
        auto merged = a.add_unit("70003", "Xã Tiến Hưng", province_a);
        a.run("UPDATE unit SET valid_to = '2025-07-01', merged_into = " +
              std::to_string(commune_a) + " WHERE id = " + std::to_string(merged));
        a.run("INSERT INTO cluster (id, unit, name) VALUES ('dx-1', " + std::to_string(commune_a) +
              ", 'Chợ Đồng Xoài'), ('tl-1', " + std::to_string(other_a) + ", 'Tân Lợi')");
        loa::server::ReceiverRegistry registry(a.places.database, a.clock,
                                               loa::pipeline::SrtpProfile::aead_aes_128_gcm);
        auto provisioned = registry.provision("dx-1", commune_a, "Chợ Đồng Xoài", "admin");
        ASSERT_TRUE(provisioned);
        secret = provisioned->secret;
        audio = std::string(50000, 'x');
        audio_name = loa::common::sha256_hex(audio) + ".ogg";
        std::ofstream(a.places.media_dir + "/" + audio_name, std::ios::binary) << audio;
        auto commune = std::to_string(commune_a);
        a.run("INSERT INTO program (id, unit, kind, title, source, media, approval, decided_by) "
              "VALUES (7, " +
              commune + ", 'file', 'Bản tin phường', 'bantin.ogg', '" + audio_name +
              "', 'approved', 'duyet'), (8, " + std::to_string(province_a) +
              ", 'relay', 'Đài tỉnh', 'http://radio.example/live', '', 'approved', 'duyet')");
        a.run("INSERT INTO schedule_entry (id, program, priority, start_local, time_zone, rule, "
              "duration_s) VALUES (3, 7, 'normal', '2026-11-01T06:00:00', 'Asia/Ho_Chi_Minh', "
              "'FREQ=DAILY', 600), (4, 8, 'normal', '2026-11-01T18:00:00', 'Asia/Ho_Chi_Minh', "
              "'FREQ=DAILY', 1800)");
        a.run("INSERT INTO entry_target (entry, unit) VALUES (3, " + commune + "), (4, " +
              std::to_string(province_a) + ")");
        // The history: the commune's own airing, the province's program heard on its channel,
        // and a province airing elsewhere (which stays behind).
        a.run("INSERT INTO as_run (program, entry, priority, channel, started_at_ms, ended_at_ms, "
              "receivers, outcome, played) VALUES (7, 3, 'normal', '70001', 1000, 2000, 1, "
              "'completed', 1), (8, 4, 'normal', '70001', 3000, 4000, 1, 'completed', 1), (8, 4, "
              "'normal', '70002', 3000, 4000, 1, 'completed', 1), (7, 3, 'normal', '70003', 500, "
              "600, 1, 'completed', 1)");
        a.run("INSERT INTO alarm (kind, severity, subject, unit, raised_ms, text_vi, text_en, "
              "figures) VALUES ('cluster_offline', 'major', 'dx-1', " +
              commune + ", 5000, 'Mất kết nối', 'Offline', '{}')");
        a.run("INSERT INTO user (id, name, password_hash, role) VALUES (5, 'dongxoai', 'x', "
              "'manager'), (6, 'tinh', 'x', 'admin')");
        a.run("INSERT INTO user_unit (user, unit) VALUES (5, " + commune + ")");
        a.run("INSERT INTO audit (at_ms, who, from_address, what, summary) VALUES (100, "
              "'dongxoai', '10.0.0.5', 'entries.create', 'entry 3'), (200, 'tinh', '10.0.0.1', "
              "'units.merge', '70003 into 70001')");
        a.run("INSERT INTO online_sample (at_ms, unit, online, clusters) VALUES (1000, '70001', 1, "
              "1), (1000, '70002', 1, 1)");

        province_b = b.add_unit("75", "Đồng Nai");
        commune_b = b.add_unit("75001", "Phường Trấn Biên", province_b);
    }

    loa::server::HandoverArchive exported(const std::vector<std::string>& codes = {"70001"}) {
        auto archive = export_handover(a.places, codes, "Bình Phước", a.clock.system_now());
        EXPECT_TRUE(archive) << archive.error().message;
        // Carried to the other server (a copy into its handover folder).
        fs::create_directories(b.places.folder);
        fs::copy_file(a.places.folder + "/" + archive->name, b.places.folder + "/" + archive->name);
        return *archive;
    }

    HandoverImport imported(const std::string& name, std::map<std::string, std::string> codes,
                            bool dry_run = false) {
        loa::server::ReceiverRegistry registry(b.places.database, b.clock,
                                               loa::pipeline::SrtpProfile::aead_aes_128_gcm);
        HandoverMapping mapping;
        mapping.codes = std::move(codes);
        mapping.date = "2026-12-01";
        mapping.now_ms = 9000;
        mapping.dry_run = dry_run;
        mapping.receiver_key = [&registry] { return registry.new_stored_key(); };
        auto done = import_handover(b.places, name, mapping);
        EXPECT_TRUE(done) << done.error().message;
        return *done;
    }

    loa::test::TempDir root{"handover"};
    State a{root.file("a")};
    State b{root.file("b")};
    std::int64_t province_a = 0, commune_a = 0, other_a = 0, province_b = 0, commune_b = 0;
    std::string secret, audio, audio_name;
};

} // namespace

TEST_F(HandoverTest, AnExportHoldsTheCommuneItsPredecessorsAndTheirHistoryAndNoKey) {
    auto archive = exported();
    EXPECT_EQ(archive.units, std::vector<std::string>{"70001"});
    EXPECT_EQ(archive.counts["units"], 2);    // 70001 and 70003, merged into it
    EXPECT_EQ(archive.counts["clusters"], 1); // not Tân Lợi's
    EXPECT_EQ(archive.counts["receivers"], 1);
    EXPECT_EQ(archive.counts["entries"], 1);  // the province's entry stays with it
    EXPECT_EQ(archive.counts["programs"], 2); // its own, and the province's it played
    EXPECT_EQ(archive.counts["as_run"], 3);   // on 70001 and 70003, not 70002
    EXPECT_EQ(archive.counts["alarms"], 1);
    EXPECT_EQ(archive.counts["audit"], 1); // its own user's, not the province admin's
    EXPECT_EQ(archive.counts["online_samples"], 1);
    EXPECT_EQ(archive.counts["media"], 1);
    loa::common::Database file(a.places.folder + "/" + archive.name,
                               loa::common::Database::Access::read_only);
    auto columns = file.prepare("SELECT group_concat(name) FROM pragma_table_info('receiver')");
    ASSERT_TRUE(*columns.step());
    EXPECT_EQ(columns.text(0).find("key"), std::string::npos) << columns.text(0);
    auto whole = export_handover(a.places, {}, "Bình Phước", a.clock.system_now());
    ASSERT_TRUE(whole) << whole.error().message;
    EXPECT_EQ(whole->counts["units"], 4);
    EXPECT_EQ(whole->counts["as_run"], 4);
    EXPECT_EQ(whole->counts["audit"], 2);
    EXPECT_NE(whole->name, archive.name);
    auto unknown = export_handover(a.places, {"79999"}, "", a.clock.system_now());
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("79999"), std::string::npos);
}

TEST_F(HandoverTest, AnImportWithNewCodesAddsTheCommuneUnderTheProvinceWithItsHistory) {
    auto archive = exported();
    auto done = imported(archive.name, {{"70", "75"}, {"70001", "75101"}});
    ASSERT_TRUE(done.refused.empty()) << done.refused.front();
    ASSERT_EQ(done.units.size(), 2U);
    EXPECT_EQ(done.units[0].code, "70001");
    EXPECT_EQ(done.units[0].as, "75101");
    EXPECT_EQ(done.units[0].action, "added");
    EXPECT_EQ(done.added_units, (std::vector<std::string>{"75101", "70003"}));
    loa::schedules::ScheduleStore store(b.places.database);
    auto unit = store.unit_by_code("75101");
    ASSERT_TRUE(unit);
    EXPECT_EQ(unit->parent, province_b);
    EXPECT_EQ(unit->name, "Phường Đồng Xoài");
    // The old code finds it; the predecessor stays merged into it.
    auto bore = store.unit_that_bore("70001");
    ASSERT_TRUE(bore && *bore);
    EXPECT_EQ((*bore)->id, unit->id);
    auto predecessor = store.unit_by_code("70003");
    ASSERT_TRUE(predecessor);
    EXPECT_EQ(predecessor->merged_into, unit->id);
    // Its cluster and receiver: the receiver's own secret opens here, with a key of its own.
    EXPECT_EQ(b.count("SELECT unit FROM cluster WHERE id = 'dx-1'"), unit->id);
    loa::server::ReceiverRegistry registry(b.places.database, b.clock,
                                           loa::pipeline::SrtpProfile::aead_aes_128_gcm);
    auto receiver = registry.check_secret("dx-1", secret);
    ASSERT_TRUE(receiver) << receiver.error().message;
    EXPECT_EQ(receiver->unit, unit->id);
    EXPECT_FALSE(receiver->key.empty());
    // Its programs, their approval and audio, and its entry, aimed at it.
    EXPECT_EQ(b.count("SELECT count(*) FROM program WHERE unit = " + std::to_string(unit->id) +
                      " AND approval = 'approved' AND decided_by = 'duyet'"),
              2);
    EXPECT_TRUE(fs::exists(b.places.media_dir + "/" + audio_name));
    auto entries = store.entries();
    ASSERT_TRUE(entries);
    ASSERT_EQ(entries->size(), 1U);
    EXPECT_EQ(entries->front().units, std::vector<std::int64_t>{unit->id});
    EXPECT_EQ(done.entries, std::vector<std::int64_t>{entries->front().id});
    // The history keeps the codes as they were.
    EXPECT_EQ(b.count("SELECT count(*) FROM as_run WHERE channel = '70001'"), 2);
    EXPECT_EQ(b.count("SELECT count(*) FROM as_run WHERE channel = '70003'"), 1);
    EXPECT_EQ(b.count("SELECT count(*) FROM alarm WHERE unit = " + std::to_string(unit->id) +
                      " AND cleared_ms = 9000"),
              1);
    EXPECT_EQ(b.text("SELECT who FROM audit WHERE what = 'entries.create'"), "dongxoai");
    EXPECT_EQ(b.count("SELECT online FROM online_sample WHERE unit = '70001'"), 1);
    EXPECT_EQ(done.added.at("as_run"), 3);
    // Twice is refused: the history would be there twice.
    auto again = imported(archive.name, {{"70", "75"}, {"70001", "75101"}});
    ASSERT_EQ(again.refused.size(), 1U);
    EXPECT_NE(again.refused.front().find("imported here already"), std::string::npos);
}

TEST_F(HandoverTest, AUnitSplitWithTheCommuneAsAPartComesAsItsPredecessor) {
    auto split = std::to_string(a.add_unit("70004", "Xã Tân Thành", province_a));
    a.run("UPDATE unit SET valid_to = '2025-07-01' WHERE id = " + split);
    a.run("INSERT INTO unit_split (unit, part, date) VALUES (" + split + ", " +
          std::to_string(commune_a) + ", '2025-07-01'), (" + split + ", " +
          std::to_string(other_a) + ", '2025-07-01')");
    a.run("INSERT INTO as_run (program, entry, priority, channel, started_at_ms, ended_at_ms, "
          "receivers, outcome, played) VALUES (7, 3, 'normal', '70004', 100, 200, 1, "
          "'completed', 1)");
    auto archive = exported();
    EXPECT_EQ(archive.counts["units"], 3);  // 70001, 70003 merged into it, 70004 split
    EXPECT_EQ(archive.counts["splits"], 1); // not into 70002, which stays
    EXPECT_EQ(archive.counts["as_run"], 4); // 70004's history too
    auto done = imported(archive.name, {{"70", "75"}, {"70001", "75101"}});
    ASSERT_TRUE(done.refused.empty()) << done.refused.front();
    loa::schedules::ScheduleStore store(b.places.database);
    auto part = store.unit_by_code("75101");
    auto whole = store.unit_by_code("70004");
    ASSERT_TRUE(part && whole);
    EXPECT_EQ(whole->valid_to, "2025-07-01");
    EXPECT_EQ(store.split_from(part->id).value(), std::vector<std::int64_t>{whole->id});
    auto parts = store.split_into(whole->id);
    ASSERT_TRUE(parts);
    EXPECT_EQ(parts->first, std::vector<std::int64_t>{part->id});
    EXPECT_EQ(parts->second, "2025-07-01");
    EXPECT_EQ(b.count("SELECT count(*) FROM as_run WHERE channel = '70004'"), 1);
}

TEST_F(HandoverTest, AnImportOntoACodeInUseMergesIntoThatUnitKeepingTheOldCodeAsFormer) {
    auto archive = exported();
    auto done = imported(archive.name, {{"70", "75"}, {"70001", "75001"}});
    ASSERT_TRUE(done.refused.empty()) << done.refused.front();
    EXPECT_EQ(done.units[0].action, "merged");
    loa::schedules::ScheduleStore store(b.places.database);
    auto bore = store.unit_that_bore("70001");
    ASSERT_TRUE(bore && *bore);
    EXPECT_EQ((*bore)->id, commune_b);
    EXPECT_EQ(store.unit_by_code("75001")->name, "Phường Trấn Biên"); // its own name stays
    EXPECT_EQ(b.count("SELECT unit FROM cluster WHERE id = 'dx-1'"), commune_b);
}

TEST_F(HandoverTest, ALaterArchiveOfTheSameUnitsAddsOnlyWhatIsNew) {
    auto first = exported();
    ASSERT_TRUE(imported(first.name, {{"70", "75"}, {"70001", "75101"}}).refused.empty());
    // A's commune goes on airing until its clusters move.
    a.run("INSERT INTO as_run (program, entry, priority, channel, started_at_ms, ended_at_ms, "
          "receivers, outcome, played) VALUES (7, 3, 'normal', '70001', 8000, 9000, 1, "
          "'completed', 1)");
    a.clock.advance(std::chrono::seconds(1));
    auto second = exported();
    ASSERT_NE(second.name, first.name);
    auto done = imported(second.name, {{"70", "75"}, {"70001", "75101"}});
    ASSERT_TRUE(done.refused.empty()) << done.refused.front();
    EXPECT_EQ(done.units.at(0).action, "merged");
    EXPECT_EQ(done.added.at("as_run"), 1);
    EXPECT_EQ(done.added.at("programs"), 0);
    EXPECT_EQ(done.added.at("entries"), 0);
    EXPECT_EQ(done.added.at("audit"), 0);
    EXPECT_EQ(b.count("SELECT count(*) FROM as_run"), 4);
    EXPECT_EQ(b.count("SELECT count(*) FROM schedule_entry"), 1);
    EXPECT_EQ(b.count("SELECT count(*) FROM receiver"), 1);
    EXPECT_EQ(b.count("SELECT count(*) FROM unit_former_name WHERE code = '70001'"), 1);
}

TEST_F(HandoverTest, SeveralUnitsOfTheArchiveMayBecomeOneHere) {
    auto archive = exported();
    auto done = imported(archive.name, {{"70", "75"}, {"70001", "75001"}, {"70003", "75001"}});
    ASSERT_TRUE(done.refused.empty()) << done.refused.front();
    EXPECT_EQ(done.units.at(0).action, "merged");
    EXPECT_EQ(done.units.at(1).action, "merged");
    EXPECT_EQ(b.count("SELECT count(*) FROM as_run"), 3);
    EXPECT_EQ(
        b.count("SELECT count(*) FROM entry_target WHERE unit = " + std::to_string(commune_b)), 1);
}

TEST_F(HandoverTest, ADryRunShowsTheImportAndChangesNothing) {
    auto archive = exported();
    auto units = b.count("SELECT count(*) FROM unit");
    auto done = imported(archive.name, {{"70", "75"}, {"70001", "75101"}}, true);
    EXPECT_TRUE(done.dry_run);
    EXPECT_TRUE(done.refused.empty());
    EXPECT_EQ(done.added.at("as_run"), 3);
    EXPECT_EQ(done.added.at("receivers"), 1);
    EXPECT_EQ(b.count("SELECT count(*) FROM unit"), units);
    EXPECT_EQ(b.count("SELECT count(*) FROM as_run"), 0);
    EXPECT_EQ(b.count("SELECT count(*) FROM receiver"), 0);
    EXPECT_FALSE(fs::exists(b.places.media_dir + "/" + audio_name));
    // The real one after it is not "imported already".
    EXPECT_TRUE(imported(archive.name, {{"70", "75"}, {"70001", "75101"}}).refused.empty());
}

TEST_F(HandoverTest, RefusedImportsSayWhyAndChangeNothing) {
    auto archive = exported();
    // The province above the commune is not mapped to one here.
    auto unmapped = imported(archive.name, {});
    ASSERT_FALSE(unmapped.refused.empty());
    EXPECT_NE(unmapped.refused.front().find("map it to one"), std::string::npos)
        << unmapped.refused.front();
    // A commune onto a province, a code of the wrong length.
    auto onto_province = imported(archive.name, {{"70", "75"}, {"70001", "75"}});
    EXPECT_NE(onto_province.refused.front().find("cannot merge into the province"),
              std::string::npos)
        << onto_province.refused.front();
    auto bad_code = imported(archive.name, {{"70", "75"}, {"70001", "7510"}});
    EXPECT_NE(bad_code.refused.front().find("5 digits"), std::string::npos);
    // The cluster is another unit's here.
    b.run("INSERT INTO cluster (id, unit, name) VALUES ('dx-1', " + std::to_string(commune_b) +
          ", 'Trấn Biên')");
    auto taken = imported(archive.name, {{"70", "75"}, {"70001", "75101"}});
    ASSERT_EQ(taken.refused.size(), 1U);
    EXPECT_NE(taken.refused.front().find("cluster dx-1"), std::string::npos);
    EXPECT_EQ(b.count("SELECT count(*) FROM unit"), 2);
    EXPECT_EQ(b.count("SELECT count(*) FROM program"), 0);
}

TEST_F(HandoverTest, ADamagedOrAlteredArchiveIsRefused) {
    auto archive = exported();
    auto path = b.places.folder + "/" + archive.name;
    {
        loa::common::Database file(path);
        ASSERT_TRUE(file.execute("UPDATE as_run SET receivers = 400"));
        ASSERT_TRUE(file.execute("PRAGMA journal_mode=DELETE"));
    }
    auto altered = open_handover(b.places.folder, archive.name);
    ASSERT_FALSE(altered);
    EXPECT_NE(altered.error().message.find("does not match its digest"), std::string::npos);
    fs::resize_file(path, fs::file_size(path) / 2);
    EXPECT_FALSE(open_handover(b.places.folder, archive.name));
    std::ofstream(b.places.folder + "/loa-handover-x.sqlite") << "not a database";
    auto garbage = open_handover(b.places.folder, "loa-handover-x.sqlite");
    ASSERT_FALSE(garbage);
    EXPECT_NE(garbage.error().message.find("not"), std::string::npos);
    for (const auto* name : {"../a/loa.db", "../loa.sqlite", ".partial-x.sqlite", "x.db"}) {
        auto refused = open_handover(b.places.folder, name);
        ASSERT_FALSE(refused) << name;
        EXPECT_NE(refused.error().message.find("file's name"), std::string::npos) << name;
    }
    EXPECT_TRUE(loa::server::list_handovers(b.places.folder).empty());
}
