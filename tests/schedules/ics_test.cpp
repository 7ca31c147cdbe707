#include <gtest/gtest.h>

#include <algorithm>

#include "loa/schedules/ics.hpp"
#include "loa/schedules/store.hpp"
#include "process.hpp"

using namespace loa::schedules;
using namespace std::chrono;

namespace {

Unit unit_of(std::string code, std::string name, std::optional<std::int64_t> parent) {
    Unit u;
    u.code = std::move(code);
    u.name = std::move(name);
    u.parent = parent;
    return u;
}

TimePoint vn(int y, unsigned m, unsigned d, int h, int min) {
    return sys_days(year(y) / month(m) / day(d)) + hours(h - 7) + minutes(min);
}

/// Everything an entry is, but its id, so that a round trip can be compared.
std::string describe(const Entry& e) {
    std::string out = "program " + std::to_string(e.program) + " " + to_string(e.priority) + " |";
    for (auto u : e.units)
        out += " unit " + std::to_string(u);
    for (const auto& r : e.receivers)
        out += " cluster " + r;
    out += " | " + e.when.start_local + " " + e.when.time_zone + " [" + e.when.rule + "] except";
    for (const auto& x : e.when.exceptions)
        out += " " + x;
    return out + " | " + std::to_string(e.duration.count()) + "s";
}

/// An iCalendar text with CRLF line ends, one VEVENT per group of property lines.
std::string calendar(const std::vector<std::vector<std::string>>& events) {
    std::string out = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Test//EN\r\n";
    for (const auto& lines : events) {
        out += "BEGIN:VEVENT\r\nDTSTAMP:20261120T000000Z\r\n";
        for (const auto& line : lines)
            out += line + "\r\n";
        out += "END:VEVENT\r\n";
    }
    return out + "END:VCALENDAR\r\n";
}

std::string unfold(std::string text) {
    for (auto at = text.find("\r\n "); at != std::string::npos; at = text.find("\r\n ", at))
        text.erase(at, 3);
    return text;
}

class IcsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<loa::test::TempDir>(
            std::string("ics-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        store = std::make_unique<ScheduleStore>(dir->file("schedule.db"));
        province = *store->add_unit(unit_of("70", "Bình Phước", std::nullopt));
        commune1 = *store->add_unit(unit_of("70-001", "Xã Tân Lập", province));
        commune2 = *store->add_unit(unit_of("70-002", "Xã Tân Hòa", province));
        ASSERT_TRUE(store->put_cluster({"rx-1", commune1, ""}));
        ASSERT_TRUE(store->put_cluster({"rx-2", commune1, ""}));
        ASSERT_TRUE(store->put_cluster({"rx-3", commune2, ""}));
        news = approved("Bản tin sáng");
        storm = approved("Thông báo khẩn cấp về phòng chống bão lũ và sạt lở đất tại các xã "
                         "miền núi, đề nghị bà con di dời ngay");
    }

    std::int64_t approved(std::string title) {
        Program p;
        p.unit = province;
        p.kind = ProgramKind::tts;
        p.title = std::move(title);
        p.source = "Kính thưa...";
        auto id = *store->add_program(p);
        EXPECT_TRUE(store->decide(id, Approval::approved, "approver"));
        return id;
    }

    Entry saved(std::int64_t program, PriorityClass priority, std::vector<std::int64_t> units,
                std::vector<std::string> receivers, Recurrence when, seconds duration) {
        Entry e;
        e.program = program;
        e.priority = priority;
        e.units = std::move(units);
        e.receivers = std::move(receivers);
        e.when = std::move(when);
        e.duration = duration;
        auto id = store->add_entry(e, now);
        EXPECT_TRUE(id) << (id ? "" : id.error().message);
        e.id = id ? *id : 0;
        return e;
    }

    std::vector<Entry> all() { return *store->entries(); }

    std::string import_error(std::int64_t unit, const std::string& text) {
        auto r = import_ics(*store, unit, text, now);
        return r ? "imported" : r.error().message;
    }

    TimePoint now = vn(2026, 11, 22, 12, 0);
    std::unique_ptr<loa::test::TempDir> dir;
    std::unique_ptr<ScheduleStore> store;
    std::int64_t province = 0, commune1 = 0, commune2 = 0, news = 0, storm = 0;
};

} // namespace

TEST_F(IcsTest, AUnitsScheduleRoundTripsThroughICalendar) {
    auto when = [](std::string start, std::string rule, std::vector<std::string> except = {},
                   std::string zone = kDefaultTimeZone) {
        return Recurrence{std::move(start), std::move(zone), std::move(rule), std::move(except)};
    };
    std::vector<Entry> mine = {
        saved(news, PriorityClass::normal, {commune1}, {},
              when("2026-11-23T06:30:00", "FREQ=DAILY",
                   {"2026-11-25T06:30:00", "2026-12-01T06:30:00"}),
              minutes(30)),
        // Not in libical's own order, with a default it would drop: kept as written.
        saved(news, PriorityClass::normal, {commune1}, {},
              when("2026-11-23T17:00:00",
                   "FREQ=WEEKLY;WKST=MO;BYDAY=MO,WE,FR;UNTIL=20270301T000000Z"),
              minutes(15)),
        saved(news, PriorityClass::priority, {commune1}, {},
              when("2026-12-01T09:00:00", "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=6", {}, "Europe/Berlin"),
              minutes(45)),
        saved(storm, PriorityClass::emergency, {commune1}, {}, when("2026-12-10T23:15:00", ""),
              seconds(90)),
        saved(news, PriorityClass::normal, {}, {"rx-1", "rx-2"},
              when("2026-11-23T12:00:00", "FREQ=DAILY"), minutes(20)),
    };
    // The province's entry and another commune's are not commune 1's to export.
    std::vector<Entry> theirs = {saved(news, PriorityClass::normal, {province}, {},
                                       when("2026-11-23T19:00:00", "FREQ=DAILY"), minutes(30)),
                                 saved(news, PriorityClass::normal, {commune2}, {"rx-3"},
                                       when("2026-11-23T06:30:00", "FREQ=DAILY"), minutes(30))};

    auto text = export_ics(*store, commune1);
    ASSERT_TRUE(text) << text.error().message;
    for (std::size_t at = 0, next; at < text->size(); at = next + 2) {
        next = text->find("\r\n", at);
        ASSERT_NE(next, std::string::npos) << "the last line ends in CRLF";
        EXPECT_LE(next - at, 75U) << "folded at 75 octets: " << text->substr(at, next - at);
        EXPECT_EQ(text->substr(at, next - at).find('\n'), std::string::npos) << "no bare LF";
    }
    auto flat = unfold(*text);
    for (const auto* part :
         {"PRODID:-//Loa//Loa schedule//EN\r\n", "VERSION:2.0\r\n",
          "X-WR-CALNAME:70-001 Xã Tân Lập\r\n", "DTSTART;TZID=Asia/Ho_Chi_Minh:20261123T063000\r\n",
          "EXDATE;TZID=Asia/Ho_Chi_Minh:20261125T063000\r\n", "DURATION:PT30M\r\n",
          "DTSTART;TZID=Europe/Berlin:20261201T090000\r\n",
          "RRULE:FREQ=WEEKLY;WKST=MO;BYDAY=MO,WE,FR;UNTIL=20270301T000000Z\r\n",
          "SUMMARY:Bản tin sáng\r\n", "X-LOA-PRIORITY:emergency\r\n", "X-LOA-UNITS:70-001\r\n",
          "X-LOA-CLUSTERS:rx-1,rx-2\r\n"})
        EXPECT_NE(flat.find(part), std::string::npos) << part << " in\n" << flat;
    EXPECT_NE(flat.find("UID:entry-" + std::to_string(mine[0].id) + "@loa\r\n"), std::string::npos);
    for (const auto& e : theirs)
        EXPECT_EQ(flat.find("UID:entry-" + std::to_string(e.id) + "@loa\r\n"), std::string::npos);

    for (const auto& e : mine)
        ASSERT_TRUE(store->remove_entry(e.id));
    auto ids = import_ics(*store, commune1, *text, now);
    ASSERT_TRUE(ids) << ids.error().message;
    ASSERT_EQ(ids->size(), mine.size());
    std::vector<std::string> expected, got;
    for (const auto& e : mine)
        expected.push_back(describe(e));
    for (const auto& e : all())
        if (std::find(ids->begin(), ids->end(), e.id) != ids->end())
            got.push_back(describe(e));
    EXPECT_EQ(got, expected);
    EXPECT_EQ(all().size(), mine.size() + theirs.size());
}

TEST_F(IcsTest, AnExportCarriesAVTimezoneForEveryZoneItNamesAndItsUntilsInUtc) {
    auto entry = [&](std::string start, std::string rule, std::string zone) {
        return saved(news, PriorityClass::normal, {commune1}, {},
                     Recurrence{std::move(start), std::move(zone), std::move(rule), {}},
                     minutes(10));
    };
    std::vector<Entry> mine = {
        entry("2026-11-23T06:30:00", "FREQ=DAILY;UNTIL=20261205", kDefaultTimeZone),
        entry("2026-11-23T18:00:00", "FREQ=DAILY;UNTIL=20261130T180000;INTERVAL=2",
              kDefaultTimeZone),
        entry("2026-11-23T17:00:00", "FREQ=WEEKLY;UNTIL=20270115T170000", "Europe/Berlin"),
        entry("2026-11-24T09:00:00", "FREQ=WEEKLY;UNTIL=20270301T000000Z", "Europe/Berlin"),
    };
    auto text = export_ics(*store, commune1);
    ASSERT_TRUE(text) << text.error().message;
    auto flat = unfold(*text);
    for (const std::string zone : {kDefaultTimeZone, "Europe/Berlin"}) {
        auto component = flat.find("BEGIN:VTIMEZONE\r\nTZID:" + zone + "\r\n");
        ASSERT_NE(component, std::string::npos) << zone << " in\n" << flat;
        EXPECT_EQ(flat.find("TZID:" + zone + "\r\n", component + 20), std::string::npos) << "once";
        EXPECT_LT(component, flat.find("DTSTART;TZID=" + zone)) << "before the events in it";
        auto end = flat.find("END:VTIMEZONE", component);
        EXPECT_NE(flat.substr(component, end - component).find("BEGIN:STANDARD"),
                  std::string::npos);
    }
    // RFC 5545 §3.3.10: with a DTSTART in a zone, UNTIL is a UTC date-time. A date alone ends
    // with its local day (UTC+7), a local time is turned into UTC (Berlin in winter is UTC+1).
    for (const auto* rule : {"RRULE:FREQ=DAILY;UNTIL=20261204T170000Z\r\n",
                             "RRULE:FREQ=DAILY;UNTIL=20261130T110000Z;INTERVAL=2\r\n",
                             "RRULE:FREQ=WEEKLY;UNTIL=20270115T160000Z\r\n",
                             "RRULE:FREQ=WEEKLY;UNTIL=20270301T000000Z\r\n"})
        EXPECT_NE(flat.find(rule), std::string::npos) << rule << " in\n" << flat;
    // And they mean what the saved rules mean: the same occurrences, to the last one.
    for (const auto& e : mine) {
        auto utc = e.when;
        utc.rule = *rule_with_utc_until(e.when);
        auto from = vn(2026, 11, 1, 0, 0), to = vn(2027, 6, 1, 0, 0);
        auto saved_ones = occurrences(e.when, from, to, 1000);
        auto exported = occurrences(utc, from, to, 1000);
        ASSERT_TRUE(saved_ones && exported);
        EXPECT_EQ(*exported, *saved_ones) << e.when.rule << " -> " << utc.rule;
        EXPECT_FALSE(saved_ones->empty());
    }
}

TEST_F(IcsTest, ACalendarThatNamesNoProgramImportsWithOneNamedOrByTitleAndADryRunSavesNothing) {
    // As an ordinary calendar application writes it: no Loa property at all.
    auto text = calendar({{"UID:morning@example.org", "SUMMARY:Bản tin sáng",
                           "DTSTART;TZID=Asia/Ho_Chi_Minh:20261201T063000", "DURATION:PT15M",
                           "RRULE:FREQ=DAILY;COUNT=3"},
                          {"UID:music@example.org", "SUMMARY:Nhạc",
                           "DTSTART;TZID=Asia/Ho_Chi_Minh:20261201T120000", "DURATION:PT30M"}});
    auto before = all().size();
    EXPECT_EQ(import_error(commune1, text),
              "event \"morning@example.org\" (\"Bản tin sáng\"): no X-LOA-PROGRAM: name the "
              "program for every event (program) or match events to programs by title "
              "(match_titles)");

    IcsImportOptions named;
    named.program = news;
    auto both = import_calendar(*store, commune1, text, now, named);
    ASSERT_TRUE(both) << both.error().message;
    ASSERT_EQ(both->entries.size(), 2U);
    for (const auto& e : both->entries) {
        EXPECT_EQ(e.program, news);
        ASSERT_TRUE(store->remove_entry(e.id));
    }

    IcsImportOptions by_title;
    by_title.match_titles = true;
    auto untitled = import_calendar(*store, commune1, text, now, by_title);
    ASSERT_FALSE(untitled);
    EXPECT_EQ(untitled.error().message,
              "event \"music@example.org\" (\"Nhạc\"): no program you may use is titled "
              "\"Nhạc\": name the program (program) or give it this title");
    EXPECT_EQ(all().size(), before) << "all or nothing: the morning news was not kept";
    auto music = approved("Nhạc");
    auto more_music = approved("Nhạc");
    auto twice = import_calendar(*store, commune1, text, now, by_title);
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find("2 programs are titled \"Nhạc\" (#" +
                                         std::to_string(music) + ", #" +
                                         std::to_string(more_music) + ")"),
              std::string::npos)
        << twice.error().message;
    // Only the programs the caller may use count: the other one is out of reach.
    auto only_music = [&](const Entry& e) -> loa::common::Result<void> {
        if (e.program == more_music)
            return loa::common::make_error(loa::common::Errc::unauthorized, "not yours");
        return {};
    };
    auto matched = import_calendar(*store, commune1, text, now, by_title, only_music);
    ASSERT_TRUE(matched) << matched.error().message;
    ASSERT_EQ(matched->entries.size(), 2U);
    EXPECT_EQ(matched->entries[0].program, news);
    EXPECT_EQ(matched->entries[1].program, music);

    // A dry run of the same calendar again: each event overlaps what was just saved, and a
    // third overlaps the second within the file. Every refusal is listed; nothing changes.
    auto again = calendar({{"UID:morning@example.org", "SUMMARY:Bản tin sáng",
                            "DTSTART;TZID=Asia/Ho_Chi_Minh:20261215T063000", "DURATION:PT15M"},
                           {"UID:noon@example.org", "SUMMARY:Bản tin sáng",
                            "DTSTART;TZID=Asia/Ho_Chi_Minh:20261215T120000", "DURATION:PT15M"},
                           {"UID:clash@example.org", "SUMMARY:Bản tin sáng",
                            "DTSTART;TZID=Asia/Ho_Chi_Minh:20261215T120500", "DURATION:PT15M"},
                           {"UID:music@example.org", "SUMMARY:Nhạc",
                            "DTSTART;TZID=Asia/Ho_Chi_Minh:20261201T120000", "DURATION:PT30M"}});
    auto count = all().size();
    IcsImportOptions dry = by_title;
    dry.dry_run = true;
    auto checked = import_calendar(*store, commune1, again, now, dry, only_music);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->events,
              (std::vector<std::string>{"event \"morning@example.org\" (\"Bản tin sáng\")",
                                        "event \"noon@example.org\" (\"Bản tin sáng\")"}));
    EXPECT_EQ(checked->entries[0].id, 0) << "not saved";
    ASSERT_EQ(checked->refused.size(), 2U);
    EXPECT_EQ(checked->refused[0].rfind("event \"clash@example.org\" (\"Bản tin sáng\"): "
                                        "overlaps entry #",
                                        0),
              0U)
        << "checked against the events before it: " << checked->refused[0];
    EXPECT_EQ(checked->refused[1].rfind("event \"music@example.org\" (\"Nhạc\"): overlaps", 0), 0U)
        << checked->refused[1];
    EXPECT_EQ(all().size(), count) << "a dry run saves nothing";
    // Without the dry run the same file is refused whole, at its first refused event.
    auto refused = import_calendar(*store, commune1, again, now, by_title, only_music);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("clash@example.org"), std::string::npos);
    EXPECT_EQ(all().size(), count);
}

TEST_F(IcsTest, AnImportIsAllOrNothingAndNamesTheEventThatFailed) {
    std::string p = "X-LOA-PROGRAM:" + std::to_string(news);
    std::vector<std::string> first = {"UID:a@x",
                                      "SUMMARY:Bản tin sáng",
                                      p,
                                      "DTSTART;TZID=Asia/Ho_Chi_Minh:20261123T063000",
                                      "DURATION:PT30M",
                                      "RRULE:FREQ=DAILY"};
    auto second = [&](std::vector<std::string> extra) {
        std::vector<std::string> lines = {"UID:b@x", "SUMMARY:Bản tin trưa", p, "DURATION:PT10M"};
        lines.insert(lines.end(), extra.begin(), extra.end());
        return lines;
    };
    // Refused by the store once the first event is saved: the first is removed again.
    auto overlap = import_error(
        commune1, calendar({first, second({"DTSTART;TZID=Asia/Ho_Chi_Minh:20261125T064500"})}));
    EXPECT_EQ(overlap.rfind("event \"b@x\" (\"Bản tin trưa\"): overlaps entry #", 0), 0U)
        << overlap;
    EXPECT_NE(overlap.find("on \"70-001\" at 2026-11-25T06:45:00"), std::string::npos) << overlap;
    EXPECT_TRUE(all().empty());
    // Refused while reading: nothing is saved at all.
    EXPECT_EQ(import_error(commune1, calendar({first, second({"DTSTART:20261125T100000",
                                                              "X-LOA-PRIORITY:urgent"})})),
              "event \"b@x\" (\"Bản tin trưa\"): X-LOA-PRIORITY \"urgent\": expected normal, "
              "priority or emergency");
    EXPECT_TRUE(all().empty());
    // Both fine: both saved, in order.
    auto ids = import_ics(
        *store, commune1,
        calendar({first, second({"DTSTART;TZID=Asia/Ho_Chi_Minh:20261125T100000"})}), now);
    ASSERT_TRUE(ids) << ids.error().message;
    ASSERT_EQ(all().size(), 2U);
    EXPECT_EQ(all()[1].id, (*ids)[1]);
    EXPECT_EQ(all()[1].when.start_local, "2026-11-25T10:00:00");
}

TEST_F(IcsTest, MalformedInputIsRefusedClearly) {
    std::string p = "X-LOA-PROGRAM:" + std::to_string(news);
    auto event = [&](std::vector<std::string> extra) {
        std::vector<std::string> lines = {"UID:a@x", "SUMMARY:Bản tin sáng"};
        lines.insert(lines.end(), extra.begin(), extra.end());
        return calendar({lines});
    };
    std::string start = "DTSTART;TZID=Asia/Ho_Chi_Minh:20261123T063000";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"hello, this is not a calendar\n", "not an iCalendar file"},
        {"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "the calendar has no VEVENT"},
        {event({p, "DURATION:PT30M"}), "event \"a@x\" (\"Bản tin sáng\"): no DTSTART"},
        {event({p, "DTSTART;TZID=Mars/Olympus:20261123T063000", "DURATION:PT30M"}),
         "unknown time zone \"Mars/Olympus\""},
        {event({p, "DTSTART;TZID=Asia/Ho_Chi_Minh:tomorrow", "DURATION:PT30M"}), "DTSTART"},
        {event({p, "DTSTART;VALUE=DATE:20261123", "DURATION:PT30M"}), "date without a time"},
        {event({p, start, "DURATION:PT30M", "RRULE:FREQ=OFTEN"}), "RRULE"},
        {event({p, start}), "neither DURATION nor DTEND"},
        {event({start, "DURATION:PT30M"}), "no X-LOA-PROGRAM"},
        {event({"X-LOA-PROGRAM:news", start, "DURATION:PT30M"}), "not a program id"},
        {event({p, start, "DURATION:PT30M", "X-LOA-UNITS:99-999"}), "no unit with code"},
        {event({p, start, "DURATION:PT30M", "X-LOA-CLUSTERS:rx-9"}), "no cluster \"rx-9\""},
        {event({p, start, "DURATION:PT30M", "RDATE:20261130T063000"}), "RDATE"},
    };
    for (const auto& [text, expected] : cases) {
        auto error = import_error(commune1, text);
        EXPECT_NE(error.find(expected), std::string::npos) << error << "\nfor\n" << text;
        EXPECT_TRUE(all().empty());
    }
}

TEST_F(IcsTest, ACommuneCannotImportEntriesForOthers) {
    auto targeting = [&](std::string targets) {
        return calendar(
            {{"UID:a@x", "SUMMARY:Bản tin sáng", "X-LOA-PROGRAM:" + std::to_string(news),
              "DTSTART;TZID=Asia/Ho_Chi_Minh:20261123T063000", "DURATION:PT30M",
              std::move(targets)}});
    };
    EXPECT_EQ(import_error(commune1, targeting("X-LOA-UNITS:70-002")),
              "event \"a@x\" (\"Bản tin sáng\"): target unit \"70-002\" (Xã Tân Hòa) is outside "
              "\"70-001\" (Xã Tân Lập); a unit imports entries only for itself and its communes");
    EXPECT_NE(import_error(commune1, targeting("X-LOA-UNITS:70-001,70"))
                  .find("\"70\" (Bình Phước) is outside"),
              std::string::npos);
    EXPECT_NE(import_error(commune1, targeting("X-LOA-CLUSTERS:rx-3"))
                  .find("target cluster \"rx-3\" (of unit \"70-002\") is outside \"70-001\""),
              std::string::npos);
    EXPECT_TRUE(all().empty());
    // The province may schedule its communes and their clusters.
    EXPECT_EQ(import_error(province, targeting("X-LOA-UNITS:70-001,70-002")), "imported");
    EXPECT_EQ(all().at(0).units, (std::vector<std::int64_t>{commune1, commune2}));
}

TEST_F(IcsTest, ACalendarWrittenByAnotherAppImports) {
    std::string text = "BEGIN:VCALENDAR\r\n"
                       "PRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
                       "VERSION:2.0\r\n"
                       "CALSCALE:GREGORIAN\r\n"
                       "METHOD:PUBLISH\r\n"
                       "X-WR-CALNAME:Lịch phát thanh\r\n"
                       "BEGIN:VTIMEZONE\r\n"
                       "TZID:Asia/Ho_Chi_Minh\r\n"
                       "X-LIC-LOCATION:Asia/Ho_Chi_Minh\r\n"
                       "BEGIN:STANDARD\r\n"
                       "TZOFFSETFROM:+0700\r\n"
                       "TZOFFSETTO:+0700\r\n"
                       "TZNAME:+07\r\n"
                       "DTSTART:19700101T000000\r\n"
                       "END:STANDARD\r\n"
                       "END:VTIMEZONE\r\n"
                       "BEGIN:VEVENT\r\n"
                       "DTSTART;TZID=Asia/Ho_Chi_Minh:20261123T063000\r\n"
                       "DTEND;TZID=Asia/Ho_Chi_Minh:20261123T070000\r\n"
                       "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UN\r\n"
                       " TIL=20270131T170000Z\r\n"
                       "EXDATE;TZID=Asia/Ho_Chi_Minh:20261125T063000,20261127T063000\r\n"
                       "DTSTAMP:20261120T101500Z\r\n"
                       "UID:3kq9v0c1h2@google.com\r\n"
                       "DESCRIPTION:\r\n"
                       "SEQUENCE:0\r\n"
                       "STATUS:CONFIRMED\r\n"
                       "SUMMARY:Bản tin sáng của xã Tân Lập\\, phát trên loa mỗi ng\r\n"
                       " ày làm việc\r\n"
                       "TRANSP:OPAQUE\r\n"
                       "X-LOA-PROGRAM:" +
                       std::to_string(news) +
                       "\r\n"
                       "END:VEVENT\r\n"
                       "BEGIN:VEVENT\r\n"
                       "DTSTART:20261124T013000Z\r\n"
                       "DTEND:20261124T020000Z\r\n"
                       "DTSTAMP:20261120T101500Z\r\n"
                       "UID:7f1d2e@google.com\r\n"
                       "SUMMARY:Thông báo\r\n"
                       "X-LOA-PROGRAM:" +
                       std::to_string(news) +
                       "\r\n"
                       "X-LOA-PRIORITY:priority\r\n"
                       "END:VEVENT\r\n"
                       "END:VCALENDAR\r\n";
    const std::vector<std::string> expected = {
        describe({0,
                  news,
                  PriorityClass::normal,
                  {commune1},
                  {},
                  Recurrence{"2026-11-23T06:30:00",
                             "Asia/Ho_Chi_Minh",
                             "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270131T170000Z",
                             {"2026-11-25T06:30:00", "2026-11-27T06:30:00"}},
                  minutes(30)}),
        // A UTC start is read as wall time in the default zone.
        describe({0,
                  news,
                  PriorityClass::priority,
                  {commune1},
                  {},
                  Recurrence{"2026-11-24T08:30:00", kDefaultTimeZone, "", {}},
                  minutes(30)}),
    };
    // As written (CRLF), and as some tools save it (LF only).
    std::string lf = text;
    lf.erase(std::remove(lf.begin(), lf.end(), '\r'), lf.end());
    for (const auto& variant : {text, lf}) {
        auto ids = import_ics(*store, commune1, variant, now);
        ASSERT_TRUE(ids) << ids.error().message;
        std::vector<std::string> got;
        for (const auto& e : all())
            got.push_back(describe(e));
        EXPECT_EQ(got, expected);
        for (auto id : *ids)
            ASSERT_TRUE(store->remove_entry(id));
    }
}
