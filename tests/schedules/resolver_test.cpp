#include <gtest/gtest.h>

#include "loa/schedules/resolver.hpp"

using namespace loa::schedules;
using namespace std::chrono;

namespace {

/// Local wall time in Asia/Ho_Chi_Minh (UTC+7) as UTC.
TimePoint vn(int y, unsigned m, unsigned d, int h, int min, int s = 0) {
    return sys_days(year(y) / month(m) / day(d)) + hours(h - 7) + minutes(min) + seconds(s);
}

ScheduledEntry entry(std::int64_t id, std::int64_t program, PriorityClass priority,
                     std::vector<std::string> channels, std::string start, std::string rule,
                     minutes duration) {
    return {id,
            program,
            priority,
            std::move(channels),
            Recurrence{std::move(start), kDefaultTimeZone, std::move(rule), {}},
            duration};
}

std::map<std::string, Airing> at(const std::vector<ScheduledEntry>& entries,
                                 const std::vector<Override>& overrides, TimePoint t) {
    auto r = resolve(entries, overrides, t);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : std::map<std::string, Airing>{};
}

std::optional<std::int64_t> program_on(const std::map<std::string, Airing>& airing,
                                       const std::string& channel) {
    auto it = airing.find(channel);
    return it == airing.end() ? std::nullopt : it->second.program;
}

} // namespace

TEST(Resolver, AMorningBulletinEveryDayForFourWeeks) {
    std::vector<ScheduledEntry> entries{entry(1, 100, PriorityClass::normal, {"xa-01"},
                                              "2026-11-23T06:30:00", "FREQ=DAILY", minutes(30))};
    for (unsigned day = 0; day < 28; ++day) {
        auto d = sys_days(year(2026) / November / 23) + days(day);
        auto ymd = year_month_day(d);
        auto local = [&](int h, int m, int s = 0) {
            return vn(int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()), h, m, s);
        };
        SCOPED_TRACE(day);
        EXPECT_FALSE(program_on(at(entries, {}, local(6, 29, 59)), "xa-01"));
        EXPECT_EQ(program_on(at(entries, {}, local(6, 30)), "xa-01"), 100);
        EXPECT_EQ(program_on(at(entries, {}, local(6, 59, 59)), "xa-01"), 100);
        EXPECT_FALSE(program_on(at(entries, {}, local(7, 0)), "xa-01")); // the end is exclusive
    }
}

TEST(Resolver, AProvinceWideEntryReachesEveryCommuneItCovers) {
    std::vector<ScheduledEntry> entries{
        entry(1, 7, PriorityClass::normal, {"province", "xa-01", "xa-02"}, "2026-11-23T18:00:00",
              "", minutes(60)),
        entry(2, 8, PriorityClass::normal, {"xa-03"}, "2026-11-23T18:30:00", "", minutes(10))};
    auto airing = at(entries, {}, vn(2026, 11, 23, 18, 35));
    EXPECT_EQ(program_on(airing, "province"), 7);
    EXPECT_EQ(program_on(airing, "xa-01"), 7);
    EXPECT_EQ(program_on(airing, "xa-02"), 7);
    EXPECT_EQ(program_on(airing, "xa-03"), 8);
    EXPECT_EQ(airing.size(), 4U);
}

TEST(Resolver, PriorityPreemptsAndTheNormalProgramResumesInItsWindow) {
    std::vector<ScheduledEntry> entries{
        entry(1, 10, PriorityClass::normal, {"xa-01"}, "2026-11-23T06:00:00", "", minutes(120)),
        entry(2, 20, PriorityClass::priority, {"xa-01"}, "2026-11-23T06:30:00", "", minutes(15)),
        entry(3, 30, PriorityClass::emergency, {"xa-01"}, "2026-11-23T06:35:00", "", minutes(5))};
    EXPECT_EQ(program_on(at(entries, {}, vn(2026, 11, 23, 6, 10)), "xa-01"), 10);
    EXPECT_EQ(program_on(at(entries, {}, vn(2026, 11, 23, 6, 31)), "xa-01"), 20);
    EXPECT_EQ(program_on(at(entries, {}, vn(2026, 11, 23, 6, 36)), "xa-01"), 30);
    EXPECT_EQ(program_on(at(entries, {}, vn(2026, 11, 23, 6, 41)), "xa-01"), 20);
    auto resumed = at(entries, {}, vn(2026, 11, 23, 6, 50));
    EXPECT_EQ(program_on(resumed, "xa-01"), 10);
    EXPECT_EQ(resumed["xa-01"].start, vn(2026, 11, 23, 6, 0)); // its own window, still open
    EXPECT_FALSE(program_on(at(entries, {}, vn(2026, 11, 23, 8, 0)), "xa-01"));
}

TEST(Resolver, EmergencyOverridePreemptsAtOnceAndHandsBack) {
    std::vector<ScheduledEntry> entries{entry(1, 10, PriorityClass::priority, {"xa-01", "xa-02"},
                                              "2026-11-23T06:00:00", "", minutes(60))};
    Override flood{9, Override::Kind::emergency, 99, {"xa-01"}, vn(2026, 11, 23, 6, 20)};
    auto during = at(entries, {flood}, vn(2026, 11, 23, 6, 20));
    EXPECT_EQ(program_on(during, "xa-01"), 99);
    EXPECT_EQ(during["xa-01"].override, 9);
    EXPECT_EQ(program_on(during, "xa-02"), 10); // not targeted: untouched
    // Stopped: the override is gone from the list, the schedule decides again.
    EXPECT_EQ(program_on(at(entries, {}, vn(2026, 11, 23, 6, 25)), "xa-01"), 10);
}

TEST(Resolver, StopAllSilencesEvenScheduledEmergenciesButNotAnOperatorsEmergency) {
    std::vector<ScheduledEntry> entries{
        entry(1, 10, PriorityClass::emergency, {"xa-01"}, "2026-11-23T03:15:00", "", minutes(30))};
    Override stop{5, Override::Kind::stop_all, 0, {"xa-01"}, vn(2026, 11, 23, 3, 16)};
    auto silenced = at(entries, {stop}, vn(2026, 11, 23, 3, 17));
    ASSERT_TRUE(silenced.contains("xa-01"));
    EXPECT_FALSE(silenced["xa-01"].program.has_value());
    Override fire{6, Override::Kind::emergency, 77, {"xa-01"}, vn(2026, 11, 23, 3, 20)};
    EXPECT_EQ(program_on(at(entries, {stop, fire}, vn(2026, 11, 23, 3, 21)), "xa-01"), 77);
}

TEST(Resolver, ALiveBroadcastPreemptsItsClassAndBelowAndGivesWayToEmergenciesAndStopAlls) {
    std::vector<ScheduledEntry> entries{
        entry(1, 10, PriorityClass::normal, {"xa-01", "xa-02"}, "2026-11-23T06:00:00", "",
              minutes(60)),
        entry(2, 20, PriorityClass::emergency, {"xa-02"}, "2026-11-23T06:00:00", "", minutes(60))};
    Override voice{4,
                   Override::Kind::live,
                   40,
                   {"xa-01", "xa-02"},
                   vn(2026, 11, 23, 6, 10),
                   PriorityClass::priority};
    auto live = at(entries, {voice}, vn(2026, 11, 23, 6, 10));
    EXPECT_EQ(program_on(live, "xa-01"), 40);
    EXPECT_EQ(live["xa-01"].priority, PriorityClass::priority);
    EXPECT_EQ(live["xa-01"].override, 4);
    EXPECT_EQ(program_on(live, "xa-02"), 20); // a scheduled emergency keeps its channel
    // An operator's emergency preempts the voice; when it ends the voice is back.
    Override flood{5, Override::Kind::emergency, 99, {"xa-01"}, vn(2026, 11, 23, 6, 11)};
    EXPECT_EQ(program_on(at(entries, {voice, flood}, vn(2026, 11, 23, 6, 12)), "xa-01"), 99);
    EXPECT_EQ(program_on(at(entries, {voice}, vn(2026, 11, 23, 6, 13)), "xa-01"), 40);
    // A stop-all silences a normal or priority voice, not an emergency one.
    Override stop{6, Override::Kind::stop_all, 0, {"xa-01"}, vn(2026, 11, 23, 6, 5)};
    EXPECT_FALSE(program_on(at(entries, {voice, stop}, vn(2026, 11, 23, 6, 14)), "xa-01"));
    Override urgent{7,
                    Override::Kind::live,
                    70,
                    {"xa-01", "xa-02"},
                    vn(2026, 11, 23, 6, 15),
                    PriorityClass::emergency};
    auto loud = at(entries, {stop, urgent}, vn(2026, 11, 23, 6, 15));
    EXPECT_EQ(program_on(loud, "xa-01"), 70);
    EXPECT_EQ(program_on(loud, "xa-02"), 70);
    // Ended: the schedule decides again.
    EXPECT_EQ(program_on(at(entries, {}, vn(2026, 11, 23, 6, 16)), "xa-01"), 10);
}

TEST(Resolver, NextBoundaryIsTheNearestStartOrEnd) {
    std::vector<ScheduledEntry> entries{
        entry(1, 10, PriorityClass::normal, {"xa-01"}, "2026-11-23T06:30:00", "FREQ=DAILY",
              minutes(30)),
        entry(2, 20, PriorityClass::normal, {"xa-02"}, "2026-11-23T06:45:00", "", minutes(5))};
    auto horizon = vn(2026, 11, 30, 0, 0);
    auto next = next_boundary(entries, vn(2026, 11, 23, 6, 0), horizon);
    ASSERT_TRUE(next && *next);
    EXPECT_EQ(**next, vn(2026, 11, 23, 6, 30));
    next = next_boundary(entries, vn(2026, 11, 23, 6, 46), horizon);
    EXPECT_EQ(**next, vn(2026, 11, 23, 6, 50)); // entry 2 ends
    next = next_boundary(entries, vn(2026, 11, 23, 6, 50), horizon);
    EXPECT_EQ(**next, vn(2026, 11, 23, 7, 0)); // entry 1 ends
    next = next_boundary(entries, vn(2026, 11, 23, 7, 0), horizon);
    EXPECT_EQ(**next, vn(2026, 11, 24, 6, 30)); // tomorrow
}

TEST(Resolver, ABrokenRecurrenceIsAnErrorNotSilence) {
    std::vector<ScheduledEntry> entries{entry(1, 10, PriorityClass::normal, {"xa-01"},
                                              "2026-11-23T06:30:00", "FREQ=NEVER", minutes(30))};
    EXPECT_FALSE(resolve(entries, {}, vn(2026, 11, 23, 6, 40)));
}
