// The indicators from a generated history: a manual clock drives a province of three communes
// through three reporting days of clusters online, alarms, a daily entry (one occurrence
// missed), a live broadcast, an emergency, bulletins and a merge; the figures are checked
// against sums the test makes itself from what it generated. Frozen days never change; a late
// airing becomes a correction.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "loa/common/clock.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/rest_routes.hpp"
#include "loa/server/monitoring/online_history.hpp"
#include "loa/server/reports/indicator_report.hpp"
#include "loa/server/reports/workbooks.hpp"
#include "loa/server/supervision/alarm_book.hpp"
#include "process.hpp"

using namespace loa::server;
using namespace std::chrono;
namespace json = boost::json;
using loa::schedules::Millis;

namespace {

/// Local (Asia/Ho_Chi_Minh, UTC+7) wall time as UTC milliseconds.
Millis local(int day, int hour, int minute = 0) {
    // 2027-01-15T00:00+07:00 is 2027-01-14T17:00Z.
    return Millis(sys_days(year(2027) / January / 14) + hours(17) + days(day - 15) + hours(hour) +
                  minutes(minute));
}

struct Sums {
    std::int64_t online = 0, clusters = 0;
};

class IndicatorsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<loa::test::TempDir>(
            std::string("indicators-") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        path = dir->file("loa.db");
        store = std::make_unique<loa::schedules::ScheduleStore>(path);
        province = unit("75", "Đồng Nai", std::nullopt);
        a = unit("75001", "Phường Trấn Biên", province);
        b = unit("75002", "Phường Biên Hòa", province);
        c = unit("75003", "Xã Tân Hạnh", province);
        for (auto [id, n] : {std::pair{a, 4}, {b, 3}, {c, 2}})
            for (int i = 0; i < n; ++i)
                ASSERT_TRUE(store->put_cluster({code_of(id) + "-c" + std::to_string(i), id, ""}));
        history = std::make_unique<OnlineHistory>(path);
        alarms = std::make_unique<AlarmBook>(path, clock, nullptr);
        book = std::make_unique<IndicatorBook>(path, IndicatorSettings{}, clock);
        clock.advance(local(15, 17, 1) - floor<milliseconds>(clock.system_now()));
    }

    std::int64_t unit(const std::string& code, const std::string& name,
                      std::optional<std::int64_t> parent) {
        loa::schedules::Unit u;
        u.code = code;
        u.name = name;
        u.parent = parent;
        u.approval_required = false;
        codes[code] = 0;
        auto id = store->add_unit(u);
        EXPECT_TRUE(id) << id.error().message;
        codes[code] = *id;
        return *id;
    }
    std::string code_of(std::int64_t id) {
        for (const auto& [code, i] : codes)
            if (i == id)
                return code;
        return "";
    }

    /// Samples every 5 minutes of reporting day `day` (16, 17, 18); their sums by unit code.
    std::map<std::string, Sums> sample_day(int day, const std::set<std::string>& units) {
        std::map<std::string, Sums> out;
        std::map<std::string, int> size{{"75001", 4}, {"75002", 3}, {"75003", 2}};
        for (auto at = local(day - 1, 17); at < local(day, 17); at += minutes(5)) {
            std::map<std::string, std::pair<int, int>> sample;
            for (const auto& code : units) {
                int online = std::uniform_int_distribution<int>(0, size[code])(random);
                sample[code] = {online, size[code]};
                out[code].online += online;
                out[code].clusters += size[code];
            }
            EXPECT_TRUE(history->record(at, sample));
        }
        return out;
    }

    std::int64_t airing(std::int64_t program, const std::string& channel, const char* priority,
                        Millis start, minutes length, std::int64_t played,
                        std::optional<std::int64_t> entry = std::nullopt,
                        std::optional<Millis> scheduled = std::nullopt,
                        std::optional<std::int64_t> override_id = std::nullopt) {
        loa::schedules::AsRunRecord r;
        r.program = program;
        r.entry = entry;
        r.override_id = override_id;
        r.priority = *loa::schedules::parse_priority(priority);
        r.channel = channel;
        if (scheduled)
            r.scheduled_at = floor<seconds>(*scheduled);
        r.started_at = start;
        auto id = store->open_as_run(r);
        EXPECT_TRUE(id) << id.error().message;
        EXPECT_TRUE(
            store->close_as_run(*id, start + length, played, loa::schedules::Outcome::completed));
        EXPECT_TRUE(store->note_played(*id, played));
        return *id;
    }

    std::int64_t program(loa::schedules::ProgramKind kind, std::int64_t unit_id,
                         const std::string& title) {
        loa::schedules::Program p;
        p.unit = unit_id;
        p.kind = kind;
        p.title = title;
        p.source = title;
        auto id = store->add_program(p);
        EXPECT_TRUE(id) << id.error().message;
        return *id;
    }

    void sql(const std::string& text) {
        loa::common::Database db(path);
        ASSERT_TRUE(db.execute(text)) << text;
    }

    void freeze_at(Millis at, std::vector<std::string> expected) {
        clock.advance(at - floor<milliseconds>(clock.system_now()));
        auto frozen = book->freeze_due();
        ASSERT_TRUE(frozen) << frozen.error().message;
        EXPECT_EQ(*frozen, expected);
    }

    json::object report(const json::object& params) {
        auto q = indicator_query(Params(params), book->today());
        return indicators_report(*book, q, [](std::int64_t) { return true; }).as_object();
    }

    static const json::object& row(const json::object& r, const std::string& unit,
                                   const std::string& from) {
        for (const auto& x : r.at("rows").as_array())
            if (x.at("unit").as_string() == unit && x.at("from").as_string() == from)
                return x.as_object();
        ADD_FAILURE() << "no row of " << unit << " from " << from;
        static json::object none;
        return none;
    }

    static double figure(const json::object& row, const char* group, const char* name) {
        return row.at(group).at(name).to_number<double>();
    }

    static double percent(const Sums& s) {
        return std::round(1000.0 * static_cast<double>(s.online) /
                          static_cast<double>(s.clusters)) /
               10;
    }

    loa::common::ManualClock clock;
    std::unique_ptr<loa::test::TempDir> dir;
    std::string path;
    std::unique_ptr<loa::schedules::ScheduleStore> store;
    std::unique_ptr<OnlineHistory> history;
    std::unique_ptr<AlarmBook> alarms;
    std::unique_ptr<IndicatorBook> book;
    std::map<std::string, std::int64_t> codes;
    std::int64_t province = 0, a = 0, b = 0, c = 0;
    std::mt19937 random{7};
};

TEST_F(IndicatorsTest, ReportingDaysEndAtTheCutOff) {
    auto [from, to] = reporting_day("2027-01-16", "Asia/Ho_Chi_Minh", "17:00");
    EXPECT_EQ(from, local(15, 17));
    EXPECT_EQ(to, local(16, 17));
    EXPECT_EQ(reporting_date(local(16, 16, 59), "Asia/Ho_Chi_Minh", "17:00"), "2027-01-16");
    EXPECT_EQ(reporting_date(local(16, 17), "Asia/Ho_Chi_Minh", "17:00"), "2027-01-17");
    auto [midnight, next] = reporting_day("2027-01-16", "Asia/Ho_Chi_Minh", "00:00");
    EXPECT_EQ(midnight, local(16, 0));
    EXPECT_EQ(next, local(17, 0));
}

TEST_F(IndicatorsTest, FiguresOfAGeneratedHistoryMatchTheTestsOwnSums) {
    using Kind = loa::schedules::ProgramKind;
    auto news = program(Kind::file, province, "Thời sự tỉnh");
    auto voice = program(Kind::live, b, "Trực tiếp");
    auto alert = program(Kind::file, province, "Cảnh báo lũ");
    // A daily entry at 06:00 on commune A: aired on the 16th (2 s late) and the 18th (4 s
    // late), missed on the 17th.
    loa::schedules::Entry e;
    e.program = news;
    e.units = {a};
    e.when = {"2027-01-16T06:00:00", "Asia/Ho_Chi_Minh", "FREQ=DAILY", {}};
    e.duration = seconds(600);
    auto entry = store->add_entry(e, floor<seconds>(clock.system_now()));
    ASSERT_TRUE(entry) << entry.error().message;

    auto d1 = sample_day(16, {"75001", "75002", "75003"});
    airing(news, "75001", "normal", local(16, 6) + seconds(2), minutes(10), 3, *entry,
           local(16, 6));
    // Cluster 75001-c1 offline 90 minutes; 75002-c2 silent across the night of the 17th.
    sql("INSERT INTO alarm (kind, severity, subject, unit, raised_ms, cleared_ms, text_vi, "
        "text_en, figures) VALUES ('cluster_offline', 'major', '75001-c1', " +
        std::to_string(a) + ", " + std::to_string(local(16, 8).time_since_epoch().count()) + ", " +
        std::to_string(local(16, 9, 30).time_since_epoch().count()) +
        ", '', '', '{}'), ('cluster_silent', 'major', '75002-c2', " + std::to_string(b) + ", " +
        std::to_string(local(17, 16).time_since_epoch().count()) + ", " +
        std::to_string(local(17, 18).time_since_epoch().count()) + ", '', '', '{}')");
    // A bulletin of A created at 09:00 and approved 30 minutes later.
    auto bulletin = program(Kind::tts, a, "Tiêm phòng");
    sql("UPDATE program SET created_at = '2027-01-16T02:00:00Z', decided_at = "
        "'2027-01-16T02:30:00Z', approval = 'approved' WHERE id = " +
        std::to_string(bulletin));
    freeze_at(local(16, 17, 0) + seconds(1), {"2027-01-16"});

    auto d2 = sample_day(17, {"75001", "75002", "75003"});
    airing(voice, "75002", "priority", local(17, 10), minutes(30), 2);
    // An emergency on A and B at 12:00: A's 4 clusters all played, 2 of B's 3.
    loa::schedules::OverrideRecord o;
    o.kind = loa::schedules::Override::Kind::emergency;
    o.program = alert;
    o.units = {a, b};
    o.started_at = local(17, 12);
    o.started_by = "admin";
    auto call = store->start_override(o);
    ASSERT_TRUE(call) << call.error().message;
    auto in_a = airing(alert, "75001", "emergency", local(17, 12) + seconds(1), minutes(5), 4,
                       std::nullopt, std::nullopt, *call);
    auto in_b = airing(alert, "75002", "emergency", local(17, 12) + seconds(1), minutes(5), 2,
                       std::nullopt, std::nullopt, *call);
    // A's clusters began to play it 3 to 7 s after the call, B's 2 to 9 s.
    ASSERT_TRUE(
        store->note_played(in_a, 4, local(17, 12) + seconds(3), local(17, 12) + seconds(7)));
    ASSERT_TRUE(
        store->note_played(in_b, 2, local(17, 12) + seconds(2), local(17, 12) + seconds(9)));
    // A late airing of the 16th, found after its cut-off: a correction, not history.
    airing(news, "75001", "normal", local(16, 12), minutes(20), 4);
    freeze_at(local(17, 17, 0) + seconds(1), {"2027-01-17"});

    // C merges into B on the 18th; its samples stop.
    clock.advance(minutes(8 * 60));
    auto merged = store->merge_units({c}, b, "2027-01-18", floor<seconds>(clock.system_now()));
    ASSERT_TRUE(merged) << merged.error().message;
    auto d3 = sample_day(18, {"75001", "75002"});
    airing(news, "75001", "normal", local(18, 6) + seconds(4), minutes(10), 4, *entry,
           local(18, 6));
    freeze_at(local(18, 17, 0) + seconds(1), {"2027-01-18"});

    auto r = report({{"from", "2027-01-16"}, {"to", "2027-01-18"}});
    EXPECT_EQ(r.at("rows").as_array().size(), 3U * 3) << "the province, A and B (C is in B)";
    const auto& a16 = row(r, "75001", "2027-01-16");
    EXPECT_TRUE(a16.at("final").as_bool());
    EXPECT_DOUBLE_EQ(figure(a16, "clusters", "availability_percent"), percent(d1["75001"]));
    EXPECT_EQ(figure(a16, "clusters", "total"), 4);
    EXPECT_EQ(figure(a16, "clusters", "played"), 3) << "the frozen day, without the late airing";
    EXPECT_EQ(figure(a16, "clusters", "faulty"), 1);
    EXPECT_DOUBLE_EQ(figure(a16, "clusters", "alarm_minutes"), 90);
    EXPECT_EQ(figure(a16, "broadcasts", "airings"), 1);
    EXPECT_DOUBLE_EQ(figure(a16, "broadcasts", "minutes"), 10);
    EXPECT_EQ(figure(a16, "broadcasts", "scheduled"), 1);
    EXPECT_EQ(figure(a16, "broadcasts", "missed"), 0);
    EXPECT_EQ(figure(a16, "broadcasts", "start_delay_ms_max"), 2000);
    EXPECT_EQ(figure(a16, "bulletins", "created"), 1);
    EXPECT_EQ(figure(a16, "bulletins", "approved"), 1);
    EXPECT_DOUBLE_EQ(figure(a16, "bulletins", "approval_minutes_median"), 30);
    EXPECT_EQ(figure(a16, "coverage", "communes"), 1);

    const auto& a17 = row(r, "75001", "2027-01-17");
    EXPECT_EQ(figure(a17, "broadcasts", "missed"), 1) << "the 06:00 of the 17th never aired";
    EXPECT_EQ(a17.at("broadcasts").at("by_priority").at("emergency").at("airings").as_int64(), 1);
    const auto& p17 = row(r, "75", "2027-01-17");
    EXPECT_EQ(figure(p17, "emergencies", "count"), 1) << "one emergency, however many communes";
    EXPECT_EQ(figure(p17, "emergencies", "clusters_targeted"), 7);
    EXPECT_EQ(figure(p17, "emergencies", "clusters_reached"), 6);
    EXPECT_DOUBLE_EQ(figure(p17, "emergencies", "first_playing_s_max"), 2);
    EXPECT_DOUBLE_EQ(figure(p17, "emergencies", "last_playing_s_max"), 9);
    EXPECT_DOUBLE_EQ(figure(a17, "emergencies", "first_playing_s_max"), 3);
    EXPECT_DOUBLE_EQ(figure(a17, "emergencies", "last_playing_s_max"), 7);
    EXPECT_EQ(p17.at("broadcasts").at("by_source").at("live").at("minutes").as_double(), 30);
    EXPECT_EQ(figure(p17, "clusters", "faulty"), 1);
    EXPECT_DOUBLE_EQ(figure(p17, "clusters", "alarm_minutes"), 60);
    Sums all17;
    for (const auto& [code, s] : d2) {
        all17.online += s.online;
        all17.clusters += s.clusters;
    }
    EXPECT_DOUBLE_EQ(figure(p17, "clusters", "availability_percent"), percent(all17));

    // B's row covers C, merged into it: C's days are B's now.
    const auto& b16 = row(r, "75002", "2027-01-16");
    Sums bc{d1["75002"].online + d1["75003"].online, d1["75002"].clusters + d1["75003"].clusters};
    EXPECT_DOUBLE_EQ(figure(b16, "clusters", "availability_percent"), percent(bc));
    EXPECT_EQ(figure(b16, "clusters", "total"), 5);
    const auto& a18 = row(r, "75001", "2027-01-18");
    EXPECT_EQ(figure(a18, "broadcasts", "start_delay_ms_max"), 4000);
    EXPECT_DOUBLE_EQ(figure(a18, "clusters", "availability_percent"), percent(d3["75001"]));

    // The late airing of the 16th is a correction beside the frozen day.
    ASSERT_EQ(r.at("corrections").as_array().size(), 1U);
    EXPECT_EQ(r.at("corrections").at(0).at("date").as_string(), "2027-01-16");
    auto corrections = book->corrections("2027-01-16", "2027-01-16");
    ASSERT_TRUE(corrections);
    EXPECT_EQ(corrections->front().unit, a);
    EXPECT_EQ(corrections->front().figures.played, 4);

    // Weeks (ISO, from Monday): the 16th and 17th, then the 18th.
    auto weeks = report({{"from", "2027-01-16"}, {"to", "2027-01-18"}, {"period", "week"}});
    const auto& w1 = row(weeks, "75001", "2027-01-16");
    EXPECT_EQ(w1.at("days").as_int64(), 2);
    EXPECT_EQ(figure(w1, "broadcasts", "scheduled"), 2);
    EXPECT_EQ(figure(w1, "broadcasts", "missed"), 1);
    Sums a_week{d1["75001"].online + d2["75001"].online,
                d1["75001"].clusters + d2["75001"].clusters};
    EXPECT_DOUBLE_EQ(figure(w1, "clusters", "availability_percent"), percent(a_week));
    auto months = report({{"from", "2027-01-16"}, {"to", "2027-01-18"}, {"period", "month"}});
    EXPECT_EQ(figure(row(months, "75", "2027-01-16"), "coverage", "communes"), 2)
        << "A and B, C within B";

    // The CSV has one line per row and a header.
    auto csv = indicators_csv(r.at("rows").as_array());
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 9);
    EXPECT_TRUE(csv.starts_with("unit,name,period,from,to,days,final,clusters.total,"));
}

TEST_F(IndicatorsTest, AFrozenDayIsNeverRewrittenNorDeleted) {
    sample_day(16, {"75001"});
    freeze_at(local(16, 17, 0) + seconds(1), {"2027-01-16"});
    freeze_at(local(16, 18, 0), {});
    loa::common::Database db(path);
    EXPECT_FALSE(db.execute("UPDATE indicator_day SET figures = '{}'"));
    EXPECT_FALSE(db.execute("DELETE FROM indicator_day"));
    auto r = report({{"from", "2027-01-16"}, {"to", "2027-01-17"}});
    EXPECT_TRUE(row(r, "75001", "2027-01-16").at("final").as_bool());
    EXPECT_FALSE(row(r, "75001", "2027-01-17").at("final").as_bool()) << "the day under way";
}

TEST_F(IndicatorsTest, BadQueriesAreRefusedByName) {
    auto refused = [&](const json::object& params) {
        try {
            report(params);
        } catch (const RpcError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(refused({{"period", "hour"}}).find("params.period"), std::string::npos);
    EXPECT_NE(refused({{"from", "2027-13-01"}}).find("no such day"), std::string::npos);
    EXPECT_NE(refused({{"from", "2027-01-18"}, {"to", "2027-01-16"}}).find("after"),
              std::string::npos);
    EXPECT_NE(refused({{"unit", "99"}}).find("no unit"), std::string::npos);
    auto q = indicator_query(Params(json::object{}), book->today());
    auto outside = [&] {
        return indicators_report(*book, q, [&](std::int64_t u) { return u == a; });
    };
    EXPECT_NO_THROW(outside()) << "a key of one commune reads it by default";
    q.unit = "75";
    EXPECT_THROW(outside(), RpcError);
}

} // namespace

namespace {

/// The workbook's cells as openpyxl reads them.
json::object read_back(const loa::test::TempDir& dir, const std::string& name,
                       const std::string& bytes) {
    auto path = dir.file(name + ".xlsx");
    std::ofstream(path, std::ios::binary) << bytes;
    auto cells = dir.file(name + ".json");
    loa::test::Process reader(
        {"/usr/bin/python3", std::string(LOA_SOURCE_DIR) + "/tests/support/read_xlsx.py", path},
        cells);
    EXPECT_EQ(reader.wait(seconds(30)), 0) << loa::test::read_file(cells);
    return json::parse(loa::test::read_file(cells)).as_object();
}

/// The row of `sheet` whose cell `column` is `key`.
const json::array* sheet_row(const json::object& cells, const std::string& sheet, int column,
                             const std::string& key) {
    for (const auto& row : cells.at(sheet).as_array())
        if (row.as_array().size() > static_cast<std::size_t>(column) &&
            row.as_array()[column].is_string() && row.as_array()[column].as_string() == key)
            return &row.as_array();
    ADD_FAILURE() << "no row " << key << " in " << sheet;
    return nullptr;
}

} // namespace

TEST_F(IndicatorsTest, WorkbooksHoldTheSameNumbersAsTheJson) {
    auto news = program(loa::schedules::ProgramKind::file, province, "Thời sự");
    auto d1 = sample_day(16, {"75001", "75002", "75003"});
    auto d2 = sample_day(17, {"75001", "75002", "75003"});
    airing(news, "75001", "normal", local(16, 6), minutes(25), 3);
    airing(news, "75002", "normal", local(17, 6), minutes(15), 2);
    freeze_at(local(17, 17, 0) + seconds(1), {"2027-01-17"});

    auto whole = report({{"from", "2027-01-16"}, {"to", "2027-01-17"}, {"period", "all"}});
    auto stations = stations_workbook(whole, {"Đồng Nai"});
    ASSERT_TRUE(stations) << stations.error().message;
    auto cells = read_back(*dir, "stations", *stations);
    ASSERT_TRUE(cells.contains("Thống kê"));
    // The header row, then a row per commune and the province's total.
    const auto* header = sheet_row(cells, "Thống kê", 0, "STT");
    ASSERT_NE(header, nullptr);
    auto column = [&](const char* name) {
        for (std::size_t i = 0; i < header->size(); ++i)
            if ((*header)[i].is_string() && (*header)[i].as_string() == name)
                return static_cast<int>(i);
        ADD_FAILURE() << "no column " << name;
        return 0;
    };
    for (const auto& code : {"75001", "75002", "75003"}) {
        const auto* line = sheet_row(cells, "Thống kê", 1, code);
        ASSERT_NE(line, nullptr);
        const auto& json_row = row(whole, code, "2027-01-16");
        EXPECT_DOUBLE_EQ((*line)[column("Tỷ lệ hoạt động (%)")].to_number<double>(),
                         figure(json_row, "clusters", "availability_percent"))
            << code;
        EXPECT_DOUBLE_EQ((*line)[column("Thời lượng phát (phút)")].to_number<double>(),
                         figure(json_row, "broadcasts", "minutes"))
            << code;
        EXPECT_DOUBLE_EQ((*line)[column("Tổng số cụm loa")].to_number<double>(),
                         figure(json_row, "clusters", "total"));
    }
    const auto* total = sheet_row(cells, "Thống kê", 1, "75");
    ASSERT_NE(total, nullptr);
    EXPECT_DOUBLE_EQ((*total)[column("Thời lượng phát (phút)")].to_number<double>(), 40);
    EXPECT_DOUBLE_EQ((*total)[column("Tổng số cụm loa")].to_number<double>(), 9);
    Sums all{0, 0};
    for (auto* d : {&d1, &d2})
        for (const auto& [code, s] : *d) {
            all.online += s.online;
            all.clusters += s.clusters;
        }
    EXPECT_DOUBLE_EQ((*total)[column("Tỷ lệ hoạt động (%)")].to_number<double>(), percent(all));

    // The operations report: a sheet per unit, a row per day and the month's total.
    auto days = report({{"from", "2027-01-16"}, {"to", "2027-01-17"}, {"unit", "75001"}});
    auto month = report(
        {{"from", "2027-01-16"}, {"to", "2027-01-17"}, {"unit", "75001"}, {"period", "all"}});
    auto operations = operations_workbook(days, month, {"Đồng Nai"});
    ASSERT_TRUE(operations) << operations.error().message;
    auto sheets = read_back(*dir, "operations", *operations);
    ASSERT_TRUE(sheets.contains("75001 Phường Trấn Biên"));
    const auto* day16 = sheet_row(sheets, "75001 Phường Trấn Biên", 0, "2027-01-16");
    const auto* sum = sheet_row(sheets, "75001 Phường Trấn Biên", 0, "Cả tháng");
    ASSERT_TRUE(day16 && sum);
    EXPECT_DOUBLE_EQ((*day16)[2].to_number<double>(), percent(d1["75001"]));
    EXPECT_DOUBLE_EQ((*day16)[7].to_number<double>(), 25) << "minutes on air";
    EXPECT_DOUBLE_EQ((*sum)[7].to_number<double>(), 25);
    Sums a{d1["75001"].online + d2["75001"].online, d1["75001"].clusters + d2["75001"].clusters};
    EXPECT_DOUBLE_EQ((*sum)[2].to_number<double>(), percent(a));
}
