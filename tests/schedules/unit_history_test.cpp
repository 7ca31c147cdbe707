// Units through reorganisations: renames keep the names units bore, searches find any of them.
#include <gtest/gtest.h>

#include "loa/schedules/search_text.hpp"
#include "loa/schedules/store.hpp"
#include "process.hpp"

using namespace loa::schedules;

namespace {

class UnitHistoryTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<loa::test::TempDir>(
            std::string("unit-history-") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        store = std::make_unique<ScheduleStore>(dir->file("schedule.db"));
        province = add("75", "Đồng Nai", std::nullopt);
        tan_lap = add("25117", "Xã Tân Lập", province);
        tan_hoa = add("25120", "Xã Tân Hòa", province);
    }

    std::int64_t add(std::string code, std::string name, std::optional<std::int64_t> parent) {
        Unit u;
        u.code = std::move(code);
        u.name = std::move(name);
        u.parent = parent;
        return *store->add_unit(u);
    }

    std::string refusal(std::int64_t unit, const std::string& name, const std::string& date) {
        auto done = store->rename_unit(unit, name, date);
        EXPECT_FALSE(done);
        return done ? "" : done.error().message;
    }

    std::vector<std::string> found(const std::string& text) {
        std::vector<std::string> out;
        for (const auto& f : *store->find_units(text, 50))
            out.push_back(f.unit.code + " as " + f.matched.name);
        return out;
    }

    std::unique_ptr<loa::test::TempDir> dir;
    std::unique_ptr<ScheduleStore> store;
    std::int64_t province = 0, tan_lap = 0, tan_hoa = 0;
};

TEST(SearchKey, IgnoresCaseAndVietnameseDiacritics) {
    EXPECT_EQ(search_key("Đồng Nai"), "dong nai");
    EXPECT_EQ(search_key("PHƯỜNG BÌNH PHƯỚC"), "phuong binh phuoc");
    EXPECT_EQ(search_key("Xã Tân Hòa"), search_key("xa tan hoa"));
    // Decomposed: o + combining circumflex + combining grave.
    EXPECT_EQ(search_key("D\xc3\xb4\xcc\x80ng"), "dong");
    EXPECT_EQ(search_key("Đ\xcc\x82"), "d");
    // Other scripts and broken UTF-8 are kept as they are.
    EXPECT_EQ(search_key("Ä€ 75"), "Ä€ 75");
    EXPECT_EQ(search_key(std::string("a\xff\xc3")), std::string("a\xff\xc3"));
}

TEST_F(UnitHistoryTest, ARenameKeepsTheFormerNameWithItsPeriod) {
    ASSERT_TRUE(store->rename_unit(tan_lap, "Phường Tân Lập", "2026-01-01"));
    ASSERT_TRUE(store->rename_unit(tan_lap, "Phường Bình Phước", "2026-07-01"));

    auto u = *store->unit(tan_lap);
    EXPECT_EQ(u.name, "Phường Bình Phước");
    EXPECT_EQ(u.named_from, "2026-07-01");
    EXPECT_EQ(u.code, "25117");
    auto names = *store->unit_names(tan_lap);
    ASSERT_EQ(names.size(), 3U);
    EXPECT_EQ(names[0].name, "Xã Tân Lập");
    EXPECT_EQ(names[0].valid_from, "2025-07-01");
    EXPECT_EQ(names[0].valid_to, "2026-01-01");
    EXPECT_EQ(names[1].name, "Phường Tân Lập");
    EXPECT_EQ(names[1].valid_to, "2026-07-01");
    EXPECT_EQ(names[2].name, "Phường Bình Phước");
    EXPECT_FALSE(names[2].valid_to);

    auto former = *store->former_unit_names();
    ASSERT_EQ(former.size(), 1U);
    EXPECT_EQ(former[tan_lap].size(), 2U);
}

TEST_F(UnitHistoryTest, ARenameThatCannotBeIsRefusedWithTheReasonAndChangesNothing) {
    EXPECT_EQ(refusal(tan_lap, "Xã Tân Lập", "2026-01-01"),
              "cannot rename unit \"25117\" (Xã Tân Lập): it is named so already");
    EXPECT_EQ(refusal(tan_lap, "", "2026-01-01"),
              "cannot rename unit \"25117\" (Xã Tân Lập): a name has 1 to 200 bytes");
    EXPECT_EQ(refusal(tan_lap, std::string(201, 'x'), "2026-01-01"),
              "cannot rename unit \"25117\" (Xã Tân Lập): a name has 1 to 200 bytes");
    EXPECT_EQ(refusal(tan_lap, "Xã\nTân", "2026-01-01"),
              "cannot rename unit \"25117\" (Xã Tân Lập): a name has no control characters");
    EXPECT_EQ(refusal(tan_lap, "Xã\xc2\x85Tân", "2026-01-01"),
              "cannot rename unit \"25117\" (Xã Tân Lập): a name has no control characters");
    EXPECT_EQ(refusal(tan_lap, " \t ", "2026-01-01"),
              "cannot rename unit \"25117\" (Xã Tân Lập): a name is not blank");
    EXPECT_EQ(refusal(tan_lap, "Phường Tân Lập", "2025-07-01"),
              "cannot rename unit \"25117\" (Xã Tân Lập): it bears its name from 2025-07-01; a "
              "rename takes effect on a later day");
    ASSERT_TRUE(store->merge_unit(tan_hoa, tan_lap, "2026-01-01"));
    EXPECT_EQ(refusal(tan_hoa, "Phường Tân Hòa", "2026-02-01"),
              "cannot rename unit \"25120\" (Xã Tân Hòa): it ended on 2026-01-01; rename the "
              "unit it became");
    EXPECT_EQ(store->unit_names(tan_lap)->size(), 1U);
    EXPECT_TRUE(store->former_unit_names()->empty());
    EXPECT_FALSE(store->rename_unit(999, "Xã Mới", "2026-01-01"));
}

TEST_F(UnitHistoryTest, ASearchFindsAUnitByAnyNameItBoreWithoutDiacritics) {
    ASSERT_TRUE(store->merge_unit(tan_hoa, tan_lap, "2026-01-01"));
    ASSERT_TRUE(store->rename_unit(tan_lap, "Phường Bình Phước", "2026-01-01"));

    EXPECT_EQ(found("tan lap"), (std::vector<std::string>{"25117 as Xã Tân Lập"}));
    EXPECT_EQ(found("TÂN HÒA"), (std::vector<std::string>{"25120 as Xã Tân Hòa"}));
    EXPECT_EQ(found("binh phuoc"), (std::vector<std::string>{"25117 as Phường Bình Phước"}));
    EXPECT_EQ(found("2512"), (std::vector<std::string>{"25120 as Xã Tân Hòa"}));
    EXPECT_EQ(found("25117"), (std::vector<std::string>{"25117 as Phường Bình Phước"}));
    EXPECT_EQ(found("xa"),
              (std::vector<std::string>{"25117 as Xã Tân Lập", "25120 as Xã Tân Hòa"}));
    EXPECT_TRUE(found("Hà Nội").empty());
    EXPECT_EQ(store->find_units("xa", 1)->size(), 1U);
}

TEST_F(UnitHistoryTest, AUnitIsNotMergedAwayBeforeItBoreItsCurrentName) {
    ASSERT_TRUE(store->rename_unit(tan_lap, "Phường Tân Lập", "2026-07-01"));
    auto early = store->merge_unit(tan_lap, tan_hoa, "2026-03-01");
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().message, "a merge on 2026-03-01 comes before \"25117\" (Phường Tân "
                                     "Lập) bore its current name (from 2026-07-01)");
    EXPECT_TRUE(store->merge_unit(tan_lap, tan_hoa, "2026-07-01"));
}

TEST_F(UnitHistoryTest, NamesSurviveReopeningTheDatabase) {
    ASSERT_TRUE(store->rename_unit(province, "Tỉnh Đồng Nai", "2026-03-01"));
    store = std::make_unique<ScheduleStore>(dir->file("schedule.db"));
    EXPECT_EQ(store->unit(province)->name, "Tỉnh Đồng Nai");
    EXPECT_EQ(store->unit_names(province)->front().name, "Đồng Nai");
}

TEST_F(UnitHistoryTest, ANewCodeKeepsTheFormerOneInHistoryAndNoOtherUnitTakesIt) {
    ASSERT_TRUE(store->recode_unit(tan_lap, "26999", "2026-07-01"));
    auto u = *store->unit(tan_lap);
    EXPECT_EQ(u.code, "26999");
    EXPECT_EQ(u.name, "Xã Tân Lập");
    EXPECT_EQ(u.named_from, "2026-07-01");
    auto names = *store->unit_names(tan_lap);
    ASSERT_EQ(names.size(), 2U);
    EXPECT_EQ(names[0].code, "25117");
    EXPECT_EQ(names[0].valid_to, "2026-07-01");
    EXPECT_EQ(found("25117"), (std::vector<std::string>{"26999 as Xã Tân Lập"}));
    EXPECT_EQ((*store->unit_that_bore("25117"))->id, tan_lap);
    EXPECT_FALSE(*store->unit_that_bore("26999"));

    auto refused = [&](std::int64_t unit, const std::string& code, const std::string& date) {
        auto done = store->recode_unit(unit, code, date);
        return done ? std::string() : done.error().message;
    };
    EXPECT_EQ(refused(tan_hoa, "25117", "2026-08-01"),
              "cannot recode unit \"25120\" (Xã Tân Hòa): code 25117 was borne by the unit now "
              "\"26999\" (Xã Tân Lập)");
    EXPECT_EQ(refused(tan_hoa, "26999", "2026-08-01"),
              "cannot recode unit \"25120\" (Xã Tân Hòa): unit \"26999\" (Xã Tân Lập) bears "
              "that code");
    EXPECT_NE(refused(tan_hoa, "2512", "2026-08-01").find("a commune's code is 5 digits"),
              std::string::npos);
    EXPECT_NE(refused(province, "750", "2026-08-01").find("a province's code is 2 digits"),
              std::string::npos);
    EXPECT_NE(refused(tan_hoa, "25120", "2026-08-01").find("its code is 25120 already"),
              std::string::npos);
    EXPECT_NE(refused(tan_lap, "26998", "2026-07-01").find("a change of code takes effect"),
              std::string::npos);
    // Its own former code may come back.
    EXPECT_TRUE(store->recode_unit(tan_lap, "25117", "2026-09-01"));
    EXPECT_EQ(store->unit(tan_hoa)->code, "25120") << "refusals changed nothing";
}

} // namespace
