// What the web console's calendar and dashboard ask of the schedule: entries checked without
// saving (dry_run), entries updated in place, occurrences over a span, and stats.history.
#include "schedule_api_fixture.hpp"

using namespace loa::test; // NOLINT(google-build-using-namespace)

namespace {

constexpr std::int64_t kHour = 3600 * 1000;
/// 2027-01-15T00:00 in Hồ Chí Minh City (UTC+7), the manual clock's day.
constexpr std::int64_t kJan15 = 1799946000000;

std::int64_t ms_of(const json::value& v) {
    return v.as_int64();
}

TEST_F(ScheduleApiTest, ADryRunChecksAnEntryAndSavesNothing) {
    auto program = approved_program("Bản tin");
    auto params = entry(program, "70-001", "2027-01-16T06:30:00");
    params["dry_run"] = true;
    auto changes_before = changes;
    auto checked = call("entries.create", params);
    ASSERT_TRUE(checked.ok()) << checked.message;
    EXPECT_EQ(checked.result.at("ok"), json::value(true));
    EXPECT_TRUE(call("entries.list").result.as_array().empty());
    EXPECT_EQ(changes, changes_before);

    ASSERT_TRUE(call("entries.create", entry(program, "70-001", "2027-01-16T06:30:00")).ok());
    auto overlapping = call("entries.create", params);
    EXPECT_EQ(overlapping.code, rpc_code::kConflict);
    EXPECT_NE(overlapping.message.find("overlaps entry #"), std::string::npos)
        << overlapping.message;
    params["start"] = "2027-01-16T23:00:00";
    auto quiet = call("entries.create", params);
    EXPECT_EQ(quiet.code, rpc_code::kInvalidParams);
    EXPECT_NE(quiet.message.find("quiet hours"), std::string::npos) << quiet.message;
    EXPECT_EQ(call("entries.list").result.as_array().size(), 1U);
}

TEST_F(ScheduleApiTest, AnEntryIsUpdatedInPlaceAndNeverConflictsWithItself) {
    auto program = approved_program("Bản tin");
    auto id = call("entries.create", entry(program, "70-001", "2027-01-16T06:30:00"))
                  .result.at("id")
                  .as_int64();
    auto other = call("entries.create", entry(program, "70-001", "2027-01-16T09:00:00"));
    ASSERT_TRUE(other.ok()) << other.message;

    auto moved = entry(program, "70-001", "2027-01-16T06:35:00"); // overlaps its old self only
    moved["id"] = id;
    moved["rule"] = "FREQ=DAILY";
    auto updated = call("entries.update", moved);
    ASSERT_TRUE(updated.ok()) << updated.message;
    auto after = call("entries.list").result.as_array();
    ASSERT_EQ(after.size(), 2U);
    EXPECT_EQ(after[0].at("id").as_int64(), id);
    EXPECT_EQ(after[0].at("start"), json::value("2027-01-16T06:35:00"));
    EXPECT_EQ(after[0].at("rule"), json::value("FREQ=DAILY"));
    EXPECT_EQ(after[0].at("units"), (json::array{"70-001"}));

    moved["start"] = "2027-01-16T09:05:00"; // onto the other entry
    EXPECT_EQ(call("entries.update", moved).code, rpc_code::kConflict);
    EXPECT_EQ(call("entries.list").result.as_array()[0].at("start"),
              json::value("2027-01-16T06:35:00"));
    moved["id"] = 999;
    EXPECT_EQ(call("entries.update", moved).code, rpc_code::kNotFound);
}

TEST_F(ScheduleApiTest, OccurrencesOverASpanAreExpandedFromTheRules) {
    auto program = approved_program("Bản tin sáng");
    auto weekly = entry(program, "70-001", "2027-01-15T06:30:00"); // a Friday
    weekly["rule"] = "FREQ=WEEKLY;BYDAY=MO,FR";
    ASSERT_TRUE(call("entries.create", weekly).ok());
    ASSERT_TRUE(call("entries.create", entry(program, "70-002", "2027-03-01T07:00:00")).ok());
    auto week =
        call("entries.occurrences", {{"from_ms", kJan15}, {"to_ms", kJan15 + 7 * 24 * kHour}});
    ASSERT_TRUE(week.ok()) << week.message;
    const auto& rows = week.result.as_array();
    ASSERT_EQ(rows.size(), 2U); // Friday 15th and Monday 18th
    EXPECT_EQ(ms_of(rows[0].at("start_ms")), kJan15 + 6 * kHour + kHour / 2);
    EXPECT_EQ(ms_of(rows[1].at("start_ms")), kJan15 + 3 * 24 * kHour + 6 * kHour + kHour / 2);
    EXPECT_EQ(ms_of(rows[1].at("end_ms")) - ms_of(rows[1].at("start_ms")), 600 * 1000);
    EXPECT_EQ(rows[0].at("title"), json::value("Bản tin sáng"));
    EXPECT_EQ(rows[0].at("units"), (json::array{"70-001"}));
    EXPECT_EQ(call("entries.occurrences", {{"from_ms", kJan15}, {"to_ms", kJan15}}).code,
              rpc_code::kInvalidParams);
}

TEST_F(ScheduleApiTest, HistoryGivesClustersOnlineAndMinutesOnAirPerUnitAndDay) {
    auto program = approved_program("Bản tin");
    // 30 minutes on 70-001 yesterday evening, and 10 minutes still on air today.
    loa::schedules::AsRunRecord aired;
    aired.program = program;
    aired.title = "Bản tin";
    aired.channel = "70-001";
    aired.started_at = loa::schedules::Millis(std::chrono::milliseconds(kJan15 - 2 * kHour));
    auto id = store->open_as_run(aired);
    ASSERT_TRUE(id);
    ASSERT_TRUE(store->close_as_run(*id, aired.started_at + std::chrono::minutes(30), 2,
                                    loa::schedules::Outcome::completed));
    aired.started_at =
        loa::schedules::Millis(std::chrono::milliseconds(kJan15 + 15 * kHour - 600000));
    ASSERT_TRUE(store->open_as_run(aired));
    auto at = [](std::int64_t t) { return loa::schedules::Millis(std::chrono::milliseconds(t)); };
    samples = {{at(kJan15 - 20 * kHour), "70-001", 3, 4},
               {at(kJan15 - 10 * kHour), "70-001", 4, 4},
               {at(kJan15 + 1 * kHour), "70-001", 2, 4}};

    auto r = call("stats.history", {{"days", 7}});
    ASSERT_TRUE(r.ok()) << r.message;
    const auto& days = r.result.at("days").as_array();
    ASSERT_EQ(days.size(), 7U);
    EXPECT_EQ(days.back(), json::value("2027-01-15"));
    EXPECT_EQ(days[5], json::value("2027-01-14"));
    const json::value* commune = nullptr;
    for (const auto& u : r.result.at("units").as_array())
        if (u.at("unit") == json::value("70-001"))
            commune = &u;
    ASSERT_NE(commune, nullptr);
    EXPECT_EQ(commune->at("online_max").as_array()[5], json::value(4));
    EXPECT_EQ(commune->at("online_max").as_array()[6], json::value(2));
    EXPECT_EQ(commune->at("online_max").as_array()[0], json::value(nullptr));
    EXPECT_DOUBLE_EQ(commune->at("online_avg").as_array()[5].as_double(), 3.5);
    EXPECT_EQ(commune->at("clusters"), json::value(4));
    EXPECT_DOUBLE_EQ(commune->at("minutes_on_air").as_array()[5].to_number<double>(), 30.0);
    EXPECT_DOUBLE_EQ(commune->at("minutes_on_air").as_array()[6].to_number<double>(), 10.0);
    EXPECT_EQ(call("stats.history", {{"days", 0}}).code, rpc_code::kInvalidParams);
}

} // namespace
