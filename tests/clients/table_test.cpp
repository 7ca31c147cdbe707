#include <gtest/gtest.h>

#include "loa/clients/table.hpp"

using loa::clients::cell_text;
using loa::clients::display_width;
using loa::clients::Table;
namespace json = boost::json;

TEST(Table, CountsCodePointsSoVietnameseLinesUp) {
    EXPECT_EQ(display_width("Hà Nội"), 6U);
    EXPECT_EQ(display_width("Phường Ba Đình"), 14U);
    Table t({"CODE", "NAME", "ID"});
    t.add_row({"HN", "Hà Nội", "1"});
    t.add_row({"BD", "Phường Ba Đình", "22"});
    EXPECT_EQ(t.render(), "CODE  NAME            ID\n"
                          "HN    Hà Nội          1\n"
                          "BD    Phường Ba Đình  22\n");
}

TEST(Table, ShowsJsonValuesForOperators) {
    EXPECT_EQ(cell_text(json::value(nullptr)), "-");
    EXPECT_EQ(cell_text(json::value(true)), "yes");
    EXPECT_EQ(cell_text(json::value(1.5)), "1.5");
    EXPECT_EQ(cell_text(json::value(42)), "42");
    EXPECT_EQ(cell_text(json::array{"HN", "BD"}), "HN, BD");
    EXPECT_EQ(cell_text(json::array{}), "-");
    EXPECT_EQ(loa::clients::pretty_json(json::parse(R"({"a":[1,{}],"b":"đ"})")),
              "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": \"đ\"\n}");
}
