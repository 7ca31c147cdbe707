// The status watch publishes each change once: what a channel plays, and each override as it
// starts and ends, to the units it concerns.
#include "../server_world.hpp"
#include "loa/server/monitoring/status_watch.hpp"

using namespace loa;
namespace json = boost::json;

namespace {

class StatusWatchTest : public test::ServerWorld {
protected:
    std::map<std::string, std::string> playing;
    std::mutex playing_mutex;

    std::unique_ptr<server::StatusWatch> watch() {
        return std::make_unique<server::StatusWatch>(
            [this] {
                std::lock_guard lock(playing_mutex);
                return playing;
            },
            *schedule, *hub, notifier);
    }

    /// What was published since the last look, and forgets it.
    std::vector<server::Notification> take() {
        std::lock_guard lock(mutex);
        return std::exchange(published, {});
    }
};

} // namespace

TEST_F(StatusWatchTest, WhatAChannelPlaysIsPublishedOncePerChangeToItsUnit) {
    auto w = watch();
    auto commune = schedule->unit_ids({"70-001"}).front();
    playing = {{"70-001", "e1@100"}};
    w->check();
    w->check();
    auto first = take();
    ASSERT_EQ(first.size(), 1U);
    EXPECT_EQ(first[0].method, "channel.now_playing");
    EXPECT_EQ(first[0].params.at("channel"), json::value("70-001"));
    EXPECT_EQ(first[0].params.at("program"), json::value("e1@100"));
    EXPECT_EQ(first[0].units, std::vector<std::int64_t>{commune});
    playing = {{"70-001", "o3"}};
    w->check();
    auto second = take();
    ASSERT_EQ(second.size(), 1U);
    EXPECT_EQ(second[0].params.at("program"), json::value("o3"));
    playing.clear();
    w->check();
    auto ended = take();
    ASSERT_EQ(ended.size(), 1U);
    EXPECT_TRUE(ended[0].params.at("program").is_null());
}

TEST_F(StatusWatchTest, AnOverrideIsPublishedOnceAsItStartsAndOnceAsItEnds) {
    auto w = watch();
    w->check();
    (void)take();
    auto admin = control_socket();
    auto started =
        gateway->call("stop_all.start", params({{"units", json::array{"70-001"}}}), admin);
    (void)take(); // the call's own events, if any
    w->check();
    w->check();
    auto begun = take();
    ASSERT_EQ(begun.size(), 1U);
    EXPECT_EQ(begun[0].method, "stop_all.started");
    EXPECT_EQ(begun[0].params.at("id"), started.at("override"));
    EXPECT_EQ(begun[0].params.at("kind"), json::value("stop_all"));
    EXPECT_EQ(begun[0].units, schedule->unit_ids({"70-001"}));
    gateway->call("stop_all.release", params({{"id", started.at("override")}}), admin);
    (void)take();
    w->check();
    auto over = take();
    ASSERT_EQ(over.size(), 1U);
    EXPECT_EQ(over[0].method, "stop_all.ended");
    EXPECT_EQ(over[0].params.at("id"), started.at("override"));
}
