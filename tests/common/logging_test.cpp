// A caller's text in a log line: it cannot end the line, forge another, or flood the log.
#include <gtest/gtest.h>

#include "loa/common/logging.hpp"

using loa::common::loggable;

TEST(Loggable, EscapesWhatCouldForgeALineAndCutsLongTexts) {
    EXPECT_EQ(loggable("admin"), "\"admin\"");
    EXPECT_EQ(loggable("a\nINFO forged"), "\"a\\nINFO forged\"");
    EXPECT_EQ(loggable("\"quoted\" \\ \r\t\x1b[31m"),
              "\"\\\"quoted\\\" \\\\ \\x0d\\x09\\x1b[31m\"");
    EXPECT_EQ(loggable("Xã Tân Lập"), "\"Xã Tân Lập\"");
    EXPECT_EQ(loggable(std::string(100, 'a'), 8), "\"aaaaaaaa\"...");
}
