// Airings and events with a manual clock: an airing whose audio is late, an airing that
// failed, frames the media path dropped, database errors (counted from a real SQLite file):
// each raised by its cause within its threshold, once per episode, and cleared when the cause
// goes or the hold passes.
#include <gtest/gtest.h>

#include "loa/common/sqlite.hpp"
#include "loa/server/supervision/supervisor.hpp"
#include "process.hpp"

using namespace loa;
using namespace std::chrono_literals;
using server::AlarmKind;
using server::Severity;

namespace {

class EventsTest : public ::testing::Test {
protected:
    server::Observed observed() {
        server::Observed o;
        o.server_unit = 1;
        o.programs = [this] { return programs; };
        o.unit_of_code = [](const std::string& code) -> std::optional<std::int64_t> {
            return code == "70-001" ? std::optional<std::int64_t>(2) : std::nullopt;
        };
        o.failed_airings = [this](std::chrono::system_clock::time_point since) {
            return restarted ? std::vector<server::FailedAiring>{} : failed.since(since);
        };
        o.media_drops = [this] { return drops; };
        o.database_errors = [this] { return database; };
        return o;
    }

    std::vector<server::Alarm> active(AlarmKind kind) {
        server::AlarmFilter f;
        f.kind = kind;
        return book.active(f);
    }

    /// Advances the clock by `step` `times` times, checking after each.
    void run(int times, std::chrono::milliseconds step = 1s) {
        for (int i = 0; i < times; ++i) {
            clock.advance(step);
            supervisor.check();
        }
    }

    test::TempDir dir{"airing-checks"};
    common::ManualClock clock;
    std::vector<std::pair<server::Alarm, server::AlarmEvent>> events;
    server::AlarmBook book{
        dir.file("loa.db"), clock,
        [this](const server::Alarm& a, server::AlarmEvent e) { events.emplace_back(a, e); }};
    server::SupervisionSettings settings; ///< airing_late 5 s, event_hold 300 s
    std::vector<server::ProgramSound> programs;
    server::FailedAirings failed;
    bool restarted = false; ///< the failures noted before are forgotten
    std::uint64_t drops = 0;
    common::DatabaseErrors database;
    server::Supervisor supervisor{book, observed(), settings, clock};
};

server::ProgramSound on_air(const std::string& key, std::set<std::string> channels,
                            std::chrono::milliseconds for_how_long) {
    server::ProgramSound p;
    p.key = key;
    p.channels = std::move(channels);
    p.on_air_for = for_how_long;
    p.silent_for = for_how_long;
    return p;
}

} // namespace

TEST_F(EventsTest, AnAiringWithoutAudioIsLateAfterItsAllowanceAndClearsWhenItsAudioStarts) {
    programs = {on_air("e7@1700000000", {"70-001"}, 4900ms)};
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::airing_late).empty()) << "within its 5 s";
    programs[0].on_air_for = 5s;
    supervisor.check();
    auto late = active(AlarmKind::airing_late);
    ASSERT_EQ(late.size(), 1U);
    EXPECT_EQ(late[0].fault.subject, "e7@1700000000");
    EXPECT_EQ(late[0].fault.unit, 2);
    EXPECT_EQ(late[0].fault.severity, Severity::major);
    EXPECT_EQ(late[0].fault.figures.at("on_air_s").as_int64(), 5);
    programs[0].on_air_for = 30s;
    run(10);
    EXPECT_EQ(events.size(), 1U) << "one episode, one alarm";
    programs[0].started = true;
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::airing_late).empty());
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[1].second, server::AlarmEvent::cleared);
}

TEST_F(EventsTest, ALateAiringOnSeveralChannelsConcernsTheProvinceAndClearsWhenItGoesOffAir) {
    programs = {on_air("o5", {"70-001", "70-002"}, 6s)};
    supervisor.check();
    auto late = active(AlarmKind::airing_late);
    ASSERT_EQ(late.size(), 1U);
    EXPECT_EQ(late[0].fault.unit, 1);
    EXPECT_NE(late[0].fault.text_en.find("70-001, 70-002"), std::string::npos);
    programs.clear();
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::airing_late).empty());
}

TEST_F(EventsTest, AFailedAiringIsRaisedOnceKeptForTheHoldAndThenCleared) {
    failed.note({"e3@1700000000", "Bản tin sáng", false, 2, "the bulletin could not be rendered",
                 clock.system_now()});
    supervisor.check();
    auto alarms = active(AlarmKind::airing_failed);
    ASSERT_EQ(alarms.size(), 1U);
    EXPECT_EQ(alarms[0].fault.subject, "e3@1700000000");
    EXPECT_EQ(alarms[0].fault.unit, 2);
    EXPECT_EQ(alarms[0].fault.severity, Severity::major);
    EXPECT_NE(alarms[0].fault.text_vi.find("\"Bản tin sáng\" không phát được"), std::string::npos);
    EXPECT_EQ(alarms[0].fault.figures.at("reason"), "the bulletin could not be rendered");
    run(299);
    EXPECT_EQ(active(AlarmKind::airing_failed).size(), 1U);
    EXPECT_EQ(events.size(), 1U);
    run(1);
    EXPECT_TRUE(active(AlarmKind::airing_failed).empty()) << "the hold has passed";
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(*events[1].first.cleared_at - events[1].first.raised_at, 300s);
}

TEST_F(EventsTest, AFailedEmergencyIsCriticalAndAFailureOfNoKnownProgramConcernsTheProvince) {
    failed.note({"o9", "Báo động lũ", true, 2, "its source failed", clock.system_now()});
    failed.note({"e4@1700000000", "", false, std::nullopt, "no program #4", clock.system_now()});
    supervisor.check();
    auto alarms = active(AlarmKind::airing_failed);
    ASSERT_EQ(alarms.size(), 2U);
    for (const auto& a : alarms) {
        if (a.fault.subject == "o9") {
            EXPECT_EQ(a.fault.severity, Severity::critical);
        } else {
            EXPECT_EQ(a.fault.unit, 1);
            EXPECT_NE(a.fault.text_en.find("e4@1700000000 failed: no program #4"),
                      std::string::npos);
        }
    }
}

TEST_F(EventsTest, DroppedFramesAreFanoutBehindUntilTheHoldPassesWithoutMore) {
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::fanout_behind).empty());
    drops = 10;
    supervisor.check();
    auto behind = active(AlarmKind::fanout_behind);
    ASSERT_EQ(behind.size(), 1U);
    EXPECT_EQ(behind[0].fault.unit, 1);
    EXPECT_EQ(behind[0].fault.figures.at("dropped").as_uint64(), 10U);
    run(200);
    drops = 15; // more within the hold: the same episode, whose hold starts again
    run(300);
    EXPECT_EQ(active(AlarmKind::fanout_behind).size(), 1U);
    EXPECT_EQ(events.size(), 1U);
    run(1);
    EXPECT_TRUE(active(AlarmKind::fanout_behind).empty());
    drops = 20; // a new episode counts its own
    supervisor.check();
    behind = active(AlarmKind::fanout_behind);
    ASSERT_EQ(behind.size(), 1U);
    EXPECT_EQ(behind[0].fault.figures.at("dropped").as_uint64(), 5U);
    EXPECT_EQ(events.size(), 3U);
}

TEST_F(EventsTest, DatabaseErrorsAreCountedButNotACallersConstraintViolation) {
    common::Database db(dir.file("other.db"));
    ASSERT_TRUE(db.execute("CREATE TABLE names (name TEXT UNIQUE)"));
    auto insert = db.prepare("INSERT INTO names (name) VALUES (?)");
    ASSERT_TRUE(insert.bind(1, std::string_view("Xã A")).run());
    auto before = common::database_errors().count;
    EXPECT_FALSE(insert.run()) << "the name is taken";
    EXPECT_EQ(common::database_errors().count, before) << "a caller's bad input";
    ASSERT_TRUE(db.execute("PRAGMA query_only = 1"));
    EXPECT_FALSE(insert.bind(1, std::string_view("Xã B")).run());
    auto after = common::database_errors();
    EXPECT_EQ(after.count, before + 1);
    EXPECT_NE(after.last.find("readonly"), std::string::npos) << after.last;

    database = after;
    supervisor.check();
    auto errors = active(AlarmKind::database_errors);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].fault.figures.at("errors").as_uint64(), after.count);
    EXPECT_EQ(errors[0].fault.text_en.find("(in: "), std::string::npos)
        << "the statement is in the figures, not the text";
    run(300);
    EXPECT_TRUE(active(AlarmKind::database_errors).empty());
}

TEST_F(EventsTest, EventAlarmsOutliveARestartForTheirHoldAndALateAiringStaysOneEpisode) {
    failed.note(
        {"e3@1700000000", "Bản tin sáng", false, 2, "its source failed", clock.system_now()});
    drops = 3;
    programs = {on_air("o5", {"70-001"}, 8s)};
    supervisor.check();
    ASSERT_EQ(events.size(), 3U);
    run(100);

    // The server starts again: it forgets the events and the drops; the airing comes back on
    // air from the start, still without audio.
    restarted = true;
    drops = 0;
    programs = {on_air("o5", {"70-001"}, 1s)};
    server::Supervisor again{book, observed(), settings, clock};
    again.check();
    EXPECT_EQ(events.size(), 3U) << "nothing cleared, nothing raised again";
    for (int i = 0; i < 199; ++i) {
        clock.advance(1s);
        programs[0].on_air_for += 1s;
        again.check();
    }
    EXPECT_EQ(active(AlarmKind::airing_failed).size(), 1U);
    EXPECT_EQ(active(AlarmKind::fanout_behind).size(), 1U);
    EXPECT_EQ(active(AlarmKind::airing_late).size(), 1U);
    EXPECT_EQ(events.size(), 3U);
    clock.advance(1s);
    again.check();
    EXPECT_TRUE(active(AlarmKind::airing_failed).empty()) << "300 s after it was raised";
    EXPECT_TRUE(active(AlarmKind::fanout_behind).empty());
    EXPECT_EQ(active(AlarmKind::airing_late).size(), 1U) << "still no audio";
}
