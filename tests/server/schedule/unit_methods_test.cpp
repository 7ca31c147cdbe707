// units.rename, units.lineage and units.find over a real store, with a manual clock.
#include "loa/server/supervision/alarm_book.hpp"
#include "schedule_api_fixture.hpp"

using namespace loa::test; // NOLINT(google-build-using-namespace)

namespace {

/// 70-002 (Tân Hòa) split on 2027-01-10: its cluster hoa-1 to 70-001, hoa-2 to a new 25999.
json::object tan_hoa_split() {
    return {
        {"unit", "70-002"},
        {"parts", json::array{json::object{{"code", "70-001"}, {"clusters", json::array{"hoa-1"}}},
                              json::object{{"code", "25999"},
                                           {"name", "Xã Tân Hòa Mới"},
                                           {"clusters", json::array{"hoa-2"}}}}},
        {"date", "2027-01-10"}};
}

std::vector<std::string> codes_of(const json::array& items, const char* key) {
    std::vector<std::string> out;
    for (const auto& item : items)
        out.emplace_back(item.at(key).at("code").as_string());
    return out;
}

TEST_F(ScheduleApiTest, ARenameTakesEffectOnItsDayAndTheUnitsListKeepsTheFormerName) {
    auto renamed = call("units.rename",
                        {{"unit", "70-001"}, {"name", "Phường Tân Lập"}, {"date", "2027-01-01"}});
    ASSERT_TRUE(renamed.ok()) << renamed.message;
    EXPECT_EQ(renamed.result.at("name"), "Phường Tân Lập");
    EXPECT_EQ(renamed.result.at("named_from"), "2027-01-01");
    EXPECT_EQ(changes, 1);

    auto units = call("units.list").result.as_array();
    const auto& former = units[1].at("former_names").as_array();
    ASSERT_EQ(former.size(), 1U);
    EXPECT_EQ(former[0].at("name"), "Xã Tân Lập");
    EXPECT_EQ(former[0].at("code"), "70-001");
    EXPECT_EQ(former[0].at("valid_from"), "2025-07-01");
    EXPECT_EQ(former[0].at("valid_to"), "2027-01-01");
    EXPECT_TRUE(units[2].at("former_names").as_array().empty());

    // Today by default (2027-01-15 here); never a day still to come.
    auto today = call("units.rename", {{"unit", "70-002"}, {"name", "Phường Tân Hòa"}});
    ASSERT_TRUE(today.ok()) << today.message;
    EXPECT_EQ(today.result.at("named_from"), "2027-01-15");
    auto later =
        call("units.rename", {{"unit", "70"}, {"name", "Đồng Nai"}, {"date", "2027-02-01"}});
    EXPECT_EQ(later.code, rpc_code::kInvalidParams);
    EXPECT_EQ(later.message, "params.date: a rename takes effect on a day up to today "
                             "(2027-01-15), not on 2027-02-01; make it on that day");
    EXPECT_EQ(call("units.rename", {{"unit", "70"}, {"name", "Đồng Nai"}, {"date", "1-2-3"}}).code,
              rpc_code::kInvalidParams);
    EXPECT_EQ(call("units.rename", {{"unit", "70-009"}, {"name", "Xã Mới"}}).code,
              rpc_code::kNotFound);
    EXPECT_EQ(changes, 2);
}

TEST_F(ScheduleApiTest, TheLineageOfAUnitShowsWhatItWasMadeOfAndAMergedOneWhatItBecame) {
    ASSERT_TRUE(
        call("units.merge", {{"unit", "70-002"}, {"into", "70-001"}, {"date", "2026-07-01"}}).ok());
    ASSERT_TRUE(call("units.rename",
                     {{"unit", "70-001"}, {"name", "Phường Tân Lập"}, {"date", "2026-07-01"}})
                    .ok());

    auto lineage = call("units.lineage", {{"unit", "70-001"}});
    ASSERT_TRUE(lineage.ok()) << lineage.message;
    const auto& l = lineage.result.as_object();
    EXPECT_EQ(l.at("unit").at("name"), "Phường Tân Lập");
    EXPECT_EQ(l.at("names").as_array().size(), 2U);
    EXPECT_EQ(l.at("names").as_array()[0].at("name"), "Xã Tân Lập");
    const auto& predecessors = l.at("predecessors").as_array();
    EXPECT_EQ(codes_of(predecessors, "unit"), (std::vector<std::string>{"70-002"}));
    EXPECT_EQ(predecessors[0].at("merged_on"), "2026-07-01");
    EXPECT_EQ(predecessors[0].at("names").as_array()[0].at("name"), "Xã Tân Hòa");
    EXPECT_TRUE(l.at("became").as_array().empty());

    auto merged = call("units.lineage", {{"unit", "70-002"}}).result.as_object();
    ASSERT_EQ(merged.at("became").as_array().size(), 1U);
    EXPECT_EQ(merged.at("became").as_array()[0].at("code"), "70-001");
    EXPECT_EQ(merged.at("became").as_array()[0].at("name"), "Phường Tân Lập");
    EXPECT_EQ(merged.at("became").as_array()[0].at("merged_on"), "2026-07-01");

    // The province is made of no merged unit: its communes are within it, not before it.
    EXPECT_TRUE(
        call("units.lineage", {{"unit", "70"}}).result.at("predecessors").as_array().empty());
    EXPECT_EQ(call("units.lineage", {{"unit", "99"}}).code, rpc_code::kNotFound);
    EXPECT_EQ(changes, 2);
}

TEST_F(ScheduleApiTest, AFindByAnOldNameLeadsToTheUnitItLivesOnIn) {
    ASSERT_TRUE(
        call("units.merge", {{"unit", "70-002"}, {"into", "70-001"}, {"date", "2026-07-01"}}).ok());
    auto found = call("units.find", {{"text", "tan hoa"}});
    ASSERT_TRUE(found.ok()) << found.message;
    const auto& hits = found.result.as_array();
    ASSERT_EQ(hits.size(), 1U);
    EXPECT_EQ(hits[0].at("unit").at("code"), "70-002");
    EXPECT_EQ(hits[0].at("matched").at("name"), "Xã Tân Hòa");
    EXPECT_EQ(hits[0].at("now").at("code"), "70-001");

    auto live = call("units.find", {{"text", "TÂN LẬP"}}).result.as_array();
    ASSERT_EQ(live.size(), 1U);
    EXPECT_TRUE(live[0].at("now").is_null());
    EXPECT_EQ(call("units.find", {{"text", ""}}).code, rpc_code::kInvalidParams);
    EXPECT_EQ(call("units.find", {{"text", std::string(101, 'a')}}).code, rpc_code::kInvalidParams);
    EXPECT_EQ(call("units.find", {{"text", 7}}).code, rpc_code::kInvalidParams);
    // A combining accent alone would match every unit.
    EXPECT_EQ(call("units.find", {{"text", "\xcc\x81 "}}).code, rpc_code::kInvalidParams);
}

TEST_F(ScheduleApiTest, AMergeMovesEntriesToTheSuccessorListsCollisionsAndADryRunChangesNothing) {
    auto program = approved_program("Nhạc");
    auto mine = call("entries.create", entry(program, "70-001", "2027-01-16T08:00:00"));
    auto theirs = call("entries.create", entry(program, "70-002", "2027-01-16T08:05:00"));
    ASSERT_TRUE(mine.ok() && theirs.ok()) << mine.message << theirs.message;
    auto theirs_id = theirs.result.at("id").as_int64();
    json::object merge{{"units", json::array{"70-002"}},
                       {"into", "70-001"},
                       {"name", "Xã Tân Lập Mới"},
                       {"date", "2027-01-10"}};

    auto preview = merge;
    preview["dry_run"] = true;
    auto dry = call("units.merge", preview);
    ASSERT_TRUE(dry.ok()) << dry.message;
    EXPECT_EQ(dry.result.at("dry_run"), true);
    EXPECT_EQ(dry.result.at("unit").at("name"), "Xã Tân Lập Mới");
    EXPECT_EQ(dry.result.at("merged").at(0).at("merged_into"), dry.result.at("unit").at("id"));
    EXPECT_EQ(changes, 3) << "the approval and the two entries only";
    EXPECT_TRUE(call("units.list").result.as_array()[2].at("merged_into").is_null());
    EXPECT_EQ(call("units.list").result.as_array()[1].at("name"), "Xã Tân Lập");

    // An active alarm of the merged commune (the alarm book's table on the same database).
    loa::server::AlarmBook alarms(database_file(settings), clock,
                                  [](const loa::server::Alarm&, loa::server::AlarmEvent) {});
    loa::server::Fault offline;
    offline.kind = loa::server::AlarmKind::cluster_offline;
    offline.subject = "hoa-1";
    offline.unit = store->unit_by_code("70-002")->id;
    offline.severity = loa::server::Severity::major;
    ASSERT_TRUE(alarms.reconcile(loa::server::AlarmKind::cluster_offline, {offline}));

    auto done = call("units.merge", merge);
    ASSERT_TRUE(done.ok()) << done.message;
    EXPECT_EQ(changes, 4);
    EXPECT_EQ(done.result.at("moved").at("entries"), (json::array{theirs_id}));
    EXPECT_EQ(done.result.at("moved").at("alarms"), 1) << "the alarm is the successor's now";
    const auto& collisions = done.result.at("collisions").as_array();
    ASSERT_EQ(collisions.size(), 1U) << json::serialize(collisions);
    EXPECT_EQ(collisions[0].at("entry"), theirs_id);
    EXPECT_NE(json::value_to<std::string>(collisions[0].at("problem")).find("overlaps entry"),
              std::string::npos);
    auto entries = call("entries.list").result;
    for (const auto& e : entries.as_array())
        EXPECT_EQ(e.at("units"), (json::array{"70-001"}));
    auto lineage = call("units.lineage", {{"unit", "70-001"}}).result;
    EXPECT_EQ(lineage.at("names").as_array().size(), 2U) << "renamed on the day of the merge";
    EXPECT_EQ(lineage.at("predecessors").at(0).at("unit").at("code"), "70-002");
}

TEST_F(ScheduleApiTest, AMergeIsRefusedForADayToComeOrWithoutUnits) {
    auto later =
        call("units.merge",
             {{"units", json::array{"70-002"}}, {"into", "70-001"}, {"date", "2027-02-01"}});
    EXPECT_EQ(later.code, rpc_code::kInvalidParams);
    EXPECT_EQ(later.message, "params.date: a merge takes effect on a day up to today "
                             "(2027-01-15), not on 2027-02-01; make it on that day");
    EXPECT_EQ(call("units.merge", {{"into", "70-001"}}).code, rpc_code::kInvalidParams);
    EXPECT_EQ(call("units.merge", {{"units", json::array{"70-009"}}, {"into", "70-001"}}).code,
              rpc_code::kNotFound);
    EXPECT_EQ(changes, 0);
}

TEST_F(ScheduleApiTest, HistoryShowsTheUnitsAsTheyWereAndASuccessorsReportItsPredecessors) {
    // Three communes merge into 70-001 on 10 January, which keeps its code and takes a new
    // name; each aired a bulletin the day before, and 70-001 one after.
    loa::schedules::Unit third;
    third.code = "70-003";
    third.name = "Xã Tân Bình";
    third.parent = store->unit_by_code("70")->id;
    ASSERT_TRUE(store->add_unit(third));
    auto program = approved_program("Bản tin");
    constexpr std::int64_t kJan15 = 1799946000000; // 00:00 in Hồ Chí Minh City
    constexpr std::int64_t kDay = 24 * 3600 * 1000;
    auto air = [&](const char* channel, std::int64_t at) {
        loa::schedules::AsRunRecord row;
        row.program = program;
        row.channel = channel;
        row.started_at = loa::schedules::Millis(std::chrono::milliseconds(at));
        auto id = store->open_as_run(row);
        ASSERT_TRUE(id);
        ASSERT_TRUE(store->close_as_run(*id, row.started_at + std::chrono::minutes(10), 1,
                                        loa::schedules::Outcome::completed));
    };
    auto jan9 = kJan15 - 6 * kDay + 10 * 3600 * 1000;
    for (const auto* channel : {"70-001", "70-002", "70-003"})
        air(channel, jan9);
    air("70-001", kJan15 - kDay + 10 * 3600 * 1000);
    ASSERT_TRUE(call("units.merge", {{"units", json::array{"70-002", "70-003"}},
                                     {"into", "70-001"},
                                     {"name", "Phường Tân Lập"},
                                     {"date", "2027-01-10"}})
                    .ok());

    auto listed = [&](json::object params) {
        params["from_ms"] = kJan15 - 7 * kDay;
        std::vector<std::string> out;
        auto rows = call("as_run.list", params);
        EXPECT_TRUE(rows.ok()) << rows.message;
        for (const auto& row : rows.result.as_array())
            out.push_back(std::string(row.at("channel").as_string()) + " " +
                          std::string(row.at("unit").at("name").as_string()));
        return out;
    };
    // Before the day the units as they were, after it the new one.
    EXPECT_EQ(listed({}),
              (std::vector<std::string>{"70-001 Xã Tân Lập", "70-002 Xã Tân Hòa",
                                        "70-003 Xã Tân Bình", "70-001 Phường Tân Lập"}));
    EXPECT_EQ(listed({{"unit", "70-001"}}),
              (std::vector<std::string>{"70-001 Xã Tân Lập", "70-001 Phường Tân Lập"}));
    EXPECT_EQ(listed({{"unit", "70-001"}, {"predecessors", true}}).size(), 4U);
    EXPECT_EQ(listed({{"unit", "70-002"}}), std::vector<std::string>{"70-002 Xã Tân Hòa"});
    EXPECT_EQ(call("as_run.list", {{"unit", "70-404"}}).code, rpc_code::kNotFound);

    // The daily figures: each unit as it was, a merged one until its end (9 January is the
    // first of the 7 days); with its predecessors, the successor counts theirs too and they
    // have no row of their own.
    auto first_days = [&](bool predecessors) {
        auto r = call("stats.history", {{"days", 7}, {"predecessors", predecessors}});
        EXPECT_TRUE(r.ok()) << r.message;
        std::map<std::string, double> out;
        for (const auto& u : r.result.at("units").as_array())
            if (u.at("unit").as_string().starts_with("70-"))
                out[std::string(u.at("unit").as_string())] =
                    u.at("minutes_on_air").as_array()[0].to_number<double>();
        return out;
    };
    EXPECT_EQ(first_days(false), (std::map<std::string, double>{
                                     {"70-001", 10.0}, {"70-002", 10.0}, {"70-003", 10.0}}));
    EXPECT_EQ(first_days(true), (std::map<std::string, double>{{"70-001", 30.0}}));
    auto r = call("stats.history", {{"days", 7}});
    for (const auto& u : r.result.at("units").as_array())
        if (u.at("unit") == "70-002") {
            EXPECT_EQ(u.at("valid_to"), "2027-01-10");
            EXPECT_EQ(u.at("name"), "Xã Tân Hòa");
        }
    // Before the days, an ended unit has no row.
    clock.advance(std::chrono::days(10));
    EXPECT_TRUE(first_days(false).count("70-002") == 0);
}

} // namespace

TEST_F(ScheduleApiTest, AUnitSplitsAmongAnExistingCommuneAndANewOneWithItsClustersAndEntries) {
    for (const auto* id : {"hoa-1", "hoa-2"})
        ASSERT_TRUE(store->put_cluster({id, store->unit_by_code("70-002")->id, id}));
    auto program = approved_program("Bản tin Tân Hòa");
    auto made = call("entries.create", entry(program, "70-002", "2027-01-20T06:30:00"));
    ASSERT_TRUE(made.ok()) << made.message;
    auto silence = call("stop_all.start", {{"units", json::array{"70-002"}}});
    ASSERT_TRUE(silence.ok()) << silence.message;
    auto split = tan_hoa_split();
    auto preview = split;
    preview["dry_run"] = true;
    auto dry = call("units.split", preview);
    ASSERT_TRUE(dry.ok()) << dry.message;
    EXPECT_EQ(dry.result.at("added"), json::array{"25999"});
    EXPECT_EQ(dry.result.at("moved").at("clusters"), (json::array{"hoa-1", "hoa-2"}));
    EXPECT_EQ(dry.result.at("moved").at("entries"), json::array{made.result.at("id")});
    EXPECT_EQ(call("units.list").result.as_array().size(), 3U) << "a dry run adds nothing";
    auto changes_before = changes;

    auto done = call("units.split", split);
    ASSERT_TRUE(done.ok()) << done.message;
    EXPECT_EQ(changes, changes_before + 1);
    auto ended = store->unit_by_code("70-002");
    EXPECT_EQ(ended->valid_to, "2027-01-10");
    EXPECT_FALSE(ended->merged_into);
    auto added = store->unit_by_code("25999");
    ASSERT_TRUE(added);
    EXPECT_EQ(added->parent, store->unit_by_code("70")->id);
    EXPECT_EQ(added->valid_from, "2027-01-10");
    std::map<std::string, std::string> cluster_unit;
    auto clusters = call("clusters.list").result;
    for (const auto& c : clusters.as_array())
        cluster_unit[std::string(c.at("id").as_string())] = c.at("unit").as_string();
    EXPECT_EQ(cluster_unit["hoa-1"], "70-001");
    EXPECT_EQ(cluster_unit["hoa-2"], "25999");
    // The entry and the stop-all under way reach the same territory and no more: the new
    // part, and of the existing one only the cluster it was given.
    auto saved = call("entries.list").result.as_array().at(0);
    EXPECT_EQ(saved.at("units"), json::array{"25999"});
    EXPECT_EQ(saved.at("clusters"), json::array{"hoa-1"});
    auto silenced = call("overrides.list").result.as_array().at(0).at("channels");
    EXPECT_EQ(silenced,
              (json::array{"25999", json::value(loa::schedules::cluster_channel("hoa-1"))}));
    // The ended unit is no target any more; the error names its parts.
    auto late = call("emergency.start", {{"units", json::array{"70-002"}}, {"program", program}});
    EXPECT_EQ(late.code, rpc_code::kInvalidParams);
    EXPECT_NE(late.message.find(R"(split into "70-001" (Xã Tân Lập), "25999" (Xã Tân Hòa Mới))"),
              std::string::npos)
        << late.message;
    auto again = call("entries.create", entry(program, "70-002", "2027-01-21T06:30:00"));
    EXPECT_NE(again.message.find("ended on 2027-01-10"), std::string::npos) << again.message;

    auto lineage = call("units.lineage", {{"unit", "70-002"}}).result.as_object();
    EXPECT_EQ(lineage.at("split_into").as_array().size(), 2U);
    EXPECT_EQ(lineage.at("split_on"), "2027-01-10");
    auto part = call("units.lineage", {{"unit", "25999"}}).result.as_object();
    EXPECT_EQ(part.at("split_from").as_array().at(0).at("code"), "70-002");
    auto found = call("units.find", {{"text", "tan hoa"}}).result.as_array();
    ASSERT_FALSE(found.empty());
    EXPECT_EQ(found[0].at("split_into").as_array().size(), 2U);

    // Refused, with the reason, and nothing changed.
    auto refusal = [&](json::object params) {
        params["date"] = "2027-01-12";
        auto r = call("units.split", params);
        EXPECT_EQ(r.code, rpc_code::kInvalidParams) << json::serialize(params);
        return r.message;
    };
    EXPECT_NE(refusal(split).find("ended on 2027-01-10"), std::string::npos);
    ASSERT_TRUE(store->put_cluster({"lap-1", store->unit_by_code("70-001")->id, "lap-1"}));
    json::object one{{"unit", "70-001"},
                     {"parts", json::array{json::object{{"code", "25998"}, {"name", "Xã A"}}}}};
    EXPECT_NE(refusal(one).find("two parts or more"), std::string::npos);
    json::object unplaced{
        {"unit", "70-001"},
        {"parts", json::array{json::object{{"code", "25998"}, {"name", "Xã A"}},
                              json::object{{"code", "25997"}, {"name", "Xã B"}}}}};
    EXPECT_NE(refusal(unplaced).find("not given: hoa-1"), std::string::npos);
    json::object itself{{"unit", "70-001"},
                        {"parts", json::array{json::object{{"code", "70-001"}},
                                              json::object{{"code", "25997"}, {"name", "Xã B"}}}}};
    EXPECT_NE(refusal(itself).find("its own parts"), std::string::npos);
    json::object province{
        {"unit", "70-001"},
        {"parts", json::array{json::object{{"code", "70"}},
                              json::object{{"code", "25997"}, {"name", "Xã B"}}}}};
    EXPECT_NE(refusal(province).find("not of its level"), std::string::npos);
    json::object bad_code{
        {"unit", "70-001"},
        {"parts", json::array{json::object{{"code", "2599"}, {"name", "Xã A"}},
                              json::object{{"code", "25997"}, {"name", "Xã B"}}}}};
    EXPECT_NE(refusal(bad_code).find("5 digits"), std::string::npos);
    ASSERT_TRUE(store->put_cluster({"lap-2", store->unit_by_code("70-001")->id, "lap-2"}));
    json::object too_early{
        {"unit", "70-001"},
        {"parts", json::array{json::object{{"code", "25999"}, {"clusters", json::array{"hoa-1"}}},
                              json::object{{"code", "25997"},
                                           {"name", "Xã B"},
                                           {"clusters", json::array{"lap-1", "lap-2"}}}}},
        {"date", "2027-01-09"}};
    auto early = call("units.split", too_early);
    EXPECT_NE(early.message.find("begins on 2027-01-10, after the split"), std::string::npos)
        << early.message;
    EXPECT_EQ(call("units.list").result.as_array().size(), 4U);
    EXPECT_EQ(changes, changes_before + 1);
}

TEST_F(ScheduleApiTest, ASplitOrACodeTheConfigurationCannotServeIsRefused) {
    for (const auto* id : {"hoa-1", "hoa-2"})
        ASSERT_TRUE(store->put_cluster({id, store->unit_by_code("70-002")->id, id}));
    auto split = tan_hoa_split();
    // A receiver of the configuration file stays on the channel it names there.
    loa::server::ReceiverSettings configured;
    configured.id = "hoa-2";
    configured.channel = "70-002";
    settings.receivers.push_back(configured);
    auto r = call("units.split", split);
    EXPECT_EQ(r.code, rpc_code::kInvalidParams);
    EXPECT_NE(r.message.find("receiver of the configuration"), std::string::npos) << r.message;
    settings.receivers.clear();
    // In group key mode a unit's channel needs its key from the configuration.
    settings.key_mode = loa::server::KeyMode::group;
    for (const auto* code : {"70", "70-001", "70-002"}) {
        loa::server::ChannelSettings c;
        c.id = code;
        c.group_key.assign(28, 7);
        settings.channels.push_back(c);
    }
    r = call("units.split", split);
    EXPECT_EQ(r.code, rpc_code::kInvalidParams);
    EXPECT_NE(r.message.find("unit 25999: in group key mode"), std::string::npos) << r.message;
    r = call("units.recode", {{"unit", "70-002"}, {"code", "25998"}});
    EXPECT_EQ(r.code, rpc_code::kInvalidParams);
    EXPECT_NE(r.message.find("unit 25998: in group key mode"), std::string::npos) << r.message;
    EXPECT_EQ(call("units.list").result.as_array().size(), 3U) << "nothing changed";
    EXPECT_EQ(changes, 0);
    // Given its key, the split goes through.
    loa::server::ChannelSettings keyed;
    keyed.id = "25999";
    keyed.group_key.assign(28, 9);
    settings.channels.push_back(keyed);
    r = call("units.split", split);
    EXPECT_TRUE(r.ok()) << r.message;
}
