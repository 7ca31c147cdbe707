#pragma once
// A server's state folder as the backups' tests need one: its database with the province of
// Đồng Nai (unit 1), and a media folder.

#include <filesystem>
#include <gtest/gtest.h>
#include <string>

#include "loa/schedules/store.hpp"

namespace loa::test {

/// Makes `state` (its loa.db with unit "75" Đồng Nai, and media/); fails the test if it cannot.
inline void make_server_state(const std::string& state) {
    std::filesystem::create_directories(state + "/media");
    schedules::ScheduleStore store(state + "/loa.db");
    schedules::Unit province;
    province.code = "75";
    province.name = "Đồng Nai";
    ASSERT_TRUE(store.add_unit(province));
}

} // namespace loa::test
