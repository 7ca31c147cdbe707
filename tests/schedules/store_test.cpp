#include <algorithm>
#include <gtest/gtest.h>

#include "loa/schedules/store.hpp"
#include "process.hpp"

using namespace loa::schedules;
using namespace std::chrono;

namespace {

Unit unit_of(std::string code, std::string name, std::optional<std::int64_t> parent) {
    Unit u;
    u.code = std::move(code);
    u.name = std::move(name);
    u.parent = parent;
    return u;
}

Program program_of(std::int64_t unit, ProgramKind kind, std::string title, std::string source) {
    Program p;
    p.unit = unit;
    p.kind = kind;
    p.title = std::move(title);
    p.source = std::move(source);
    return p;
}

TimePoint vn(int y, unsigned m, unsigned d, int h, int min) {
    return sys_days(year(y) / month(m) / day(d)) + hours(h - 7) + minutes(min);
}

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<loa::test::TempDir>(
            std::string("store-") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        path = dir->file("schedule.db");
        store = std::make_unique<ScheduleStore>(path);
        province = *store->add_unit(unit_of("70", "Bình Phước", std::nullopt));
        commune1 = *store->add_unit(unit_of("70-001", "Xã Tân Lập", province));
        commune2 = *store->add_unit(unit_of("70-002", "Xã Tân Hòa", province));
        news = *store->add_program(
            program_of(province, ProgramKind::tts, "Bản tin sáng", "Kính thưa..."));
        ASSERT_TRUE(store->decide(news, Approval::approved, "approver"));
    }

    Entry at(std::int64_t program, PriorityClass priority, std::vector<std::int64_t> units,
             std::string start, std::string rule, minutes duration) {
        return {0,        program,
                priority, std::move(units),
                {},       Recurrence{std::move(start), kDefaultTimeZone, std::move(rule), {}},
                duration};
    }

    /// Starts an emergency of `news` on `unit`, the only one active; the channels it reaches,
    /// sorted.
    std::vector<std::string> emergency_channels(std::int64_t unit) {
        OverrideRecord emergency;
        emergency.kind = Override::Kind::emergency;
        emergency.program = news;
        emergency.units = {unit};
        emergency.started_by = "admin";
        EXPECT_TRUE(store->start_override(emergency));
        auto active = store->active_overrides();
        if (!active || active->size() != 1U) {
            ADD_FAILURE() << "not one active override";
            return {};
        }
        auto channels = active->front().channels;
        std::sort(channels.begin(), channels.end());
        return channels;
    }

    std::string error_of(const Entry& e) {
        auto r = store->add_entry(e, now);
        return r ? "saved" : r.error().message;
    }

    TimePoint now = vn(2026, 11, 22, 12, 0);
    std::unique_ptr<loa::test::TempDir> dir;
    std::string path;
    std::unique_ptr<ScheduleStore> store;
    std::int64_t province = 0, commune1 = 0, commune2 = 0, news = 0;
};

} // namespace

TEST_F(StoreTest, AProvinceEntryReachesItsCommunesAndSurvivesReopening) {
    ASSERT_TRUE(store->add_entry(at(news, PriorityClass::normal, {province}, "2026-11-23T06:30:00",
                                    "FREQ=DAILY", minutes(30)),
                                 now));
    store = std::make_unique<ScheduleStore>(path); // a restart
    auto entries = store->scheduled_entries();
    ASSERT_TRUE(entries);
    ASSERT_EQ(entries->size(), 1U);
    EXPECT_EQ((*entries)[0].channels, (std::vector<std::string>{"70", "70-001", "70-002"}));
    auto airing = resolve(*entries, {}, vn(2026, 12, 5, 6, 45));
    ASSERT_TRUE(airing);
    EXPECT_EQ((*airing)["70-002"].program, news);
}

TEST_F(StoreTest, OverlapsOfTheSameClassAreRefusedNamingTheOtherEntry) {
    auto first = store->add_entry(at(news, PriorityClass::normal, {commune1}, "2026-11-23T06:30:00",
                                     "FREQ=DAILY", minutes(30)),
                                  now);
    ASSERT_TRUE(first);
    // The same class on the province overlaps on the commune.
    EXPECT_EQ(error_of(at(news, PriorityClass::normal, {province}, "2026-11-25T06:45:00", "",
                          minutes(10))),
              "overlaps entry #" + std::to_string(*first) +
                  " (\"Bản tin sáng\", normal) on \"70-001\" at 2026-11-25T06:45:00; two entries "
                  "of the same class cannot overlap on a unit or cluster");
    // Another commune, another time, or another class: fine.
    EXPECT_EQ(error_of(at(news, PriorityClass::normal, {commune2}, "2026-11-25T06:45:00", "",
                          minutes(10))),
              "saved");
    EXPECT_EQ(error_of(at(news, PriorityClass::normal, {commune1}, "2026-11-25T07:00:00", "",
                          minutes(10))),
              "saved");
    EXPECT_EQ(error_of(at(news, PriorityClass::priority, {commune1}, "2026-11-25T06:45:00", "",
                          minutes(10))),
              "saved");
}

TEST_F(StoreTest, QuietHoursRefuseNormalAndPriorityButNotEmergencies) {
    EXPECT_EQ(error_of(at(news, PriorityClass::normal, {commune1}, "2026-11-24T03:15:00", "",
                          minutes(10))),
              "the occurrence at 2026-11-24T03:15:00 falls in the quiet hours of \"70-001\" "
              "(22:00-05:00), when only emergency entries may play; move it or make it an "
              "emergency");
    // A weekly entry whose later occurrence runs into 22:00.
    EXPECT_NE(error_of(at(news, PriorityClass::priority, {commune1}, "2026-11-23T21:50:00",
                          "FREQ=WEEKLY", minutes(20)))
                  .find("quiet hours"),
              std::string::npos);
    EXPECT_EQ(error_of(at(news, PriorityClass::emergency, {commune1}, "2026-11-24T03:15:00", "",
                          minutes(10))),
              "saved");
}

TEST_F(StoreTest, AMergedUnitCannotBeTargeted) {
    ASSERT_TRUE(store->merge_unit(commune2, commune1, "2026-07-01"));
    EXPECT_EQ(error_of(at(news, PriorityClass::normal, {commune2}, "2026-11-25T06:45:00", "",
                          minutes(10))),
              "target unit \"70-002\" (Xã Tân Hòa) ended on 2026-07-01; it was merged into "
              "\"70-001\" (Xã Tân Lập), target that instead");
    auto unit = store->unit_by_code("70-002"); // its history stays searchable
    ASSERT_TRUE(unit);
    EXPECT_EQ(unit->merged_into, commune1);
}

TEST_F(StoreTest, AMergedCommunesClustersAreReachedThroughItsSuccessorAndItsProvince) {
    ASSERT_TRUE(store->put_cluster({"loa-tan-hoa", commune2, ""}));
    ASSERT_TRUE(store->merge_unit(commune2, commune1, "2026-07-01"));
    auto channels_of_entry = [&](std::vector<std::int64_t> units) {
        auto id = store->add_entry(at(news, PriorityClass::normal, std::move(units),
                                      "2026-11-25T08:00:00", "", minutes(10)),
                                   now);
        EXPECT_TRUE(id) << id.error().message;
        for (const auto& e : *store->scheduled_entries())
            if (id && e.id == *id) {
                EXPECT_TRUE(store->remove_entry(*id));
                return e.channels;
            }
        return std::vector<std::string>{};
    };
    // Its clusters still play on its own channel until they are moved: whoever targets the
    // commune it went into, or the province, reaches them.
    EXPECT_EQ(channels_of_entry({commune1}), (std::vector<std::string>{"70-001", "70-002"}));
    EXPECT_EQ(channels_of_entry({province}), (std::vector<std::string>{"70", "70-001", "70-002"}));
    EXPECT_EQ(emergency_channels(province), (std::vector<std::string>{"70", "70-001", "70-002"}));
}

TEST_F(StoreTest, AMergeThatCannotBeIsRefusedAndNamesTheUnits) {
    auto commune3 = *store->add_unit(unit_of("70-003", "Xã Tân Phú", province));
    auto other = *store->add_unit(unit_of("75", "Đồng Nai", std::nullopt));
    auto refusal = [&](std::int64_t from, std::int64_t into, const std::string& date) {
        auto merged = store->merge_unit(from, into, date);
        return merged ? std::string("merged") : merged.error().message;
    };
    EXPECT_EQ(refusal(commune1, commune1, "2026-07-01"), "a unit cannot be merged into itself");
    EXPECT_EQ(refusal(province, commune1, "2026-07-01"),
              "a province cannot be merged into a commune: \"70\" (Bình Phước) into \"70-001\" "
              "(Xã Tân Lập)");
    EXPECT_EQ(refusal(commune1, other, "2026-07-01"),
              "a commune is merged into a commune, not into a province: \"70-001\" (Xã Tân "
              "Lập) into \"75\" (Đồng Nai)");
    EXPECT_EQ(refusal(commune1, commune2, "2025-06-30"),
              "a merge on 2025-06-30 comes before \"70-001\" (Xã Tân Lập) began (2025-07-01)");

    ASSERT_EQ(refusal(commune2, commune1, "2026-07-01"), "merged");
    EXPECT_EQ(refusal(commune2, commune3, "2026-08-01"),
              "unit \"70-002\" (Xã Tân Hòa) was merged into \"70-001\" (Xã Tân Lập) on "
              "2026-07-01 already");
    EXPECT_EQ(refusal(commune1, commune2, "2026-08-01"),
              "merging \"70-001\" (Xã Tân Lập) into \"70-002\" (Xã Tân Hòa) would make a "
              "cycle: \"70-002\" (Xã Tân Hòa) was merged into \"70-001\" (Xã Tân Lập)");
    ASSERT_EQ(refusal(commune1, commune3, "2026-08-01"), "merged");
    EXPECT_EQ(refusal(commune3, commune2, "2026-09-01"),
              "merging \"70-003\" (Xã Tân Phú) into \"70-002\" (Xã Tân Hòa) would make a "
              "cycle: \"70-002\" (Xã Tân Hòa) was merged into \"70-003\" (Xã Tân Phú)")
        << "a cycle at two removes";
    auto fourth = *store->add_unit(unit_of("70-004", "Xã Tân Tiến", province));
    EXPECT_EQ(refusal(fourth, commune1, "2026-09-01"),
              "unit \"70-001\" (Xã Tân Lập) ended on 2026-08-01 (merged into \"70-003\" (Xã "
              "Tân Phú)): merge into the unit it became");
    auto ended = *store->add_unit(unit_of("70-009", "Xã Cũ", province));
    ASSERT_TRUE(loa::common::Database(path).execute(
        "UPDATE unit SET valid_to = '2026-01-01' WHERE code = '70-009'"));
    EXPECT_EQ(refusal(ended, fourth, "2026-09-01"), "unit \"70-009\" (Xã Cũ) ended on 2026-01-01");
    EXPECT_EQ(refusal(fourth, ended, "2026-09-01"),
              "unit \"70-009\" (Xã Cũ) ends on 2026-01-01: a unit cannot be merged into a unit "
              "that no longer exists")
        << "retired by the national list, merged into nothing";
    EXPECT_EQ(refusal(province, other, "2026-07-01"), "merged") << "provinces merge too";
    // Province-wide still reaches every cluster of the merged province's communes.
    EXPECT_EQ(
        emergency_channels(other),
        (std::vector<std::string>{"70", "70-001", "70-002", "70-003", "70-004", "70-009", "75"}));
}

TEST_F(StoreTest, OnlyApprovedProgramsGoOnAirWhereApprovalIsRequired) {
    auto draft =
        *store->add_program(program_of(province, ProgramKind::file, "Nhạc", "/media/x.ogg"));
    EXPECT_EQ(error_of(at(draft, PriorityClass::normal, {commune1}, "2026-11-25T08:00:00", "",
                          minutes(10))),
              "program #" + std::to_string(draft) +
                  " \"Nhạc\" is draft: unit \"70\" requires approval before a program is "
                  "scheduled");
    ASSERT_TRUE(store->decide(draft, Approval::approved, "chairman"));
    EXPECT_EQ(error_of(at(draft, PriorityClass::normal, {commune1}, "2026-11-25T08:00:00", "",
                          minutes(10))),
              "saved");
    EXPECT_EQ(store->program(draft)->decided_by, "chairman");
}

TEST_F(StoreTest, BadInputIsRefusedAndNothingIsHalfWritten) {
    EXPECT_NE(error_of(at(news, PriorityClass::normal, {commune1}, "2026-11-25T08:00:00",
                          "FREQ=OFTEN", minutes(10)))
                  .find("RRULE"),
              std::string::npos);
    EXPECT_EQ(error_of(at(news, PriorityClass::normal, {}, "2026-11-25T08:00:00", "", minutes(10))),
              "an entry needs at least one target: a unit or a cluster");
    EXPECT_NE(
        error_of(at(news, PriorityClass::normal, {999}, "2026-11-25T08:00:00", "", minutes(10)))
            .find("no unit #999"),
        std::string::npos);
    EXPECT_TRUE(store->entries()->empty());
    EXPECT_FALSE(store->add_unit(unit_of("70", "duplicate code", std::nullopt)));
}

TEST_F(StoreTest, ALiveBroadcastKeepsItsClassAllowsOneSpeakerPerChannelAndBecomesItsRecording) {
    auto voice = *store->add_program(
        program_of(commune1, ProgramKind::live, "Trực tiếp", "live voice of manager-a"));
    OverrideRecord live;
    live.kind = Override::Kind::live;
    live.priority = PriorityClass::priority;
    live.program = voice;
    live.units = {commune1};
    live.started_by = "manager-a";
    auto id = store->start_override(live);
    ASSERT_TRUE(id) << id.error().message;
    auto saved = store->override_record(*id);
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->kind, Override::Kind::live);
    EXPECT_EQ(saved->priority, PriorityClass::priority);
    EXPECT_EQ(store->active_overrides()->front().priority, PriorityClass::priority);

    // A second speaker on a channel the first reaches (the province covers 70-001) is refused
    // with who speaks; another commune is free.
    OverrideRecord second = live;
    second.started_by = "admin";
    second.units = {province};
    auto refused = store->start_override(second);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, loa::common::Errc::already_exists);
    EXPECT_NE(refused.error().message.find("manager-a"), std::string::npos)
        << refused.error().message;
    second.units = {commune2};
    EXPECT_TRUE(store->start_override(second));
    // A live broadcast needs its program, as an emergency does.
    OverrideRecord bare = live;
    bare.program.reset();
    bare.units = {province};
    EXPECT_FALSE(store->start_override(bare));

    // Ended, its program is the recording: a draft file that can be approved and scheduled.
    ASSERT_TRUE(store->end_override(*id, "manager-a", Millis(milliseconds(2000))));
    ASSERT_TRUE(store->keep_recording(voice, "abc.ogg", milliseconds(61000), "recording"));
    auto kept = store->program(voice);
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->kind, ProgramKind::file);
    EXPECT_EQ(kept->media, "abc.ogg");
    EXPECT_EQ(kept->duration, milliseconds(61000));
    EXPECT_EQ(kept->approval, Approval::draft);
    EXPECT_FALSE(kept->emergency_record);
}

TEST_F(StoreTest, QuietHoursNowAreFoundForTheUnitsATargetReaches) {
    auto awake = unit_of("70-003", "Xã Thức", province);
    awake.quiet_start = awake.quiet_end = "00:00"; // no quiet hours
    auto market = *store->add_unit(awake);
    auto night = vn(2026, 11, 23, 23, 30);
    auto noon = vn(2026, 11, 23, 12, 0);
    EXPECT_TRUE(store->check_quiet_now({market}, {}, night, kDefaultTimeZone));
    auto refused = store->check_quiet_now({province}, {}, night, kDefaultTimeZone);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("quiet hours (22:00-05:00)"), std::string::npos)
        << refused.error().message;
    EXPECT_TRUE(store->check_quiet_now({province}, {}, noon, kDefaultTimeZone));
}
