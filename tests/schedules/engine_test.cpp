// The engine driven by a manual clock: weeks of schedule in milliseconds, against a fake air
// that records what it was told.
#include <gtest/gtest.h>

#include "loa/common/clock.hpp"
#include "loa/schedules/engine.hpp"
#include "process.hpp"

using namespace loa::schedules;
using namespace std::chrono;

namespace {

/// Records the engine's calls with the time they came at.
class FakeAir : public Air {
public:
    explicit FakeAir(const loa::common::Clock& clock) : clock_(clock) {}

    void prepare(const Instance& instance, milliseconds offset) override {
        prepared[instance.key] = {now(), offset};
    }
    void assign(const std::string& channel, const Instance* instance) override {
        std::string key = instance != nullptr ? instance->key : "-";
        on[channel] = key;
        log.push_back({now(), channel, key});
    }
    void release(const std::string& key) override { released.push_back(key); }
    void silence(const std::string& channel) override {
        on[channel] = "silent";
        log.push_back({now(), channel, "silent"});
    }
    std::function<std::int64_t()> count_reached(const std::string& /*channel*/) override {
        return [this] { return reached; };
    }

    struct Assignment {
        Millis at;
        std::string channel;
        std::string key;
    };
    struct Prepared {
        Millis at;
        milliseconds offset;
    };
    std::map<std::string, std::string> on;
    std::vector<Assignment> log;
    std::map<std::string, Prepared> prepared;
    std::vector<std::string> released;
    std::int64_t reached = 3;

private:
    Millis now() const { return floor<milliseconds>(clock_.system_now()); }
    const loa::common::Clock& clock_;
};

TimePoint vn(int y, unsigned m, unsigned d, int h, int min, int s = 0) {
    return sys_days(year(y) / month(m) / day(d)) + hours(h - 7) + minutes(min) + seconds(s);
}

class EngineTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<loa::test::TempDir>(
            std::string("engine-") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        path = dir->file("schedule.db");
        store = std::make_unique<ScheduleStore>(path);
        Unit p;
        p.code = "70";
        p.name = "Bình Phước";
        province = *store->add_unit(p);
        Unit c1;
        c1.code = "70-001";
        c1.name = "Xã Tân Lập";
        c1.parent = province;
        commune1 = *store->add_unit(c1);
        Unit c2 = c1;
        c2.code = "70-002";
        c2.name = "Xã Tân Hòa";
        commune2 = *store->add_unit(c2);
        ASSERT_TRUE(store->put_cluster({"rx-1", commune1, "Ấp 1"}));
        news = program("Bản tin sáng");
        music = program("Nhạc");
        alert = program("Cảnh báo bão");
        move_to(vn(2027, 3, 22, 12, 0));
    }

    std::int64_t program(const std::string& title) {
        Program p;
        p.unit = province;
        p.kind = ProgramKind::file;
        p.title = title;
        p.source = title + ".mp3";
        auto id = *store->add_program(p);
        EXPECT_TRUE(store->decide(id, Approval::approved, "approver"));
        return id;
    }

    std::int64_t entry(std::int64_t prog, PriorityClass priority, std::vector<std::int64_t> units,
                       std::string start, std::string rule, minutes duration,
                       std::vector<std::string> receivers = {}) {
        Entry e{0,
                prog,
                priority,
                std::move(units),
                std::move(receivers),
                Recurrence{std::move(start), kDefaultTimeZone, std::move(rule), {}},
                duration};
        auto id = store->add_entry(e, floor<seconds>(clock.system_now()));
        EXPECT_TRUE(id) << id.error().message;
        return id ? *id : 0;
    }

    void move_to(TimePoint t) { move_to(Millis(t)); }
    void move_to(Millis t) {
        auto now = floor<milliseconds>(clock.system_now());
        ASSERT_GE(t, now);
        clock.advance(t - now);
    }

    void start_engine() {
        engine = std::make_unique<Engine>(*store, air, clock, EngineSettings{});
        auto started = engine->start();
        ASSERT_TRUE(started) << started.error().message;
    }

    /// Runs the engine as its thread would, up to `end`.
    void run_until(TimePoint end) {
        for (int i = 0; i < 100000 && engine->next_wakeup() <= Millis(end); ++i) {
            move_to(engine->next_wakeup());
            auto ticked = engine->tick();
            ASSERT_TRUE(ticked) << ticked.error().message;
        }
        move_to(end);
        ASSERT_TRUE(engine->tick());
    }

    std::string key(std::int64_t entry_id, TimePoint start) {
        return "e" + std::to_string(entry_id) + "@" +
               std::to_string(start.time_since_epoch().count());
    }

    std::vector<AsRunRecord> as_run() {
        return *store->as_run(Millis(seconds(0)), Millis(seconds(4'000'000'000)));
    }

    loa::common::ManualClock clock;
    FakeAir air{clock};
    std::unique_ptr<loa::test::TempDir> dir;
    std::string path;
    std::unique_ptr<ScheduleStore> store;
    std::unique_ptr<Engine> engine;
    std::int64_t province = 0, commune1 = 0, commune2 = 0, news = 0, music = 0, alert = 0;
};

} // namespace

TEST_F(EngineTest, TwoWeeksOfADailyProvinceProgramInLocalTime) {
    auto id = entry(news, PriorityClass::normal, {province}, "2027-03-23T06:30:00", "FREQ=DAILY",
                    minutes(30));
    start_engine();
    run_until(vn(2027, 4, 5, 12, 0));

    // Every day at 06:30 Vietnam time (23:30 UTC the day before) on all three channels, off
    // at 07:00; prepared 1.5 s ahead.
    std::vector<FakeAir::Assignment> expected;
    for (int d = 0; d < 14; ++d) {
        auto start = vn(2027, 3, 23, 6, 30) + days(d);
        for (std::string ch : {"70", "70-001", "70-002"})
            expected.push_back({Millis(start), ch, key(id, start)});
        for (std::string ch : {"70", "70-001", "70-002"})
            expected.push_back({Millis(start + minutes(30)), ch, "-"});
        EXPECT_EQ(air.prepared.at(key(id, start)).at, Millis(start) - milliseconds(1500));
        EXPECT_EQ(air.prepared.at(key(id, start)).offset, milliseconds(0));
    }
    ASSERT_EQ(air.log.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(air.log[i].at, expected[i].at) << i;
        EXPECT_EQ(air.log[i].channel, expected[i].channel) << i;
        EXPECT_EQ(air.log[i].key, expected[i].key) << i;
    }
    auto rows = as_run();
    ASSERT_EQ(rows.size(), 14U * 3);
    for (const auto& r : rows) {
        EXPECT_EQ(r.outcome, Outcome::completed);
        EXPECT_EQ(*r.ended_at - r.started_at, minutes(30));
        EXPECT_EQ(r.receivers, 3);
        EXPECT_EQ(r.title, "Bản tin sáng");
    }
    EXPECT_EQ(air.released.size(), 14U);
}

TEST_F(EngineTest, APriorityBulletinPreemptsAndTheProgramResumesInItsWindow) {
    auto normal =
        entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    auto urgent =
        entry(news, PriorityClass::priority, {commune1}, "2027-03-23T06:20:00", "", minutes(10));
    start_engine();
    run_until(vn(2027, 3, 23, 8, 0));
    auto n = key(normal, vn(2027, 3, 23, 6, 0));
    auto u = key(urgent, vn(2027, 3, 23, 6, 20));
    ASSERT_EQ(air.log.size(), 4U);
    EXPECT_EQ(air.log[0].key, n);
    EXPECT_EQ(air.log[1].key, u);
    EXPECT_EQ(air.log[1].at, Millis(vn(2027, 3, 23, 6, 20)));
    EXPECT_EQ(air.log[2].key, n); // resumed, the same airing (its source kept, paused)
    EXPECT_EQ(air.log[2].at, Millis(vn(2027, 3, 23, 6, 30)));
    EXPECT_EQ(air.log[3].key, "-");
    EXPECT_EQ(air.log[3].at, Millis(vn(2027, 3, 23, 7, 0)));
    EXPECT_EQ(air.prepared.size(), 2U); // the resumed airing was not prepared again

    auto rows = as_run();
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[0].outcome, Outcome::preempted);
    EXPECT_EQ(rows[1].outcome, Outcome::completed);
    EXPECT_EQ(rows[1].priority, PriorityClass::priority);
    EXPECT_EQ(rows[2].outcome, Outcome::completed);
    EXPECT_EQ(rows[2].started_at, Millis(vn(2027, 3, 23, 6, 30)));
}

TEST_F(EngineTest, AnEmergencyPreemptsAtOnceAndHandsBackWhenStopped) {
    auto normal =
        entry(music, PriorityClass::normal, {province}, "2027-03-23T06:00:00", "", minutes(60));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 10));

    clock.advance(milliseconds(250)); // mid-second: takes effect at once, not on a boundary
    OverrideRecord emergency;
    emergency.program = alert;
    emergency.units = {commune2};
    emergency.started_at = floor<milliseconds>(clock.system_now());
    emergency.started_by = "operator";
    auto id = store->start_override(emergency);
    ASSERT_TRUE(id);
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-002"], "o" + std::to_string(*id));
    EXPECT_EQ(air.on["70-001"], key(normal, vn(2027, 3, 23, 6, 0)));
    EXPECT_EQ(air.log.back().at, emergency.started_at);
    EXPECT_EQ(air.prepared.at("o" + std::to_string(*id)).offset, milliseconds(0));

    run_until(vn(2027, 3, 23, 6, 20));
    ASSERT_TRUE(store->end_override(*id, "operator", floor<milliseconds>(clock.system_now())));
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-002"], key(normal, vn(2027, 3, 23, 6, 0)));
    EXPECT_EQ(air.released.back(), "o" + std::to_string(*id));

    run_until(vn(2027, 3, 23, 8, 0));
    std::map<std::string, std::vector<Outcome>> by_channel;
    for (const auto& r : as_run())
        by_channel[r.channel].push_back(*r.outcome);
    EXPECT_EQ(by_channel["70-002"],
              (std::vector{Outcome::preempted, Outcome::stopped, Outcome::completed}));
    EXPECT_EQ(by_channel["70-001"], (std::vector{Outcome::completed}));
}

TEST_F(EngineTest, WhileSomethingIsOnAirItWakesForItsHeartbeatNotOverAndOver) {
    entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    // Settings spelt with braces value-initialise the heartbeat to nothing: the engine keeps
    // its floor instead of waking at once, again and again.
    for (auto heartbeat : {milliseconds(2000), milliseconds(0)}) {
        SCOPED_TRACE(heartbeat.count());
        engine =
            std::make_unique<Engine>(*store, air, clock, EngineSettings{seconds(1), heartbeat});
        move_to(Millis(vn(2027, 3, 23, 6, 10)));
        ASSERT_TRUE(engine->start());
        ASSERT_TRUE(engine->tick());
        ASSERT_FALSE(air.on["70-001"].empty());
        auto now = floor<milliseconds>(clock.system_now());
        EXPECT_GE(engine->next_wakeup() - now, std::max(heartbeat, kMinHeartbeat));
        engine->stop();
    }
}

TEST_F(EngineTest, AnEmergencyFileThatEndsHandsBackByItself) {
    entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 10));
    OverrideRecord emergency;
    emergency.program = alert;
    emergency.units = {commune1};
    emergency.started_at = floor<milliseconds>(clock.system_now());
    emergency.started_by = "operator";
    auto id = *store->start_override(emergency);
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    clock.advance(seconds(42));
    engine->instance_ended("o" + std::to_string(id), false);
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-001"].substr(0, 1), "e");
    auto record = *store->override_record(id);
    ASSERT_TRUE(record.ended_at);
    EXPECT_EQ(*record.ended_by, "loa (program ended)");
    EXPECT_TRUE(store->active_overrides()->empty());
    auto rows = as_run();
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[1].outcome, Outcome::completed);
    EXPECT_EQ(*rows[1].ended_at - rows[1].started_at, seconds(42));
}

TEST_F(EngineTest, StopAllSilencesAUnitUntilReleasedButNotAnEmergency) {
    entry(music, PriorityClass::normal, {province}, "2027-03-23T06:00:00", "", minutes(60));
    entry(news, PriorityClass::priority, {}, "2027-03-23T06:00:00", "", minutes(60), {"rx-1"});
    start_engine();
    run_until(vn(2027, 3, 23, 6, 5));
    EXPECT_NE(air.on["@rx-1"], "-");

    OverrideRecord stop;
    stop.kind = Override::Kind::stop_all;
    stop.units = {commune1};
    stop.started_at = floor<milliseconds>(clock.system_now());
    stop.started_by = "manager";
    auto stop_id = *store->start_override(stop);
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-001"], "-");
    EXPECT_EQ(air.on["@rx-1"], "-"); // the cluster follows its silenced commune
    EXPECT_NE(air.on["70-002"], "-");

    OverrideRecord emergency;
    emergency.program = alert;
    emergency.units = {province};
    emergency.started_at = floor<milliseconds>(clock.system_now()) + milliseconds(1);
    emergency.started_by = "operator";
    clock.advance(milliseconds(1));
    auto emergency_id = *store->start_override(emergency);
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-001"], "o" + std::to_string(emergency_id));
    ASSERT_TRUE(store->end_override(emergency_id, "operator", emergency.started_at));
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-001"], "-"); // still stopped

    ASSERT_TRUE(store->end_override(stop_id, "manager", floor<milliseconds>(clock.system_now())));
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-001"].substr(0, 1), "e");
    EXPECT_EQ(air.on["@rx-1"].substr(0, 1), "e");
    auto rows = as_run();
    bool stopped = std::any_of(rows.begin(), rows.end(), [](const AsRunRecord& r) {
        return r.channel == "70-001" && r.outcome == Outcome::stopped;
    });
    EXPECT_TRUE(stopped);
}

TEST_F(EngineTest, ASingleClusterFollowsItsOwnEntryUnlessItsCommuneOutranksIt) {
    auto own =
        entry(news, PriorityClass::normal, {}, "2027-03-23T06:00:00", "", minutes(30), {"rx-1"});
    auto commune =
        entry(music, PriorityClass::priority, {commune1}, "2027-03-23T06:10:00", "", minutes(10));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 5));
    EXPECT_EQ(air.on["@rx-1"], key(own, vn(2027, 3, 23, 6, 0)));
    run_until(vn(2027, 3, 23, 6, 15));
    EXPECT_EQ(air.on["@rx-1"], "-"); // back on its commune's channel, which plays priority
    EXPECT_EQ(air.on["70-001"], key(commune, vn(2027, 3, 23, 6, 10)));
    run_until(vn(2027, 3, 23, 6, 25));
    EXPECT_EQ(air.on["@rx-1"], key(own, vn(2027, 3, 23, 6, 0)));
}

TEST_F(EngineTest, AProgramThatEndsEarlyGivesTheChannelBack) {
    auto normal =
        entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    auto urgent =
        entry(news, PriorityClass::priority, {commune1}, "2027-03-23T06:20:00", "", minutes(10));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 22));
    engine->instance_ended(key(urgent, vn(2027, 3, 23, 6, 20)), false);
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-001"], key(normal, vn(2027, 3, 23, 6, 0)));
    run_until(vn(2027, 3, 23, 6, 40));
    EXPECT_EQ(air.on["70-001"], key(normal, vn(2027, 3, 23, 6, 0)));
    auto rows = as_run();
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[1].outcome, Outcome::completed);
    EXPECT_EQ(*rows[1].ended_at, Millis(vn(2027, 3, 23, 6, 22)));
}

TEST_F(EngineTest, AFailedSourceIsLoggedAsFailed) {
    auto normal =
        entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 1));
    engine->instance_ended(key(normal, vn(2027, 3, 23, 6, 0)), true);
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-001"], "-");
    EXPECT_EQ(as_run().at(0).outcome, Outcome::failed);
}

TEST_F(EngineTest, ARestartMidProgramResumesWhereItWouldBeAndLogsTheCutAsInterrupted) {
    auto normal =
        entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 10, 1));
    engine.reset(); // a crash: nothing closed
    move_to(vn(2027, 3, 23, 6, 10, 30));

    store = std::make_unique<ScheduleStore>(path);
    air.prepared.clear();
    start_engine();
    auto k = key(normal, vn(2027, 3, 23, 6, 0));
    EXPECT_EQ(air.on["70-001"], k);
    EXPECT_EQ(air.prepared.at(k).offset, minutes(10) + seconds(30));
    run_until(vn(2027, 3, 23, 8, 0));

    auto rows = as_run();
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows[0].outcome, Outcome::interrupted);
    // Closed at the last heartbeat before the crash: within the heartbeat period of it.
    EXPECT_LE(*rows[0].ended_at, Millis(vn(2027, 3, 23, 6, 10, 1)));
    EXPECT_GE(*rows[0].ended_at, Millis(vn(2027, 3, 23, 6, 10, 1)) - seconds(2));
    EXPECT_EQ(rows[1].started_at, Millis(vn(2027, 3, 23, 6, 10, 30)));
    EXPECT_EQ(rows[1].outcome, Outcome::completed);
    EXPECT_EQ(*rows[1].ended_at, Millis(vn(2027, 3, 23, 7, 0)));
}

TEST_F(EngineTest, AGracefulStopClosesAiringsAsInterruptedAndReleasesSources) {
    entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 10));
    engine->stop();
    auto rows = as_run();
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0].outcome, Outcome::interrupted);
    EXPECT_EQ(*rows[0].ended_at, Millis(vn(2027, 3, 23, 6, 10)));
    EXPECT_EQ(air.released.size(), 1U);
}

TEST_F(EngineTest, ADeletedEntryGoesOffAirAsStopped) {
    auto normal =
        entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 10));
    ASSERT_TRUE(store->remove_entry(normal));
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-001"], "-");
    EXPECT_EQ(as_run().at(0).outcome, Outcome::stopped);
}

TEST_F(EngineTest, AProgramWithdrawnFromApprovalGoesOffAir) {
    auto normal =
        entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 10));
    EXPECT_EQ(air.on["70-001"], key(normal, vn(2027, 3, 23, 6, 0)));
    ASSERT_TRUE(store->decide(music, Approval::pending, "approver"));
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-001"], "-");
    EXPECT_EQ(as_run().at(0).outcome, Outcome::stopped);
    ASSERT_TRUE(store->decide(music, Approval::approved, "approver"));
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["70-001"], key(normal, vn(2027, 3, 23, 6, 0)));
}

TEST_F(EngineTest, AStopAllOnASingleClusterSilencesItWhateverItsCommunePlays) {
    entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 5));
    OverrideRecord stop;
    stop.kind = Override::Kind::stop_all;
    stop.receivers = {"rx-1"};
    stop.started_at = floor<milliseconds>(clock.system_now());
    stop.started_by = "manager";
    auto id = *store->start_override(stop);
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["@rx-1"], "silent");
    EXPECT_NE(air.on["70-001"], "-"); // the rest of the commune still hears it
    ASSERT_TRUE(store->end_override(id, "manager", floor<milliseconds>(clock.system_now())));
    engine->schedule_changed();
    ASSERT_TRUE(engine->tick());
    EXPECT_EQ(air.on["@rx-1"], "-"); // back on its commune's channel
}

TEST_F(EngineTest, AFilePreemptedFromItsStartPlaysFromItsBeginningWhenItGetsTheChannel) {
    auto normal =
        entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:10:00", "", minutes(50));
    entry(news, PriorityClass::priority, {commune1}, "2027-03-23T06:00:00", "", minutes(15));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 20));
    auto k = key(normal, vn(2027, 3, 23, 6, 10));
    EXPECT_EQ(air.on["70-001"], k);
    EXPECT_EQ(air.prepared.at(k).offset, milliseconds(0)); // nothing skipped
}

TEST_F(EngineTest, AGracefulRestartAlsoResumesMidWayRatherThanPlayingTwice) {
    auto normal =
        entry(music, PriorityClass::normal, {commune1}, "2027-03-23T06:00:00", "", minutes(60));
    start_engine();
    run_until(vn(2027, 3, 23, 6, 10));
    engine->stop();
    engine.reset();
    move_to(vn(2027, 3, 23, 6, 11));
    air.prepared.clear();
    start_engine();
    EXPECT_EQ(air.prepared.at(key(normal, vn(2027, 3, 23, 6, 0))).offset, minutes(11));
}
