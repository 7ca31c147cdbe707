// The national list of administrative units: read from the CSV files people have, compared
// with a province's units, and applied from a date, all or nothing.
#include <gtest/gtest.h>

#include "loa/schedules/unit_list.hpp"
#include "process.hpp"

using namespace loa::schedules;

namespace {

std::vector<std::string> described(const UnitListPlan& plan) {
    std::vector<std::string> out;
    for (const auto& c : plan.changes)
        out.push_back(to_string(c.kind) + " " + c.code + " " + c.name +
                      (c.old_name.empty() ? "" : " (was " + c.old_name + ")"));
    return out;
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

class UnitListTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<loa::test::TempDir>(
            std::string("unit-list-") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        store = std::make_unique<ScheduleStore>(dir->file("schedule.db"));
        province = add("75", "Tỉnh Đồng Nai", std::nullopt);
        add("26734", "Phường Biên Hòa", province);
        add("26737", "Phường Tam Hiệp", province);
        retired = add("26740", "Xã An Hòa", province);
    }

    std::int64_t add(std::string code, std::string name, std::optional<std::int64_t> parent) {
        Unit u;
        u.code = std::move(code);
        u.name = std::move(name);
        u.parent = parent;
        u.quiet_start = "21:30";
        return *store->add_unit(u);
    }

    std::unique_ptr<loa::test::TempDir> dir;
    std::unique_ptr<ScheduleStore> store;
    std::int64_t province = 0, retired = 0;
};

// As a spreadsheet saves it: a byte order mark, ';', CRLF, quoted names, extra columns.
constexpr const char* kSpreadsheet =
    "\xEF\xBB\xBFM\xC3\xA3;T\xC3\xAAn;C\xE1\xBA\xA5p;M\xC3\xA3 t\xE1\xBB\x89nh;Ghi ch\xC3\xBA\r\n"
    "75;\"Tỉnh Đồng Nai\";Tỉnh;;\r\n"
    "26734;\"Phường Trấn Biên\";Phường;75;đổi tên\r\n"
    "26737;Phường Tam Hiệp;Phường;75;\r\n"
    "26800;\"Xã Phú Lý; mới\";Xã;75;\r\n"
    "\r\n"
    "74;Thành phố Hồ Chí Minh;Thành phố Trung ương;;\r\n"
    "26900;Phường Sài Gòn;Phường;74;\r\n";

TEST(OfficialList, ReadsWhatASpreadsheetSavesAndNamesTheLinesItCannotRead) {
    auto list = read_official_list(kSpreadsheet);
    EXPECT_TRUE(list.problems.empty()) << list.problems.front();
    ASSERT_EQ(list.units.size(), 6U);
    EXPECT_EQ(list.units[3].name, "Xã Phú Lý; mới");
    EXPECT_EQ(list.units[3].province_code, "75");
    EXPECT_EQ(list.units[4].line, 7) << "the blank line counts";

    auto bad = read_official_list("code,name,level\n7501,Xã A,Xã\n75,Tỉnh,Xã\n26734,,Phường\n"
                                  "26735,\"Phường \"\"B\"\"\",Phường\n");
    ASSERT_EQ(bad.problems.size(), 3U);
    EXPECT_EQ(bad.problems[0], "line 2: code \"7501\" is not 2 digits (a province) or 5 (a "
                               "commune or ward)");
    EXPECT_EQ(bad.problems[1], "line 3: unit 75 is Xã, which does not fit a code of 2 digits");
    EXPECT_EQ(bad.problems[2], "line 4: unit 26734: a name has 1 to 200 bytes");
    ASSERT_EQ(bad.units.size(), 1U);
    EXPECT_EQ(bad.units[0].name, "Phường \"B\"");
    EXPECT_EQ(read_official_list("Tên;Cấp\nXã A;Xã\n").problems,
              (std::vector<std::string>{"line 1: no column for the unit's code (\"Mã\")"}));
    EXPECT_FALSE(read_official_list("").problems.empty());
    // A quote never closed would make the rest of the file one name: nothing is read.
    auto unclosed = read_official_list("Mã,Tên\n75,Tỉnh\n26734,\"Phường A\n26737,Phường B\n");
    EXPECT_EQ(unclosed.problems,
              (std::vector<std::string>{"line 3: a quote (\") is opened and never closed"}));
    EXPECT_TRUE(unclosed.units.empty());
    // Rows of separators only are blank; a commune without its province where the column is.
    auto sparse = read_official_list("Mã;Tên;Mã tỉnh\n;;\n75;Tỉnh;\n26734;Phường A;\n"
                                     "26737;\"Phường\x01B\";75\n");
    EXPECT_EQ(sparse.problems,
              (std::vector<std::string>{"line 4: commune 26734 has no province code",
                                        "line 5: unit 26737: a name has no control characters"}));
}

TEST_F(UnitListTest, APreviewListsAddsRenamesAndRetirementsAndChangesNothing) {
    auto list = read_official_list(kSpreadsheet);
    auto plan = store->apply_unit_list(list, "75", "2026-07-01", false);
    ASSERT_TRUE(plan) << plan.error().message;
    EXPECT_TRUE(plan->problems.empty()) << plan->problems.front();
    EXPECT_EQ(described(*plan),
              (std::vector<std::string>{"rename 26734 Phường Trấn Biên (was Phường Biên Hòa)",
                                        "add 26800 Xã Phú Lý; mới", "retire 26740 Xã An Hòa"}));
    EXPECT_EQ(plan->unchanged, 2U); // the province and Tam Hiệp
    EXPECT_EQ(plan->other_provinces, 2U);
    EXPECT_EQ(store->units()->size(), 4U);
    EXPECT_EQ(store->unit_by_code("26734")->name, "Phường Biên Hòa");
}

TEST_F(UnitListTest, AppliedFromADayTheListAddsRenamesAndRetiresKeepingTheFormerNames) {
    auto plan = store->apply_unit_list(read_official_list(kSpreadsheet), "75", "2026-07-01", true);
    ASSERT_TRUE(plan) << plan.error().message;
    auto added = store->unit_by_code("26800");
    ASSERT_TRUE(added);
    EXPECT_EQ(added->parent, province);
    EXPECT_EQ(added->valid_from, "2026-07-01");
    EXPECT_EQ(added->quiet_start, "21:30") << "the province's quiet hours";
    auto renamed = *store->unit_by_code("26734");
    EXPECT_EQ(renamed.name, "Phường Trấn Biên");
    EXPECT_EQ(store->unit_names(renamed.id)->front().name, "Phường Biên Hòa");
    EXPECT_EQ(store->unit(retired)->valid_to, "2026-07-01");
    // Applied again, the list changes nothing.
    auto again = store->apply_unit_list(read_official_list(kSpreadsheet), "75", "2026-07-02", true);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->changes.empty()) << described(*again).front();
    EXPECT_EQ(again->unchanged, 4U);
}

TEST_F(UnitListTest, AListThatWouldLoseSomethingIsRefusedAndNothingChanges) {
    ASSERT_TRUE(store->put_cluster({"an-hoa-1", retired, ""}));
    auto plan = store->apply_unit_list(read_official_list(kSpreadsheet), "75", "2026-07-01", true);
    ASSERT_TRUE(plan);
    EXPECT_TRUE(mentions(plan->problems, "unit 26740 (Xã An Hòa) is not in the list but has "
                                         "clusters, programs or entries: merge it"));
    EXPECT_FALSE(store->unit_by_code("26800")) << "nothing applied";
    EXPECT_FALSE(store->unit(retired)->valid_to);

    // Another province's list would retire every commune.
    auto other = store->apply_unit_list(
        read_official_list("Mã,Tên\n74,Thành phố Hồ Chí Minh\n26900,Phường Sài Gòn\n"), "75",
        "2026-07-01", false);
    ASSERT_TRUE(other);
    EXPECT_TRUE(mentions(other->problems, "the list has no row for province 75"));
    auto twice =
        store->apply_unit_list(read_official_list("Mã,Tên\n75,Tỉnh Đồng Nai\n26737,A\n26737,B\n"),
                               "75", "2026-07-01", false);
    EXPECT_TRUE(mentions(twice->problems, "line 4: code 26737 is on line 3 already"));
    auto early =
        store->apply_unit_list(read_official_list(kSpreadsheet), "75", "2025-07-01", false);
    EXPECT_TRUE(mentions(early->problems, "bears its code and name from 2025-07-01: it ends on "
                                          "a later day"));
}

} // namespace
