#include <gtest/gtest.h>

#include "loa/schedules/recurrence.hpp"

using namespace loa::schedules;
using namespace std::chrono;

namespace {

TimePoint utc(int y, unsigned m, unsigned d, int h, int min) {
    return sys_days(year(y) / month(m) / day(d)) + hours(h) + minutes(min);
}

std::vector<TimePoint> expand(const Recurrence& r, TimePoint from, TimePoint to) {
    auto result = occurrences(r, from, to);
    EXPECT_TRUE(result) << (result ? "" : result.error().message);
    return result ? *result : std::vector<TimePoint>{};
}

} // namespace

TEST(Recurrence, OnceIsItsLocalStartInUtc) {
    Recurrence r{"2026-11-23T06:30:00", "Asia/Ho_Chi_Minh", "", {}};
    auto got = expand(r, utc(2026, 11, 1, 0, 0), utc(2026, 12, 1, 0, 0));
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0], utc(2026, 11, 22, 23, 30)); // UTC+7
}

TEST(Recurrence, DailyForThreeWeeksStaysAtTheSameWallTime) {
    Recurrence r{"2026-11-23T06:30:00", "Asia/Ho_Chi_Minh", "FREQ=DAILY", {}};
    auto got = expand(r, utc(2026, 11, 22, 0, 0), utc(2026, 12, 14, 0, 0));
    ASSERT_EQ(got.size(), 22U); // 22 November to 13 December, at 23:30 UTC
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_EQ(got[i], utc(2026, 11, 22, 23, 30) + days(i));
}

TEST(Recurrence, WeeklyOnGivenDaysUntilADate) {
    // Monday, Wednesday and Friday at 17:00, until the end of 2026-12-04.
    Recurrence r{"2026-11-23T17:00:00",
                 "Asia/Ho_Chi_Minh",
                 "FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20261204T235959Z",
                 {}};
    auto got = expand(r, utc(2026, 11, 1, 0, 0), utc(2027, 1, 1, 0, 0));
    std::vector<TimePoint> want{utc(2026, 11, 23, 10, 0), utc(2026, 11, 25, 10, 0),
                                utc(2026, 11, 27, 10, 0), utc(2026, 11, 30, 10, 0),
                                utc(2026, 12, 2, 10, 0),  utc(2026, 12, 4, 10, 0)};
    EXPECT_EQ(got, want);
}

TEST(Recurrence, MonthlyWithACountAndExceptionDates) {
    Recurrence r{"2027-01-01T07:00:00",
                 "Asia/Ho_Chi_Minh",
                 "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=4",
                 {"2027-02-01T07:00:00"}}; // Tết: skipped
    auto got = expand(r, utc(2026, 12, 1, 0, 0), utc(2028, 1, 1, 0, 0));
    std::vector<TimePoint> want{utc(2027, 1, 1, 0, 0), utc(2027, 3, 1, 0, 0),
                                utc(2027, 4, 1, 0, 0)};
    EXPECT_EQ(got, want);
}

TEST(Recurrence, WindowSelectsOnlyOccurrencesInside) {
    Recurrence r{"2026-11-23T06:30:00", "Asia/Ho_Chi_Minh", "FREQ=DAILY", {}};
    auto got = expand(r, utc(2026, 12, 1, 0, 0), utc(2026, 12, 3, 0, 0));
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0], utc(2026, 12, 1, 23, 30));
}

TEST(Recurrence, ZonesWithDaylightSavingKeepTheWallTime) {
    // Berlin leaves summer time on 2026-10-25: 06:30 local is 04:30 UTC before, 05:30 after.
    Recurrence r{"2026-10-24T06:30:00", "Europe/Berlin", "FREQ=DAILY;COUNT=2", {}};
    auto got = expand(r, utc(2026, 10, 1, 0, 0), utc(2026, 11, 1, 0, 0));
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0], utc(2026, 10, 24, 4, 30));
    EXPECT_EQ(got[1], utc(2026, 10, 25, 5, 30));
}

TEST(Recurrence, ErrorsSayWhatToWrite) {
    auto bad_zone = validate({"2026-11-23T06:30:00", "Asia/Saigon_City", "", {}});
    ASSERT_FALSE(bad_zone);
    EXPECT_NE(bad_zone.error().message.find("unknown time zone \"Asia/Saigon_City\""),
              std::string::npos);
    auto bad_start = validate({"23/11/2026 06:30", kDefaultTimeZone, "", {}});
    ASSERT_FALSE(bad_start);
    EXPECT_NE(bad_start.error().message.find("expected YYYY-MM-DDTHH:MM:SS"), std::string::npos);
    auto bad_date = validate({"2026-02-30T06:30:00", kDefaultTimeZone, "", {}});
    ASSERT_FALSE(bad_date);
    EXPECT_NE(bad_date.error().message.find("is not a real date"), std::string::npos);
    // A year past 3000 would export as 00000000T000000 (found by loa_ics_fuzz).
    auto far = validate({"3001-02-06T23:00:00", kDefaultTimeZone, "", {}});
    ASSERT_FALSE(far);
    EXPECT_NE(far.error().message.find("the year must be 1970 to 2999"), std::string::npos);
    EXPECT_FALSE(validate({"1969-12-31T23:00:00", kDefaultTimeZone, "", {}}));
    EXPECT_TRUE(validate({"2999-12-31T23:00:00", kDefaultTimeZone, "", {}}));
    auto bad_rule = validate({"2026-11-23T06:30:00", kDefaultTimeZone, "FREQ=SOMETIMES", {}});
    ASSERT_FALSE(bad_rule);
    EXPECT_NE(bad_rule.error().message.find("RRULE \"FREQ=SOMETIMES\" is not valid"),
              std::string::npos);
    EXPECT_TRUE(validate({"2026-11-23T06:30:00", kDefaultTimeZone, "FREQ=WEEKLY;BYDAY=SU", {}}));
    // libical counts "5\r0" as 5 and writes it back as 50 (found by loa_ics_fuzz).
    for (const char* rule : {"FREQ=DAILY;COUNT=5\r0", "FREQ=DAILY;COUNT=5 0", "FREQ=DAILY\n"}) {
        auto stray = validate({"2026-11-23T06:30:00", kDefaultTimeZone, rule, {}});
        ASSERT_FALSE(stray) << rule;
        EXPECT_NE(stray.error().message.find("RRULE holds a character"), std::string::npos);
    }
    EXPECT_TRUE(validate(
        {"2026-11-23T06:30:00", kDefaultTimeZone, "FREQ=MONTHLY;BYDAY=-1FR,+1MO;COUNT=3", {}}));
}

TEST(Recurrence, AnEntryStartedYearsAgoExpandsQuicklyAndExactly) {
    Recurrence r{"2020-01-06T06:30:00", "Asia/Ho_Chi_Minh", "FREQ=WEEKLY;BYDAY=MO,TH", {}};
    auto got = expand(r, utc(2026, 11, 22, 0, 0), utc(2026, 12, 1, 0, 0));
    // Mondays 23 and 30 November, Thursday 26 November, 06:30 local = 23:30 UTC the day before.
    std::vector<TimePoint> want{utc(2026, 11, 22, 23, 30), utc(2026, 11, 25, 23, 30),
                                utc(2026, 11, 29, 23, 30)};
    EXPECT_EQ(got, want);
}
