// units.rename, units.lineage and units.find over a real store, with a manual clock.
#include "schedule_api_fixture.hpp"

using namespace loa::test; // NOLINT(google-build-using-namespace)

namespace {

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

} // namespace
