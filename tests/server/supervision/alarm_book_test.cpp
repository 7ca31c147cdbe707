// The alarm book on a real SQLite file with a manual clock: one alarm per episode, cleared
// when its fault goes, kept across a restart, acknowledged once, listed by filter.
#include <algorithm>
#include <gtest/gtest.h>

#include "loa/server/supervision/alarm_book.hpp"
#include "process.hpp"

using namespace loa;
using server::AlarmEvent;
using server::AlarmKind;
using server::Fault;
using server::Severity;

namespace {

Fault offline(const std::string& cluster, std::int64_t unit, Severity severity = Severity::major) {
    Fault f;
    f.kind = AlarmKind::cluster_offline;
    f.subject = cluster;
    f.unit = unit;
    f.severity = severity;
    f.text_vi = "Cụm thu " + cluster + " mất kết nối";
    f.text_en = "Cluster " + cluster + " is offline";
    f.figures = {{"offline_grace_s", 30}};
    return f;
}

Fault disk() {
    Fault f;
    f.kind = AlarmKind::disk_low;
    f.subject = "server";
    f.severity = Severity::critical;
    f.text_vi = "Ổ đĩa sắp đầy";
    f.text_en = "Disk nearly full";
    return f;
}

class AlarmBookTest : public ::testing::Test {
protected:
    std::unique_ptr<server::AlarmBook> open() {
        return std::make_unique<server::AlarmBook>(
            dir.file("loa.db"), clock,
            [this](const server::Alarm& a, AlarmEvent e) { events.emplace_back(a.id, e); });
    }

    test::TempDir dir{"alarm-book"};
    common::ManualClock clock;
    std::vector<std::pair<std::int64_t, AlarmEvent>> events;
};

} // namespace

TEST_F(AlarmBookTest, AFaultRaisesOneAlarmPerEpisodeAndClearsWhenItGoes) {
    auto book = open();
    auto raised_at = clock.system_now();
    auto first = book->reconcile(AlarmKind::cluster_offline, {offline("box-1", 2)});
    ASSERT_TRUE(first);
    EXPECT_EQ(*first, std::pair(1, 0));
    // The check runs again and again while the fault lasts: still one alarm.
    for (int i = 0; i < 5; ++i) {
        clock.advance(std::chrono::seconds(1));
        EXPECT_EQ(*book->reconcile(AlarmKind::cluster_offline, {offline("box-1", 2)}),
                  std::pair(0, 0));
    }
    auto active = book->active({});
    ASSERT_EQ(active.size(), 1U);
    EXPECT_EQ(active[0].fault.subject, "box-1");
    EXPECT_EQ(active[0].raised_at,
              std::chrono::time_point_cast<std::chrono::milliseconds>(raised_at));
    EXPECT_EQ(active[0].fault.figures.at("offline_grace_s"), 30);

    clock.advance(std::chrono::seconds(7));
    EXPECT_EQ(*book->reconcile(AlarmKind::cluster_offline, {}), std::pair(0, 1));
    EXPECT_TRUE(book->active({}).empty());
    auto history = book->history({});
    ASSERT_TRUE(history);
    ASSERT_EQ(history->size(), 1U);
    ASSERT_TRUE((*history)[0].cleared_at);
    EXPECT_EQ(*(*history)[0].cleared_at - (*history)[0].raised_at, std::chrono::seconds(12));

    // The fault again: a new episode, a new alarm.
    EXPECT_EQ(*book->reconcile(AlarmKind::cluster_offline, {offline("box-1", 2)}), std::pair(1, 0));
    ASSERT_EQ(events.size(), 3U);
    EXPECT_EQ(events[0].second, AlarmEvent::raised);
    EXPECT_EQ(events[1], std::pair(events[0].first, AlarmEvent::cleared));
    EXPECT_EQ(events[2].second, AlarmEvent::raised);
    EXPECT_NE(events[2].first, events[0].first);
}

TEST_F(AlarmBookTest, ACheckClearsOnlyTheAlarmsOfItsOwnKind) {
    auto book = open();
    ASSERT_TRUE(book->reconcile(AlarmKind::disk_low, {disk()}));
    ASSERT_TRUE(book->reconcile(AlarmKind::cluster_offline, {offline("a", 2), offline("b", 3)}));
    EXPECT_EQ(*book->reconcile(AlarmKind::cluster_offline, {offline("b", 3)}), std::pair(0, 1));
    auto active = book->active({});
    ASSERT_EQ(active.size(), 2U);
    EXPECT_EQ(active[0].fault.kind, AlarmKind::disk_low) << "the gravest comes first";
    EXPECT_EQ(active[1].fault.subject, "b");
}

TEST_F(AlarmBookTest, AnEpisodeThatOutlivesARestartIsNotRaisedAgain) {
    {
        auto book = open();
        ASSERT_TRUE(book->reconcile(AlarmKind::cluster_offline, {offline("box-1", 2)}));
    }
    auto book = open();
    ASSERT_EQ(book->active({}).size(), 1U);
    EXPECT_EQ(*book->reconcile(AlarmKind::cluster_offline, {offline("box-1", 2)}), std::pair(0, 0));
    EXPECT_EQ(*book->reconcile(AlarmKind::cluster_offline, {}), std::pair(0, 1));
    EXPECT_EQ(book->history({})->size(), 1U);
}

TEST_F(AlarmBookTest, WhatTheStageKeepsIsInTheChangesTransaction) {
    int staged = 0;
    bool refuse = false;
    server::AlarmBook book(
        dir.file("loa.db"), clock, nullptr,
        [&](common::Database& db, const server::Alarm&, AlarmEvent) -> common::Result<void> {
            if (refuse)
                return common::make_error(common::Errc::io_error, "disk full");
            ++staged;
            return db.execute("CREATE TABLE IF NOT EXISTS kept (n INTEGER)");
        });
    refuse = true;
    auto failed = book.reconcile(AlarmKind::cluster_offline, {offline("box-1", 2)});
    ASSERT_FALSE(failed);
    EXPECT_TRUE(book.active({}).empty()) << "no alarm without what it must keep";
    EXPECT_TRUE(book.history({})->empty());
    refuse = false;
    EXPECT_EQ(*book.reconcile(AlarmKind::cluster_offline, {offline("box-1", 2)}), std::pair(1, 0));
    // An undetermined subject keeps its alarm.
    EXPECT_EQ(*book.reconcile(AlarmKind::cluster_offline, {}, {"box-1"}), std::pair(0, 0));
    ASSERT_TRUE(book.acknowledge(book.active({})[0].id, "admin"));
    ASSERT_TRUE(book.acknowledge(book.active({})[0].id, "admin"));
    EXPECT_EQ(staged, 2) << "raised, then acknowledged once";
}

TEST_F(AlarmBookTest, TheFirstAcknowledgementStays) {
    auto book = open();
    ASSERT_TRUE(book->reconcile(AlarmKind::cluster_offline, {offline("box-1", 2)}));
    auto id = book->active({})[0].id;
    clock.advance(std::chrono::seconds(3));
    auto acknowledged = book->acknowledge(id, "manager1");
    ASSERT_TRUE(acknowledged);
    EXPECT_EQ(acknowledged->acknowledged_by, "manager1");
    ASSERT_TRUE(acknowledged->acknowledged_at);
    EXPECT_EQ(*acknowledged->acknowledged_at - acknowledged->raised_at, std::chrono::seconds(3));
    EXPECT_EQ(book->active({})[0].acknowledged_by, "manager1");
    auto again = book->acknowledge(id, "admin");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->acknowledged_by, "manager1");
    EXPECT_EQ(std::count(events.begin(), events.end(), std::pair(id, AlarmEvent::acknowledged)), 1);
    auto missing = book->acknowledge(id + 100, "admin");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, common::Errc::not_found);
    // Acknowledged, it still clears by itself, and history keeps who acknowledged it.
    ASSERT_TRUE(book->reconcile(AlarmKind::cluster_offline, {}));
    EXPECT_EQ((*book->history({}))[0].acknowledged_by, "manager1");
}

TEST_F(AlarmBookTest, ListingsFilterByKindSeverityUnitAndTime) {
    auto book = open();
    ASSERT_TRUE(book->reconcile(AlarmKind::cluster_offline,
                                {offline("a", 2), offline("b", 3, Severity::warning)}));
    clock.advance(std::chrono::hours(1));
    auto later = std::chrono::time_point_cast<std::chrono::milliseconds>(clock.system_now());
    ASSERT_TRUE(book->reconcile(AlarmKind::disk_low, {disk()}));

    server::AlarmFilter kind;
    kind.kind = AlarmKind::disk_low;
    EXPECT_EQ(book->active(kind).size(), 1U);
    server::AlarmFilter major;
    major.severity = Severity::major; // major or graver
    auto graver = book->active(major);
    ASSERT_EQ(graver.size(), 2U);
    EXPECT_EQ(graver[1].fault.subject, "a");
    server::AlarmFilter unit;
    unit.units = std::set<std::int64_t>{3};
    auto of_unit = book->active(unit);
    ASSERT_EQ(of_unit.size(), 1U);
    EXPECT_EQ(of_unit[0].fault.subject, "b") << "an alarm of no unit is not a unit's";
    server::AlarmFilter recent;
    recent.from = later;
    auto history = book->history(recent);
    ASSERT_EQ(history->size(), 1U);
    EXPECT_EQ((*history)[0].fault.kind, AlarmKind::disk_low);
    server::AlarmFilter one;
    one.limit = 1;
    EXPECT_EQ((*book->history(one))[0].fault.kind, AlarmKind::disk_low) << "newest first";
}

TEST_F(AlarmBookTest, AReorganisationGivesActiveAlarmsToTheUnitsThatTookTheirClustersOver) {
    auto book = open();
    ASSERT_TRUE(book->reconcile(AlarmKind::cluster_offline,
                                {offline("box-1", 2), offline("box-2", 3), offline("box-3", 4)}));
    auto units_of = [&](std::int64_t unit) {
        server::AlarmFilter filter;
        filter.units = std::set<std::int64_t>{unit};
        std::vector<std::string> out;
        for (const auto& a : book->active(filter))
            out.push_back(a.fault.subject);
        std::sort(out.begin(), out.end());
        return out;
    };
    // 3 merges into 2: its cluster's alarm is 2's.
    book->note_units_merged({3}, 2);
    EXPECT_EQ(units_of(2), (std::vector<std::string>{"box-1", "box-2"}));
    EXPECT_TRUE(units_of(3).empty());
    // 2 splits: box-2 went to part 7, the rest to the first part, 6.
    book->note_unit_split(2, 6, {{"box-2", 7}});
    EXPECT_EQ(units_of(6), std::vector<std::string>{"box-1"});
    EXPECT_EQ(units_of(7), std::vector<std::string>{"box-2"});
    EXPECT_EQ(units_of(4), std::vector<std::string>{"box-3"}) << "others stay";
}
