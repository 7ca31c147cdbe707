// "Online", one definition: provisioned receivers by their control channel, configured ones by
// their reports of the last 30 s; both counted per unit.
#include <gtest/gtest.h>

#include "loa/server/monitoring/presence.hpp"

using namespace loa::server;

namespace {

ReceiverSettings configured(const std::string& id, const std::string& unit) {
    ReceiverSettings r;
    r.id = id;
    r.channel = unit;
    return r;
}

ReceiverStatus link(const std::string& id, double seconds_since_report) {
    ReceiverStatus s;
    s.id = id;
    s.seconds_since_report = seconds_since_report;
    return s;
}

ReceiverView provisioned(const std::string& id, const std::string& unit, bool online) {
    ReceiverView v;
    v.id = id;
    v.unit = unit;
    v.online = online;
    return v;
}

} // namespace

TEST(Presence, BothKindsOfReceiverCountInTheirUnitEachByItsOwnSign) {
    auto units = presence_by_unit(
        {configured("c1", "70-001"), configured("c2", "70-001"), configured("c3", "70-002")},
        {link("c1", 2), link("c2", 45), link("c3", -1), link("p1", 1), link("p2", 1)},
        {provisioned("p1", "70-001", true), provisioned("p2", "70-001", false),
         provisioned("p3", "70-003", true)});
    ASSERT_EQ(units.size(), 3U);
    // c1 reported 2 s ago; c2 45 s ago (too long); p1 is connected, p2 is not (its reports do
    // not make it online: a provisioned receiver is online by its control channel).
    EXPECT_EQ(units["70-001"].receivers, 4);
    EXPECT_EQ(units["70-001"].online, 2);
    EXPECT_EQ(units["70-002"].receivers, 1); // never reported
    EXPECT_EQ(units["70-002"].online, 0);
    EXPECT_EQ(units["70-003"].receivers, 1);
    EXPECT_EQ(units["70-003"].online, 1);
}

TEST(Presence, AConfiguredReceiverIsOnlineUpTo30sAfterItsLastReport) {
    auto at = [](double seconds) {
        return presence_by_unit({configured("c", "70")}, {link("c", seconds)}, {})["70"].online;
    };
    EXPECT_EQ(at(0), 1);
    EXPECT_EQ(at(29.9), 1);
    EXPECT_EQ(at(30), 0);
    EXPECT_EQ(presence_by_unit({configured("c", "70")}, {}, {})["70"].online, 0);
}
