#include "schedule_api_fixture.hpp"

#include <future>

using namespace loa::test; // NOLINT(google-build-using-namespace)

TEST_F(ScheduleApiTest, UnitsListShowsTheProvinceAndItsCommunes) {
    auto r = call("units.list");
    ASSERT_TRUE(r.ok()) << r.message;
    const auto& units = r.result.as_array();
    ASSERT_EQ(units.size(), 3U);
    EXPECT_EQ(units[0].at("code"), "70");
    EXPECT_EQ(units[0].at("name"), "Bình Phước");
    EXPECT_TRUE(units[0].at("parent").is_null());
    EXPECT_EQ(units[1].at("code"), "70-001");
    EXPECT_EQ(units[1].at("parent"), units[0].at("id"));
    EXPECT_EQ(units[2].at("code"), "70-002");
    EXPECT_EQ(units[2].at("quiet_hours"), "22:00-05:00");
    EXPECT_EQ(units[2].at("approval_required"), true);
    EXPECT_EQ(changes, 0);
}

TEST_F(ScheduleApiTest, AnUploadedFileBecomesADraftThatCanBeApproved) {
    std::string wav = dir->file("nhac.wav");
    loa::test::write_tone_wav(wav, 440, 1.5);
    auto created = call("programs.create", {{"unit", "70-001"}, {"title", "Nhạc"}, {"path", wav}});
    ASSERT_TRUE(created.ok()) << created.message;
    EXPECT_EQ(created.result.at("kind"), "file");
    EXPECT_EQ(created.result.at("approval"), "draft");
    EXPECT_EQ(created.result.at("source"), json::value(wav));
    EXPECT_NEAR(static_cast<double>(created.result.at("duration_ms").as_int64()), 1500, 50);
    auto id = created.result.at("id").as_int64();
    auto stored = store->program(id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(fs::path(stored->media).filename(), stored->media)
        << "its name in the media folder, so that a restored or moved state plays";
    EXPECT_TRUE(fs::exists(fs::path(media_dir(settings)) / stored->media));

    auto decided = call("programs.decide", {{"id", id}, {"approval", "approved"}});
    ASSERT_TRUE(decided.ok()) << decided.message;
    EXPECT_EQ(decided.result.at("approval"), "approved");
    EXPECT_EQ(decided.result.at("decided_by"), "tester");
    EXPECT_EQ(changes, 1);

    auto bad = call("programs.decide", {{"id", id}, {"approval", "maybe"}});
    EXPECT_EQ(bad.code, rpc_code::kInvalidParams);
    EXPECT_NE(bad.message.find("params.approval"), std::string::npos) << bad.message;
}

TEST_F(ScheduleApiTest, AnUndecodableUploadIsRefusedAndCreatesNothing) {
    std::string fake = dir->file("bai-hat.mp3");
    {
        std::mt19937 random(20270115);
        std::ofstream out(fake, std::ios::binary);
        for (int i = 0; i < 64 * 1024; ++i)
            out.put(static_cast<char>(random() & 0xff));
    }
    auto r = call("programs.create", {{"unit", "70"}, {"title", "Bài hát"}, {"path", fake}});
    EXPECT_EQ(r.code, rpc_code::kMediaError) << r.message;
    EXPECT_FALSE(r.message.empty());
    auto programs = call("programs.list");
    ASSERT_TRUE(programs.ok()) << programs.message;
    EXPECT_TRUE(programs.result.as_array().empty());
    EXPECT_EQ(files_in(media_dir(settings)), 0U);
    EXPECT_EQ(changes, 0);
}

TEST_F(ScheduleApiTest, ABulletinIsRenderedOnceForTheSameTextVoiceAndRate) {
    auto first =
        call("programs.create", {{"unit", "70"}, {"title", "Bản tin"}, {"text", kBulletin}});
    if (espeak_missing(first))
        GTEST_SKIP() << "GStreamer's espeak element is not installed: " << first.message;
    ASSERT_TRUE(first.ok()) << first.message;
    EXPECT_EQ(first.result.at("kind"), "tts");
    EXPECT_EQ(first.result.at("voice"), "vi");
    EXPECT_EQ(first.result.at("rate_wpm"), 150);
    EXPECT_GT(first.result.at("duration_ms").as_int64(), 1000);

    auto again =
        call("programs.create", {{"unit", "70"}, {"title", "Bản tin (lại)"}, {"text", kBulletin}});
    ASSERT_TRUE(again.ok()) << again.message;
    auto slower = call("programs.create",
                       {{"unit", "70"}, {"title", "Chậm"}, {"text", kBulletin}, {"rate_wpm", 120}});
    ASSERT_TRUE(slower.ok()) << slower.message;
    EXPECT_EQ(slower.result.at("rate_wpm"), 120);

    auto a = store->program(first.result.at("id").as_int64());
    auto b = store->program(again.result.at("id").as_int64());
    auto c = store->program(slower.result.at("id").as_int64());
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(a->media, b->media);
    EXPECT_NE(a->media, c->media);
    EXPECT_EQ(files_in(media_dir(settings)), 2U);
}

// The espeak element takes its rate as -100..100 around its normal speed; words per minute are
// mapped onto that range.
TEST_F(ScheduleApiTest, TheSpeechRateChangesHowLongABulletinLasts) {
    auto slow = call("programs.create",
                     {{"unit", "70"}, {"title", "Chậm"}, {"text", kBulletin}, {"rate_wpm", 80}});
    if (espeak_missing(slow))
        GTEST_SKIP() << "GStreamer's espeak element is not installed: " << slow.message;
    ASSERT_TRUE(slow.ok()) << slow.message;
    auto fast = call("programs.create",
                     {{"unit", "70"}, {"title", "Nhanh"}, {"text", kBulletin}, {"rate_wpm", 300}});
    ASSERT_TRUE(fast.ok()) << fast.message;
    auto slow_ms = slow.result.at("duration_ms").as_int64();
    auto fast_ms = fast.result.at("duration_ms").as_int64();
    EXPECT_GT(slow_ms * 2, fast_ms * 3)
        << "80 wpm lasts " << slow_ms << " ms, 300 wpm " << fast_ms << " ms";
}

TEST_F(ScheduleApiTest, EntryParamsOfTheWrongTypeAreRefusedNamingTheParam) {
    auto program = approved_program("Nhạc");
    int before = changes;
    auto start_number = entry(program, "70-001", "");
    start_number["start"] = 20270116;
    auto r = call("entries.create", start_number);
    EXPECT_EQ(r.code, rpc_code::kInvalidParams);
    EXPECT_EQ(r.message, "params.start: expected a string");

    auto units_string = entry(program, "70-001", "2027-01-16T08:00:00");
    units_string["units"] = "70-001";
    r = call("entries.create", units_string);
    EXPECT_EQ(r.code, rpc_code::kInvalidParams);
    EXPECT_EQ(r.message, "params.units: expected an array of strings");

    auto duration_text = entry(program, "70-001", "2027-01-16T08:00:00");
    duration_text["duration_s"] = "600";
    r = call("entries.create", duration_text);
    EXPECT_EQ(r.code, rpc_code::kInvalidParams);
    EXPECT_EQ(r.message, "params.duration_s: expected an integer");

    auto no_program = entry(program, "70-001", "2027-01-16T08:00:00");
    no_program.erase("program");
    r = call("entries.create", no_program);
    EXPECT_EQ(r.code, rpc_code::kInvalidParams);
    EXPECT_EQ(r.message, "params.program: expected an integer (it is required)");

    EXPECT_EQ(changes, before);
    EXPECT_TRUE(call("entries.list").result.as_array().empty());
}

TEST_F(ScheduleApiTest, AMergedCommuneCanNoLongerBeTargetedAndTheErrorSaysWhereItWent) {
    auto program = approved_program("Nhạc");
    auto merged = call("units.merge", {{"unit", "70-002"}, {"into", "70-001"}});
    ASSERT_TRUE(merged.ok()) << merged.message;
    EXPECT_FALSE(merged.result.at("merged").at(0).at("merged_into").is_null());
    EXPECT_EQ(changes, 2); // the approval, the merge
    auto r = call("entries.create", entry(program, "70-002", "2027-01-16T08:00:00"));
    EXPECT_EQ(r.code, rpc_code::kInvalidParams);
    EXPECT_NE(r.message.find("merged into \"70-001\""), std::string::npos) << r.message;
    EXPECT_EQ(call("units.merge", {{"unit", "70-001"}, {"into", "70-001"}}).code,
              rpc_code::kInvalidParams);
}

TEST_F(ScheduleApiTest, AnEntryOnAnUnknownUnitIsNotFound) {
    auto program = approved_program("Nhạc");
    auto r = call("entries.create", entry(program, "70-999", "2027-01-16T08:00:00"));
    EXPECT_EQ(r.code, rpc_code::kNotFound);
    EXPECT_NE(r.message.find("\"70-999\""), std::string::npos) << r.message;
}

TEST_F(ScheduleApiTest, AnOverlappingEntryIsAConflictNamingTheOtherEntry) {
    auto program = approved_program("Nhạc");
    int before = changes;
    auto first = call("entries.create", entry(program, "70-001", "2027-01-16T08:00:00"));
    ASSERT_TRUE(first.ok()) << first.message;
    auto first_id = first.result.at("id").as_int64();
    EXPECT_EQ(changes, before + 1);

    // The province covers the commune: ten minutes of 08:00 are still on there.
    auto r = call("entries.create", entry(program, "70", "2027-01-16T08:05:00"));
    EXPECT_EQ(r.code, rpc_code::kConflict);
    EXPECT_NE(r.message.find("overlaps entry #" + std::to_string(first_id)), std::string::npos)
        << r.message;
    EXPECT_NE(r.message.find("\"70-001\""), std::string::npos) << r.message;
    EXPECT_EQ(changes, before + 1);

    auto listed = call("entries.list");
    ASSERT_EQ(listed.result.as_array().size(), 1U);
    EXPECT_EQ(listed.result.as_array()[0].at("units"), (json::array{"70-001"}));
    EXPECT_EQ(listed.result.as_array()[0].at("time_zone"), json::value(settings.time_zone));

    auto deleted = call("entries.delete", {{"id", first_id}});
    ASSERT_TRUE(deleted.ok()) << deleted.message;
    EXPECT_EQ(changes, before + 2);
    EXPECT_EQ(call("entries.delete", {{"id", first_id}}).code, rpc_code::kNotFound);
    EXPECT_EQ(changes, before + 2);
}

TEST_F(ScheduleApiTest, AnUnapprovedProgramCannotBeScheduledWhereApprovalIsRequired) {
    auto draft = file_program("Nhạc");
    auto r = call("entries.create", entry(draft, "70-001", "2027-01-16T08:00:00"));
    EXPECT_EQ(r.code, rpc_code::kInvalidParams);
    EXPECT_NE(r.message.find("requires approval"), std::string::npos) << r.message;
    EXPECT_EQ(changes, 0);
}

TEST_F(ScheduleApiTest, AnEmergencyWithInlineTextRunsUntilStoppedOnce) {
    auto started = call("emergency.start", {{"units", json::array{"70-001"}},
                                            {"text", "Khẩn cấp: bão số 3 sắp đổ bộ."}});
    if (espeak_missing(started))
        GTEST_SKIP() << "GStreamer's espeak element is not installed: " << started.message;
    ASSERT_TRUE(started.ok()) << started.message;
    auto id = started.result.at("override").as_int64();
    auto program = started.result.at("program").as_int64();
    EXPECT_EQ(changes, 1);

    auto active = call("overrides.list");
    ASSERT_TRUE(active.ok()) << active.message;
    ASSERT_EQ(active.result.as_array().size(), 1U);
    const auto& o = active.result.as_array()[0];
    EXPECT_EQ(o.at("id"), id);
    EXPECT_EQ(o.at("kind"), "emergency");
    EXPECT_EQ(o.at("channels"), (json::array{"70-001"}));
    EXPECT_EQ(o.at("program"), program);
    EXPECT_EQ(o.at("started_by"), "tester");
    // The operator is the authority: the inline program needs no other approval; it is the
    // emergency's record, which no entry may schedule.
    EXPECT_EQ(store->program(program)->approval, loa::schedules::Approval::approved);
    EXPECT_TRUE(store->program(program)->emergency_record);
    EXPECT_EQ(store->program(program)->kind, loa::schedules::ProgramKind::tts);

    auto stopped = call("emergency.stop", {{"id", id}});
    ASSERT_TRUE(stopped.ok()) << stopped.message;
    EXPECT_EQ(stopped.result.at("ended"), id);
    EXPECT_EQ(changes, 2);
    EXPECT_TRUE(call("overrides.list").result.as_array().empty());

    auto again = call("emergency.stop", {{"id", id}});
    EXPECT_EQ(again.code, rpc_code::kInvalidParams);
    EXPECT_NE(again.message.find("already ended"), std::string::npos) << again.message;
    EXPECT_EQ(changes, 2);
}

TEST_F(ScheduleApiTest, AnOverrideIsEndedOnlyByTheMethodOfItsKind) {
    std::string wav = dir->file("coi.wav");
    loa::test::write_tone_wav(wav, 880, 1.0);
    auto emergency = call("emergency.start", {{"units", json::array{"70"}}, {"path", wav}});
    ASSERT_TRUE(emergency.ok()) << emergency.message;
    auto emergency_id = emergency.result.at("override").as_int64();
    auto stop_all = call("stop_all.start", {{"units", json::array{"70-002"}}});
    ASSERT_TRUE(stop_all.ok()) << stop_all.message;
    auto stop_all_id = stop_all.result.at("override").as_int64();
    EXPECT_EQ(changes, 2);

    auto wrong = call("stop_all.release", {{"id", emergency_id}});
    EXPECT_EQ(wrong.code, rpc_code::kInvalidParams);
    EXPECT_NE(wrong.message.find("emergency.stop"), std::string::npos) << wrong.message;
    wrong = call("emergency.stop", {{"id", stop_all_id}});
    EXPECT_EQ(wrong.code, rpc_code::kInvalidParams);
    EXPECT_NE(wrong.message.find("stop_all.release"), std::string::npos) << wrong.message;
    EXPECT_EQ(call("overrides.list").result.as_array().size(), 2U);
    EXPECT_EQ(changes, 2);

    EXPECT_TRUE(call("stop_all.release", {{"id", stop_all_id}}).ok());
    EXPECT_TRUE(call("emergency.stop", {{"id", emergency_id}}).ok());
    EXPECT_EQ(changes, 4);
    EXPECT_EQ(call("emergency.stop", {{"id", 999}}).code, rpc_code::kNotFound);
}

// The inline program of an emergency is only created once its targets are known good: a
// refused emergency leaves no approved program behind that nobody reviewed.
TEST_F(ScheduleApiTest, ARefusedEmergencyLeavesNoProgramBehind) {
    std::string wav = dir->file("coi.wav");
    loa::test::write_tone_wav(wav, 880, 1.0);
    auto no_cluster = call("emergency.start", {{"clusters", json::array{"nope"}}, {"path", wav}});
    EXPECT_EQ(no_cluster.code, rpc_code::kNotFound) << no_cluster.message;
    auto no_target = call("emergency.start", {{"path", wav}});
    EXPECT_EQ(no_target.code, rpc_code::kInvalidParams) << no_target.message;
    EXPECT_TRUE(call("overrides.list").result.as_array().empty());
    EXPECT_TRUE(call("programs.list").result.as_array().empty())
        << json::serialize(call("programs.list").result);
    EXPECT_EQ(changes, 0);
}

TEST_F(ScheduleApiTest, AsRunListReturnsTheDaysAirings) {
    auto empty = call("as_run.list");
    ASSERT_TRUE(empty.ok()) << empty.message;
    ASSERT_TRUE(empty.result.is_array());
    EXPECT_TRUE(empty.result.as_array().empty());

    auto program = approved_program("Nhạc");
    loa::schedules::AsRunRecord row;
    row.program = program;
    row.channel = "70-001";
    row.started_at =
        std::chrono::floor<std::chrono::milliseconds>(clock.system_now()) - std::chrono::hours(1);
    ASSERT_TRUE(store->open_as_run(row));
    auto listed = call("as_run.list");
    ASSERT_TRUE(listed.ok()) << listed.message;
    ASSERT_EQ(listed.result.as_array().size(), 1U);
    const auto& r = listed.result.as_array()[0];
    EXPECT_EQ(r.at("program"), program);
    EXPECT_EQ(r.at("title"), "Nhạc");
    EXPECT_EQ(r.at("channel"), "70-001");
    EXPECT_EQ(r.at("started_at"), "2027-01-15T07:00:00.000Z");
    EXPECT_TRUE(r.at("ended_at").is_null());
}

TEST_F(ScheduleApiTest, ReadsDoNotSignalAChange) {
    approved_program("Nhạc");
    int before = changes;
    for (const char* method : {"units.list", "clusters.list", "programs.list", "entries.list",
                               "overrides.list", "as_run.list", "status"}) {
        auto r = call(method);
        EXPECT_TRUE(r.ok()) << method << ": " << r.message;
    }
    auto exported = call("schedule.export", {{"unit", "70"}});
    ASSERT_TRUE(exported.ok()) << exported.message;
    EXPECT_NE(std::string(exported.result.at("ics").as_string()).find("BEGIN:VCALENDAR"),
              std::string::npos);
    EXPECT_EQ(changes, before);

    auto status = call("status");
    EXPECT_EQ(status.result.at("on_air").at("70-001"), "entry-1@x");
    EXPECT_EQ(status.result.at("receivers").as_array().size(), 1U);
}

TEST_F(ScheduleApiTest, AnUnknownMethodIsNotFound) {
    auto r = call("entries.frobnicate");
    EXPECT_EQ(r.code, rpc_code::kMethodNotFound);
    EXPECT_NE(r.message.find("entries.frobnicate"), std::string::npos) << r.message;
    EXPECT_EQ(changes, 0);
}

TEST_F(ScheduleApiTest, CallsThroughJsonRpcGetTheSameErrors) {
    auto program = approved_program("Nhạc");
    auto dispatch = [this](const std::string& method, const Params& p) {
        return loa::server::run_schedule_method(*api, method, p, "tester");
    };
    auto text = loa::server::handle_jsonrpc(
        R"({"jsonrpc":"2.0","id":1,"method":"entries.create","params":{"program":)" +
            std::to_string(program) +
            R"(,"units":["70-001"],"start":"2027-01-16T03:00:00","duration_s":600}})",
        dispatch);
    auto response = json::parse(text);
    EXPECT_EQ(response.at("error").at("code"), rpc_code::kInvalidParams);
    EXPECT_NE(std::string(response.at("error").at("message").as_string()).find("quiet hours"),
              std::string::npos)
        << text;
}

TEST_F(ScheduleApiTest, UnitLookupsAnswerWhileTheSchedulesLockIsHeld) {
    // The alarm book names units inside its own write transaction. Were the lookups to wait for
    // the schedule's lock, a method holding that lock while it waits for the write lock would
    // make a cycle of waits that only the database's busy timeout breaks, failing the method.
    auto held = api->lock();
    auto codes = std::async(std::launch::async, [&] {
        auto ids = api->unit_ids({"70-001", "70-002"});
        return api->unit_codes(ids);
    });
    bool answered = codes.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    held.unlock(); // a lookup still waiting then ends, and so does the test
    ASSERT_TRUE(answered) << "a unit lookup waited for the schedule's lock";
    EXPECT_EQ(codes.get(), (std::vector<std::string>{"70-001", "70-002"}));
}

TEST_F(ScheduleApiTest, ACalendarFromAnotherApplicationIsCheckedByADryRunThenImportedByTitle) {
    auto program = approved_program("Bản tin sáng");
    std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//Calendar//EN\r\n"
                      "BEGIN:VEVENT\r\nUID:a@example.org\r\nDTSTAMP:20261120T000000Z\r\n"
                      "SUMMARY:Bản tin sáng\r\nDTSTART;TZID=Asia/Ho_Chi_Minh:20270116T063000\r\n"
                      "DURATION:PT15M\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    auto before = changes;
    auto dry = call("schedule.import",
                    {{"unit", "70-001"}, {"ics", ics}, {"match_titles", true}, {"dry_run", true}});
    ASSERT_TRUE(dry.ok()) << dry.message;
    EXPECT_EQ(changes, before) << "nothing changed";
    EXPECT_TRUE(call("entries.list").result.as_array().empty());
    const auto& entry = dry.result.at("entries").as_array().at(0);
    EXPECT_EQ(entry.at("program"), program);
    EXPECT_EQ(entry.at("event"), "event \"a@example.org\" (\"Bản tin sáng\")");
    // The manual clock is 2027-01-15T15:00 local: 14 days hold 14 mornings from the 16th.
    EXPECT_EQ(entry.at("occurrences_ms").as_array().size(), 14U);
    EXPECT_TRUE(dry.result.at("refused").as_array().empty());

    auto saved =
        call("schedule.import", {{"unit", "70-001"}, {"ics", ics}, {"match_titles", true}});
    ASSERT_TRUE(saved.ok()) << saved.message;
    EXPECT_EQ(saved.result.at("entries").as_array().size(), 1U);
    EXPECT_EQ(changes, before + 1);
    EXPECT_EQ(call("schedule.import", {{"unit", "70-001"}, {"ics", ics}}).code,
              rpc_code::kInvalidParams)
        << "no X-LOA-PROGRAM, no program, no match_titles";
}
