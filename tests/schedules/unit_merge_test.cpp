// Merges of several units into one: what was theirs moves to the successor, history stays, a
// collision is listed and not dropped, and a refused merge changes nothing.
#include <algorithm>
#include <gtest/gtest.h>

#include "loa/schedules/store.hpp"
#include "process.hpp"

using namespace loa::schedules;
using namespace std::chrono;

namespace {

TimePoint vn(int y, unsigned m, unsigned d, int h) {
    return sys_days(year(y) / month(m) / day(d)) + hours(h - 7);
}

class UnitMergeTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<loa::test::TempDir>(
            std::string("unit-merge-") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        store = std::make_unique<ScheduleStore>(dir->file("schedule.db"));
        province = add("75", "Đồng Nai", std::nullopt);
        tan_lap = add("25117", "Xã Tân Lập", province);
        tan_hoa = add("25120", "Xã Tân Hòa", province);
        tan_binh = add("25123", "Xã Tân Bình", province, false);
        other = add("25126", "Phường Bình Phước", province);
        for (auto [id, unit] : {std::pair{"lap-1", tan_lap}, std::pair{"hoa-1", tan_hoa},
                                std::pair{"binh-1", tan_binh}, std::pair{"bp-1", other}})
            ASSERT_TRUE(store->put_cluster({id, unit, id}));
        lap_news = program(tan_lap, "Bản tin Tân Lập");
        hoa_news = program(tan_hoa, "Bản tin Tân Hòa");
        binh_news = program(tan_binh, "Bản tin Tân Bình");
        // 06:00 on Tân Lập and 06:15 on Tân Hòa overlap once both are one commune.
        lap_morning = entry(lap_news, {tan_lap}, "2026-06-01T06:00:00");
        hoa_morning = entry(hoa_news, {tan_hoa}, "2026-06-01T06:15:00");
        both_evening = entry(lap_news, {tan_lap, tan_hoa}, "2026-06-01T19:00:00");
        // 04:30 was allowed in Tân Bình (no quiet hours), not in Tân Lập (22:00-05:00).
        binh_dawn = entry(binh_news, {tan_binh}, "2026-06-01T04:30:00");
    }

    std::int64_t add(std::string code, std::string name, std::optional<std::int64_t> parent,
                     bool quiet_hours = true) {
        Unit u;
        u.code = std::move(code);
        u.name = std::move(name);
        u.parent = parent;
        if (!quiet_hours)
            u.quiet_start = u.quiet_end; // equal: none
        return *store->add_unit(u);
    }

    std::int64_t program(std::int64_t unit, std::string title) {
        Program p;
        p.unit = unit;
        p.kind = ProgramKind::tts;
        p.title = std::move(title);
        p.source = "Kính thưa bà con";
        auto id = *store->add_program(p);
        EXPECT_TRUE(store->decide(id, Approval::approved, "approver"));
        return id;
    }

    std::int64_t entry(std::int64_t program, std::vector<std::int64_t> units, std::string start) {
        Entry e{0,
                program,
                PriorityClass::normal,
                std::move(units),
                {},
                Recurrence{std::move(start), kDefaultTimeZone, "FREQ=DAILY", {}},
                minutes(30)};
        auto id = store->add_entry(e, now);
        EXPECT_TRUE(id) << (id ? "" : id.error().message);
        return id ? *id : 0;
    }

    Entry saved(std::int64_t id) {
        for (auto& e : *store->entries())
            if (e.id == id)
                return e;
        ADD_FAILURE() << "no entry #" << id;
        return {};
    }

    std::map<std::string, std::int64_t> cluster_units() {
        std::map<std::string, std::int64_t> out;
        for (const auto& c : *store->clusters())
            out[c.id] = c.unit;
        return out;
    }

    std::string refusal(const std::vector<std::int64_t>& units, std::int64_t into,
                        const std::string& date = "2026-07-01") {
        auto merged = store->merge_units(units, into, date, now);
        EXPECT_FALSE(merged);
        return merged ? "" : merged.error().message;
    }

    TimePoint now = vn(2026, 6, 1, 0);
    std::unique_ptr<loa::test::TempDir> dir;
    std::unique_ptr<ScheduleStore> store;
    std::int64_t province = 0, tan_lap = 0, tan_hoa = 0, tan_binh = 0, other = 0;
    std::int64_t lap_news = 0, hoa_news = 0, binh_news = 0;
    std::int64_t lap_morning = 0, hoa_morning = 0, both_evening = 0, binh_dawn = 0;
};

TEST_F(UnitMergeTest, ThreeCommunesBecomeOneThatKeepsAnOldCodeAndEverythingTheirsMoves) {
    std::vector<std::pair<std::int64_t, std::int64_t>> followed;
    auto merged =
        store->merge_units({tan_hoa, tan_binh}, tan_lap, "2026-07-01", now,
                           [&](loa::common::Database&, std::int64_t from, std::int64_t into) {
                               followed.emplace_back(from, into);
                               return loa::common::Result<void>{};
                           });
    ASSERT_TRUE(merged) << merged.error().message;

    for (auto gone : {tan_hoa, tan_binh}) {
        auto u = *store->unit(gone);
        EXPECT_EQ(u.merged_into, tan_lap);
        EXPECT_EQ(u.valid_to, "2026-07-01");
    }
    EXPECT_FALSE(store->unit(tan_lap)->merged_into);
    EXPECT_EQ(store->unit(tan_lap)->code, "25117"); // the same code, a larger territory

    // Clusters, programs and entries are the successor's; nothing was dropped.
    EXPECT_EQ(cluster_units(),
              (std::map<std::string, std::int64_t>{
                  {"bp-1", other}, {"binh-1", tan_lap}, {"hoa-1", tan_lap}, {"lap-1", tan_lap}}));
    EXPECT_EQ(merged->clusters, (std::vector<std::string>{"hoa-1", "binh-1"}));
    for (auto p : {lap_news, hoa_news, binh_news})
        EXPECT_EQ(store->program(p)->unit, tan_lap);
    EXPECT_EQ(merged->programs, (std::vector<std::int64_t>{hoa_news, binh_news}));
    EXPECT_EQ(store->entries()->size(), 4U);
    for (auto e : {lap_morning, hoa_morning, both_evening, binh_dawn})
        EXPECT_EQ(saved(e).units, (std::vector<std::int64_t>{tan_lap})) << "entry #" << e;
    EXPECT_EQ(merged->entries, (std::vector<std::int64_t>{hoa_morning, both_evening, binh_dawn}));
    EXPECT_EQ(followed, (std::vector<std::pair<std::int64_t, std::int64_t>>{{tan_hoa, tan_lap},
                                                                            {tan_binh, tan_lap}}));

    // What now breaks a rule is listed for a person, and kept.
    std::map<std::int64_t, std::string> problems;
    for (const auto& c : merged->collisions)
        problems[c.entry] += c.problem;
    ASSERT_EQ(problems.size(), 2U) << ::testing::PrintToString(merged->collisions.size());
    EXPECT_NE(problems[hoa_morning].find("overlaps entry #" + std::to_string(lap_morning)),
              std::string::npos)
        << problems[hoa_morning];
    EXPECT_NE(problems[binh_dawn].find("quiet hours"), std::string::npos) << problems[binh_dawn];

    // The schedule reaches the old communes' clusters through the successor.
    auto scheduled = *store->scheduled_entries();
    auto dawn = std::find_if(scheduled.begin(), scheduled.end(),
                             [&](const ScheduledEntry& s) { return s.id == binh_dawn; });
    ASSERT_NE(dawn, scheduled.end());
    EXPECT_NE(std::find(dawn->channels.begin(), dawn->channels.end(), "25117"),
              dawn->channels.end());

    // The merged units keep their names and codes for history and search.
    auto found = store->find_units("tan binh", 10);
    ASSERT_TRUE(found);
    ASSERT_EQ(found->size(), 1U);
    EXPECT_EQ(found->front().unit.code, "25123");
    EXPECT_EQ(found->front().unit.merged_into, tan_lap);
}

TEST_F(UnitMergeTest, AnEmergencyUnderWayOnAMergedCommuneReachesItsClustersOnTheSuccessor) {
    OverrideRecord emergency;
    emergency.kind = Override::Kind::emergency;
    emergency.program = hoa_news;
    emergency.units = {tan_hoa};
    emergency.started_by = "admin";
    ASSERT_TRUE(store->start_override(emergency));
    ASSERT_TRUE(store->merge_units({tan_hoa}, tan_lap, "2026-07-01", now));
    auto active = *store->active_overrides();
    ASSERT_EQ(active.size(), 1U);
    EXPECT_NE(std::find(active[0].channels.begin(), active[0].channels.end(), "25117"),
              active[0].channels.end())
        << "the channel its receivers are on now";
}

TEST_F(UnitMergeTest, AProvinceMergedIntoAnotherTakesItsCommunesAlong) {
    Unit binh_phuoc;
    binh_phuoc.code = "70";
    binh_phuoc.name = "Bình Phước";
    auto old_province = *store->add_unit(binh_phuoc);
    Unit commune;
    commune.code = "25200";
    commune.name = "Phường Đồng Xoài";
    commune.parent = old_province;
    auto dong_xoai = *store->add_unit(commune);
    auto merged = store->merge_units({old_province}, province, "2026-07-01", now);
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->units, (std::vector<std::int64_t>{dong_xoai}));
    EXPECT_EQ(store->unit(dong_xoai)->parent, province);
}

TEST_F(UnitMergeTest, ARefusedMergeChangesNothing) {
    EXPECT_NE(refusal({tan_hoa, tan_lap}, tan_lap).find("into itself"), std::string::npos);
    EXPECT_NE(refusal({tan_hoa, tan_hoa}, tan_lap).find("named twice"), std::string::npos);
    EXPECT_NE(refusal({}, tan_lap).find("name the units"), std::string::npos);
    // The second is refused after the first was merged: the first is undone too.
    EXPECT_NE(
        refusal({tan_hoa, province}, tan_lap).find("province cannot be merged into a commune"),
        std::string::npos);
    EXPECT_FALSE(store->unit(tan_hoa)->merged_into);
    EXPECT_EQ(cluster_units().at("hoa-1"), tan_hoa);
    EXPECT_EQ(store->program(hoa_news)->unit, tan_hoa);
    EXPECT_EQ(saved(hoa_morning).units, (std::vector<std::int64_t>{tan_hoa}));

    // A follower that fails undoes the whole merge as well.
    auto failed = store->merge_units({tan_hoa}, tan_lap, "2026-07-01", now,
                                     [](loa::common::Database&, std::int64_t, std::int64_t) {
                                         return loa::common::Result<void>(loa::common::make_error(
                                             loa::common::Errc::io_error, "disk full"));
                                     });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message, "disk full");
    EXPECT_FALSE(store->unit(tan_hoa)->merged_into);
    EXPECT_EQ(cluster_units().at("hoa-1"), tan_hoa);

    // Merged once, a unit cannot be merged again, nor receive another.
    ASSERT_TRUE(store->merge_units({tan_hoa}, tan_lap, "2026-07-01", now));
    EXPECT_NE(refusal({tan_hoa}, other).find("was merged into"), std::string::npos);
    EXPECT_NE(refusal({other}, tan_hoa).find("merge into the unit it became"), std::string::npos);
}

} // namespace
