// The timeline answers exactly as the pure resolver it stands in for.
#include <gtest/gtest.h>
#include <random>

#include "loa/schedules/timeline.hpp"

using namespace loa::schedules;
using namespace std::chrono;

namespace {

std::vector<ScheduledEntry> random_entries(int count, int channels, unsigned seed) {
    std::mt19937 random(seed);
    const char* rules[] = {"", "FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=HOURLY;COUNT=30",
                           "FREQ=DAILY;INTERVAL=2;UNTIL=20261210T000000"};
    std::vector<ScheduledEntry> out;
    for (int i = 0; i < count; ++i) {
        ScheduledEntry e;
        e.id = i + 1;
        e.program = i % 7 + 1;
        e.priority = static_cast<PriorityClass>(random() % 3);
        for (int t = 0; t < 1 + static_cast<int>(random() % 3); ++t)
            e.channels.push_back("c" + std::to_string(random() % channels));
        char start[32];
        std::snprintf(start, sizeof start, "2026-12-%02uT%02u:%02u:00",
                      static_cast<unsigned>(1 + random() % 5), static_cast<unsigned>(random() % 24),
                      static_cast<unsigned>(random() % 60));
        e.when.start_local = start;
        e.when.time_zone = random() % 4 == 0 ? "Europe/Berlin" : kDefaultTimeZone;
        e.when.rule = rules[random() % 5];
        e.duration = minutes(1 + random() % 90);
        out.push_back(std::move(e));
    }
    return out;
}

} // namespace

TEST(Timeline, AnswersAsThePureResolverAtEveryInstantAndBoundary) {
    auto entries = random_entries(300, 20, 3);
    std::vector<Override> overrides{
        {1,
         Override::Kind::emergency,
         99,
         {"c1", "c2"},
         TimePoint(sys_days(year(2026) / 12 / 3) + hours(5))},
        {2, Override::Kind::stop_all, 0, {"c2", "c3"}, TimePoint(sys_days(year(2026) / 12 / 2))}};
    TimePoint from(sys_days(year(2026) / 12 / 1));
    TimePoint to = from + days(6);
    auto timeline = Timeline::build(entries, from, to);
    ASSERT_TRUE(timeline);
    std::set<Occurrence> finished;
    std::mt19937 random(5);
    auto t = from;
    int checked = 0;
    while (checked < 500) {
        auto expected = resolve(entries, overrides, t, finished);
        ASSERT_TRUE(expected);
        ASSERT_EQ(timeline->resolve(overrides, t, finished), *expected) << checked;
        auto horizon = t + hours(6);
        auto next = next_boundary(entries, t, horizon);
        ASSERT_TRUE(next);
        ASSERT_EQ(timeline->next_boundary(t, horizon), *next) << checked;
        // Mark some occurrences finished, as programs that ended early are.
        for (const auto& [channel, airing] : *expected)
            if (airing.entry && random() % 10 == 0)
                finished.insert({*airing.entry, airing.start});
        // Step to the next boundary, or a random instant.
        t = (*next && random() % 2 == 0) ? **next : t + seconds(random() % 3600);
        if (t >= to - hours(6))
            t = from + seconds(random() % 3600);
        ++checked;
    }
}

TEST(Timeline, KnowsItsHorizon) {
    TimePoint from(sys_days(year(2026) / 12 / 1));
    auto timeline = Timeline::build(random_entries(10, 3, 1), from, from + days(1));
    ASSERT_TRUE(timeline);
    EXPECT_TRUE(timeline->covers(from));
    EXPECT_FALSE(timeline->covers(from + days(1)));
    EXPECT_FALSE(timeline->covers(from - seconds(1)));
}
