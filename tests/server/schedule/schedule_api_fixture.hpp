#pragma once
// The fixture of the ScheduleApi tests: a province of two communes in a fresh state directory,
// the API over it with a manual clock, and helpers to call methods and make programs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>

#include "loa/common/clock.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/method_table.hpp"
#include "loa/server/api/rpc.hpp"
#include "loa/server/app/settings.hpp"
#include "loa/server/schedule/program_store.hpp"
#include "loa/server/schedule/runner.hpp"
#include "loa/server/schedule/schedule_api.hpp"
#include "process.hpp"
#include "wav.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using loa::server::Params;
using loa::server::RpcError;
namespace rpc_code = loa::server::rpc_code;

namespace loa::test {

inline const char* kBulletin = "Kính thưa bà con, sáng mai xã tổ chức tiêm phòng cho gia súc.";

/// What a call returned: its result, or its error (code 0 when it succeeded).
struct Reply {
    json::value result;
    int code = 0;
    std::string message;
    bool ok() const { return code == 0; }
};

inline loa::server::UnitSettings unit_settings(std::string code, std::string name) {
    loa::server::UnitSettings u;
    u.code = std::move(code);
    u.name = std::move(name);
    return u;
}

/// Whether a failure only says that GStreamer's espeak element is not installed.
inline bool espeak_missing(const Reply& r) {
    return r.message.find("no element \"espeak\"") != std::string::npos;
}

class ScheduleApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<loa::test::TempDir>(
            std::string("schedule-api-") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        settings.state_dir = dir->path();
        settings.import_dir = dir->path(); // the tests' audio files are made here
        loa::server::ProvinceSettings province;
        province.province = unit_settings("70", "Bình Phước");
        province.communes = {unit_settings("70-001", "Xã Tân Lập"),
                             unit_settings("70-002", "Xã Tân Hòa")};
        settings.province = province;
        store = std::make_unique<loa::schedules::ScheduleStore>(database_file(settings));
        loa::server::seed_units(*store, settings);
        media = std::make_unique<loa::server::ProgramStore>(media_dir(settings));
        loa::server::ServerView view{
            [] {
                return std::map<std::string, std::string>{{"70-001", "entry-1@x"}};
            },
            [] {
                loa::server::ReceiverStatus r;
                r.id = "r1";
                return std::vector{r};
            },
            [this](loa::schedules::Millis, loa::schedules::Millis) { return samples; }, nullptr};
        api = std::make_unique<loa::server::ScheduleApi>(settings, *media, clock, view,
                                                         [this] { ++changes; });
    }

    Reply call(const std::string& method, const json::object& params = {}) {
        try {
            return {loa::server::run_schedule_method(*api, method, Params(params), "tester"), 0,
                    ""};
        } catch (const RpcError& e) {
            return {nullptr, e.code, e.what()};
        }
    }

    /// An uploaded tone of `seconds`, as a draft program of the province; its id.
    std::int64_t file_program(const std::string& title, double seconds = 1.0) {
        std::string wav = dir->file(title + ".wav");
        loa::test::write_tone_wav(wav, 440, seconds);
        auto r = call("programs.create", {{"unit", "70"}, {"title", title}, {"path", wav}});
        EXPECT_TRUE(r.ok()) << r.message;
        return r.ok() ? r.result.at("id").as_int64() : 0;
    }

    std::int64_t approved_program(const std::string& title) {
        auto id = file_program(title);
        auto r = call("programs.decide", {{"id", id}, {"approval", "approved"}});
        EXPECT_TRUE(r.ok()) << r.message;
        return id;
    }

    json::object entry(std::int64_t program, const char* unit, const char* start) {
        return {{"program", program},
                {"units", json::array{unit}},
                {"start", start},
                {"duration_s", 600}};
    }

    std::size_t files_in(const std::string& folder) {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& f : fs::directory_iterator(folder))
            ++n;
        return n;
    }

    std::unique_ptr<loa::test::TempDir> dir;
    loa::server::Settings settings;
    loa::common::ManualClock clock;                       // 2027-01-15T15:00 in Hồ Chí Minh City
    std::unique_ptr<loa::schedules::ScheduleStore> store; // a second connection, to look inside
    std::unique_ptr<loa::server::ProgramStore> media;
    std::unique_ptr<loa::server::ScheduleApi> api;
    int changes = 0;
    std::vector<loa::server::OnlineSample> samples; ///< what stats.history is given
};

} // namespace loa::test
