// The indicators of a province's year: 95 communes and 4,000 clusters, twelve airings a day on
// each commune's channel, the clusters online sampled every 5 minutes, eighty cluster alarms a
// day. Each reporting day is frozen at its cut-off as loa-server does (a manual clock moves a
// day at a time); then a year of daily indicators is asked for (indicators.get over 365 days,
// the province and each commune), and a year by month. The baseline, measured in the same
// run, is the same year computed from the raw rows without the frozen days. Prints the time
// per request against the 1 s target and the size a year of frozen days takes in loa.db.
//
// usage: loa_indicators_bench [--clusters N] [--days D] [--dir FOLDER]
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/monitoring/online_history.hpp"
#include "loa/server/reports/indicator_report.hpp"
#include "loa/server/supervision/alarm_book.hpp"

namespace fs = std::filesystem;
using loa::bench::seconds_since;
using std::chrono::steady_clock;

namespace {

struct Options {
    int clusters = 4000;
    int days = 365;
    std::string dir;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        std::string value = argv[i + 1];
        if (flag == "--clusters")
            o.clusters = std::stoi(value);
        else if (flag == "--days")
            o.days = std::stoi(value);
        else if (flag == "--dir")
            o.dir = value;
        else
            throw std::runtime_error("unknown flag " + flag);
    }
    return o;
}

void check(const loa::common::Result<void>& done, const char* what) {
    if (!done)
        throw std::runtime_error(std::string(what) + ": " + done.error().message);
}

constexpr std::int64_t kDayMs = 86'400'000;
/// 2027-01-15T17:00+07:00: the first reporting day (2027-01-16) starts then; the manual
/// clock starts two hours before.
constexpr std::int64_t kStartMs = 1'800'007'200'000;

/// A province's year of raw rows in `db`.
void fill(const std::string& db, const Options& o, loa::common::ManualClock& clock) {
    loa::schedules::ScheduleStore store(db);
    loa::server::OnlineHistory history(db);
    loa::server::AlarmBook alarms(db, clock, nullptr);
    loa::schedules::Unit province;
    province.code = "75";
    province.name = "Đồng Nai";
    auto province_id = *store.add_unit(province);
    std::vector<std::string> codes;
    std::vector<std::int64_t> communes;
    for (int i = 0; i < 95; ++i) {
        loa::schedules::Unit commune;
        commune.code = std::to_string(25000 + i * 7);
        commune.name = "Xã " + std::to_string(i + 1);
        commune.parent = province_id;
        communes.push_back(*store.add_unit(commune));
        codes.push_back(commune.code);
    }
    std::vector<loa::schedules::Cluster> clusters;
    for (int i = 0; i < o.clusters; ++i)
        clusters.push_back({"cum-" + std::to_string(i),
                            communes[static_cast<std::size_t>(i) % communes.size()], ""});
    check(store.put_clusters(clusters), "clusters");
    loa::schedules::Program p;
    p.unit = province_id;
    p.title = "Thời sự";
    p.source = "upload";
    auto program = *store.add_program(p);
    std::int64_t per_commune = o.clusters / 95;

    loa::common::Database raw(db);
    loa::common::Transaction tx(raw);
    auto as_run = raw.prepare(
        "INSERT INTO as_run (program, priority, channel, scheduled_at, started_at_ms, "
        "ended_at_ms, receivers, played, outcome) VALUES (?, 'normal', ?, ?, ?, ?, ?, ?, "
        "'completed')");
    auto sample = raw.prepare(
        "INSERT INTO online_sample (at_ms, unit, online, clusters) VALUES (?, ?, ?, ?)");
    auto alarm = raw.prepare(
        "INSERT INTO alarm (kind, severity, subject, unit, raised_ms, cleared_ms, text_vi, "
        "text_en, figures) VALUES ('cluster_offline', 'major', ?, ?, ?, ?, '', '', '{}')");
    std::mt19937 random(7);
    for (int d = 0; d < o.days; ++d) {
        std::int64_t day = kStartMs + d * kDayMs;
        for (std::size_t c = 0; c < codes.size(); ++c)
            for (int a = 0; a < 12; ++a) {
                std::int64_t at = day + (13 + a) * 3'600'000;
                check(as_run.bind(1, program)
                          .bind(2, codes[c])
                          .bind(3, at / 1000)
                          .bind(4, at + 800)
                          .bind(5, at + 900'000)
                          .bind(6, per_commune)
                          .bind(7, per_commune - 1)
                          .run(),
                      "as_run");
            }
        for (int s = 0; s < 288; ++s)
            for (const auto& code : codes)
                check(sample.bind(1, day + s * 300'000)
                          .bind(2, code)
                          .bind(3, per_commune - static_cast<std::int64_t>(random() % 3))
                          .bind(4, per_commune)
                          .run(),
                      "online_sample");
        for (int a = 0; a < 80; ++a)
            check(alarm.bind(1, "cum-" + std::to_string((d * 80 + a) % o.clusters))
                      .bind(2, communes[static_cast<std::size_t>(a) % communes.size()])
                      .bind(3, day + a * 60'000)
                      .bind(4, day + a * 60'000 + 600'000)
                      .run(),
                  "alarm");
    }
    check(tx.commit(), "commit");
}

std::int64_t scalar(const std::string& db, const char* sql) {
    loa::common::Database d(db);
    auto q = d.prepare(sql);
    return q.step().value_or(false) ? q.optional_integer(0).value_or(0) : 0;
}

/// The best of `runs` timings of `work`, in seconds.
template <typename Work> double best_of(int runs, Work work) {
    double best = 1e9;
    for (int i = 0; i < runs; ++i) {
        auto start = steady_clock::now();
        work();
        best = std::min(best, seconds_since(start));
    }
    return best;
}

} // namespace

int main(int argc, char** argv) {
    auto o = parse(argc, argv);
    auto dir = o.dir.empty() ? fs::temp_directory_path() / "loa-indicators-bench" : fs::path(o.dir);
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto db = (dir / "loa.db").string();
    loa::common::ManualClock clock;
    auto now_ms = [&] {
        return std::chrono::floor<std::chrono::milliseconds>(clock.system_now())
            .time_since_epoch()
            .count();
    };
    clock.advance(std::chrono::milliseconds(kStartMs - 2 * 3'600'000 - now_ms()));
    auto start = steady_clock::now();
    fill(db, o, clock);
    std::printf("filled: %d clusters, 95 communes, %d days (%.1f s)\n", o.clusters, o.days,
                seconds_since(start));

    auto pages_before = scalar(db, "SELECT page_count * page_size FROM pragma_page_count(), "
                                   "pragma_page_size()");
    loa::server::IndicatorBook book(db, {}, clock);
    double freezing = 0;
    for (int d = 0; d < o.days; ++d) {
        clock.advance(std::chrono::milliseconds(kStartMs + (d + 1) * kDayMs + 1000 - now_ms()));
        auto t = steady_clock::now();
        auto frozen = book.freeze_due();
        freezing += seconds_since(t);
        if (!frozen || frozen->size() != 1)
            throw std::runtime_error("day " + std::to_string(d) + " not frozen");
    }
    auto pages_after = scalar(db, "SELECT page_count * page_size FROM pragma_page_count(), "
                                  "pragma_page_size()");
    auto figures_bytes = scalar(db, "SELECT SUM(LENGTH(figures)) FROM indicator_day");
    auto rows = scalar(db, "SELECT COUNT(*) FROM indicator_day");
    std::printf("freezing a day (95 communes): %.1f ms on average\n", 1000 * freezing / o.days);
    std::printf("%d frozen days: %lld rows, %.2f MB of figures, loa.db grew by %.2f MB\n", o.days,
                static_cast<long long>(rows), static_cast<double>(figures_bytes) / 1e6,
                static_cast<double>(pages_after - pages_before) / 1e6);

    auto all = [](std::int64_t) { return true; };
    auto first = book.today(); // the day under way: a year of days before it
    loa::server::IndicatorQuery q;
    q.to = first;
    std::size_t answer_bytes = 0;
    {
        auto [from, to] = loa::server::reporting_day(first, "Asia/Ho_Chi_Minh", "17:00");
        (void)to;
        q.from = loa::server::reporting_date(from - std::chrono::days(o.days - 1),
                                             "Asia/Ho_Chi_Minh", "17:00");
    }
    auto daily = best_of(3, [&] {
        answer_bytes = boost::json::serialize(loa::server::indicators_report(book, q, all)).size();
    });
    q.period = "month";
    auto monthly = best_of(3, [&] { (void)loa::server::indicators_report(book, q, all); });
    // The baseline: the same days computed from the raw rows, without the frozen days.
    loa::common::Database raw(db);
    loa::schedules::ScheduleStore store(db);
    auto baseline = best_of(1, [&] {
        for (int d = 0; d < o.days; ++d) {
            auto from = loa::schedules::Millis(std::chrono::milliseconds(kStartMs + d * kDayMs));
            auto to = from + std::chrono::milliseconds(kDayMs);
            auto day = loa::server::compute_day(
                raw, store, "", from, to,
                loa::schedules::Millis(std::chrono::milliseconds(now_ms())));
            if (!day)
                throw std::runtime_error(day.error().message);
        }
    });
    std::printf("%d days of daily indicators, province and 95 communes (%zu rows of JSON, %.1f "
                "MB): %.3f s (target: under 1 s)\n",
                o.days, static_cast<std::size_t>(96) * static_cast<std::size_t>(o.days),
                static_cast<double>(answer_bytes) / 1e6, daily);
    std::printf("the same days by month: %.3f s\n", monthly);
    std::printf("baseline, the days computed from the raw rows: %.3f s; daily request / "
                "baseline: %.3f\n",
                baseline, daily / baseline);
    fs::remove_all(dir);
    return daily < 1.0 ? 0 : 1;
}
