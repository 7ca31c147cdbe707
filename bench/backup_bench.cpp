// Backups of a province's year: a state folder as a province fills it in a year (its communes,
// 4,000 clusters, the as-run log, the online history sampled every 5 minutes, alarms, the
// audit log, the programs' media), backed up, verified and restored with the server's own
// functions; each step against a plain copy of the same files measured in the same run. While
// the first backup runs, a writer goes on writing as the server does (an as-run row every
// 20 ms): its slowest write against the same writer with no backup running.
//
// usage: loa_backup_bench [--clusters N] [--days D] [--media-files M] [--media-kb K]
//                         [--dir FOLDER]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/sealed.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/auth_store.hpp"
#include "loa/server/backups/backup.hpp"
#include "loa/server/backups/restore.hpp"
#include "loa/server/monitoring/online_history.hpp"
#include "loa/server/receivers/registry.hpp"
#include "loa/server/supervision/alarm_book.hpp"

namespace fs = std::filesystem;
using loa::bench::seconds_since;
using std::chrono::steady_clock;

namespace {

struct Options {
    int clusters = 4000;
    int days = 365;
    int media_files = 300;
    int media_kb = 1024;
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
        else if (flag == "--media-files")
            o.media_files = std::stoi(value);
        else if (flag == "--media-kb")
            o.media_kb = std::stoi(value);
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

std::uint64_t folder_bytes(const fs::path& folder) {
    std::uint64_t total = 0;
    for (const auto& entry : fs::recursive_directory_iterator(folder))
        if (entry.is_regular_file())
            total += entry.file_size();
    return total;
}

/// Copies `from` into `to` file by file, each synced: the baseline of a backup and a restore.
double plain_copy(const fs::path& from, const fs::path& to) {
    auto start = steady_clock::now();
    fs::create_directories(to);
    for (const auto& entry : fs::recursive_directory_iterator(from)) {
        auto target = to / fs::relative(entry.path(), from);
        if (entry.is_directory()) {
            fs::create_directories(target);
            continue;
        }
        fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing);
        std::FILE* f = std::fopen(target.c_str(), "r");
        if (f != nullptr) {
            ::fsync(::fileno(f));
            std::fclose(f);
        }
    }
    return seconds_since(start);
}

/// The state of a province after `days` days.
void fill(const std::string& state, const Options& o) {
    const std::string db = state + "/loa.db";
    loa::common::ManualClock clock;
    fs::create_directories(state + "/media");
    loa::schedules::ScheduleStore store(db);
    loa::server::AuthStore auth(db, clock);
    loa::server::OnlineHistory history(db);
    loa::server::AlarmBook alarms(db, clock,
                                  [](const loa::server::Alarm&, loa::server::AlarmEvent) {});
    loa::server::ReceiverRegistry registry(db, clock,
                                           loa::pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80,
                                           loa::common::SealingKey::load(state + "/seal.key"));
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
    std::mt19937_64 random(7);
    std::vector<std::int64_t> programs;
    std::string block(static_cast<std::size_t>(o.media_kb) * 1024, '\0');
    for (int i = 0; i < o.media_files; ++i) {
        for (auto& c : block)
            c = static_cast<char>(random()); // incompressible, as Opus is
        char hash[80]; // named by content, as the program store names its files
        std::snprintf(hash, sizeof hash, "%064llx", static_cast<unsigned long long>(random()));
        std::string name = std::string(hash) + ".ogg";
        std::ofstream(state + "/media/" + name, std::ios::binary) << block;
        loa::schedules::Program p;
        p.unit = communes[static_cast<std::size_t>(i) % communes.size()];
        p.kind = loa::schedules::ProgramKind::file;
        p.title = "Bản tin " + std::to_string(i);
        p.source = "upload";
        p.media = name;
        programs.push_back(*store.add_program(p));
    }
    for (int i = 0; i < o.clusters; ++i)
        if (!registry.provision("cum-" + std::to_string(i),
                                communes[static_cast<std::size_t>(i) % communes.size()], "Cụm",
                                "admin"))
            throw std::runtime_error("cannot provision");

    loa::common::Database raw(db);
    loa::common::Transaction tx(raw);
    std::int64_t day_ms = 86'400'000;
    std::int64_t start_ms = 1'764'547'200'000; // 2025-12-01
    auto as_run = raw.prepare(
        "INSERT INTO as_run (program, priority, channel, scheduled_at, started_at_ms, "
        "ended_at_ms, receivers, outcome) VALUES (?, 'normal', ?, ?, ?, ?, ?, 'completed')");
    auto sample = raw.prepare(
        "INSERT INTO online_sample (at_ms, unit, online, clusters) VALUES (?, ?, ?, ?)");
    auto alarm = raw.prepare(
        "INSERT INTO alarm (kind, severity, subject, unit, raised_ms, cleared_ms, text_vi, "
        "text_en, figures) VALUES ('cluster_offline', 'major', ?, ?, ?, ?, 'Cụm mất kết nối', "
        "'Cluster offline', '{\"grace_s\":20}')");
    auto audit = raw.prepare("INSERT INTO audit (at_ms, who, from_address, what, summary) VALUES "
                             "(?, 'quan-tri', '10.0.0.5', 'entries.create', ?)");
    for (int d = 0; d < o.days; ++d) {
        std::int64_t day = start_ms + d * day_ms;
        for (std::size_t c = 0; c < codes.size(); ++c)
            for (int a = 0; a < 12; ++a) { // twelve airings a day on each commune's channel
                std::int64_t at = day + (5 + a) * 3'600'000;
                check(as_run.bind(1, programs[(c + static_cast<std::size_t>(a)) % programs.size()])
                          .bind(2, codes[c])
                          .bind(3, at / 1000)
                          .bind(4, at + 120)
                          .bind(5, at + 900'000)
                          .bind(6, std::int64_t{o.clusters / 95})
                          .run(),
                      "as_run");
            }
        for (int s = 0; s < 288; ++s) // every 5 minutes, every unit
            for (std::size_t c = 0; c < codes.size(); ++c)
                check(sample.bind(1, day + s * 300'000)
                          .bind(2, codes[c])
                          .bind(3, std::int64_t{40})
                          .bind(4, std::int64_t{42})
                          .run(),
                      "online_sample");
        for (int a = 0; a < 80; ++a) // a cluster in fifty offline a day
            check(alarm.bind(1, "cum-" + std::to_string((d * 80 + a) % o.clusters))
                      .bind(2, communes[static_cast<std::size_t>(a) % communes.size()])
                      .bind(3, day + a * 60'000)
                      .bind(4, day + a * 60'000 + 600'000)
                      .run(),
                  "alarm");
        for (int a = 0; a < 200; ++a)
            check(audit.bind(1, day + a * 60'000)
                      .bind(2, std::string_view(R"({"program":12,"units":["25007"],)"
                                                R"("start":"2026-03-01T06:30:00"})"))
                      .run(),
                  "audit");
    }
    check(tx.commit(), "commit");
}

/// The slowest of a writer's as-run inserts (one every 20 ms) while `work` runs, in ms.
template <class Work> double slowest_write_during(const std::string& db, Work&& work) {
    std::atomic<bool> stop = false;
    double slowest = 0;
    std::thread writer([&] {
        loa::common::Database conn(db);
        auto insert = conn.prepare("INSERT INTO heartbeat (id, at_ms) VALUES (1, ?) "
                                   "ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms");
        while (!stop) {
            auto start = steady_clock::now();
            check(insert.bind(1, std::int64_t{1}).run(), "write");
            slowest = std::max(slowest, seconds_since(start) * 1000);
            std::this_thread::sleep_until(start + std::chrono::milliseconds(20));
        }
    });
    work();
    stop = true;
    writer.join();
    return slowest;
}

} // namespace

int main(int argc, char** argv) {
    auto o = parse(argc, argv);
    fs::path root = o.dir.empty() ? fs::temp_directory_path() /
                                        ("loa-backup-bench-" + std::to_string(::getpid()))
                                  : fs::path(o.dir);
    fs::remove_all(root);
    auto state = (root / "state").string();
    auto nas = (root / "nas").string();
    auto filled = steady_clock::now();
    fill(state, o);
    std::printf("a province's %d days: %d clusters, 95 communes, %d media files of %d KiB; "
                "state made in %.1f s\n",
                o.days, o.clusters, o.media_files, o.media_kb, seconds_since(filled));
    auto db_bytes = fs::file_size(state + "/loa.db");
    std::printf("loa.db: %.1f MiB; media: %.1f MiB\n", static_cast<double>(db_bytes) / 1048576.0,
                static_cast<double>(folder_bytes(state + "/media")) / 1048576.0);

    double copy = plain_copy(state, root / "plain-copy");
    fs::remove_all(root / "plain-copy");

    auto now = std::chrono::system_clock::now();
    double idle_write = slowest_write_during(
        state + "/loa.db", [] { std::this_thread::sleep_for(std::chrono::seconds(3)); });
    loa::common::Result<loa::server::Backup> first =
        loa::common::make_error(loa::common::Errc::io_error, "not taken");
    double first_s = 0;
    double busy_write = slowest_write_during(state + "/loa.db", [&] {
        auto start = steady_clock::now();
        first = loa::server::take_backup(state, nas, now);
        first_s = seconds_since(start);
    });
    if (!first)
        throw std::runtime_error(first.error().message);
    auto start = steady_clock::now();
    auto second = loa::server::take_backup(state, nas, now + std::chrono::hours(24));
    double second_s = seconds_since(start);
    if (!second)
        throw std::runtime_error(second.error().message);
    start = steady_clock::now();
    auto verified = loa::server::verify_backup(nas, second->path);
    double verify_s = seconds_since(start);
    if (!verified)
        throw std::runtime_error(verified.error().message);
    auto target = (root / "restored").string();
    fs::create_directories(target);
    fs::copy_file(state + "/seal.key", target + "/seal.key");
    start = steady_clock::now();
    auto restored = loa::server::restore_backup(second->path, target, target + "/seal.key", now);
    double restore_s = seconds_since(start);
    if (!restored)
        throw std::runtime_error(restored.error().message);

    std::printf("\n%-44s %9s %9s\n", "", "seconds", "x copy");
    std::printf("%-44s %9.2f %9.2f\n", "plain copy of the state (baseline)", copy, 1.0);
    std::printf("%-44s %9.2f %9.2f\n", "first backup (database + every media file)", first_s,
                first_s / copy);
    std::printf("%-44s %9.2f %9.2f\n", "next backup (media already in the pool)", second_s,
                second_s / copy);
    std::printf("%-44s %9.2f %9.2f\n", "verify a backup as a restore reads it", verify_s,
                verify_s / copy);
    std::printf("%-44s %9.2f %9.2f\n", "restore into an empty state folder", restore_s,
                restore_s / copy);
    std::printf("\nbackup's database: %.1f MiB (%.2f of loa.db); pool: %.1f MiB\n",
                static_cast<double>(second->database_bytes) / 1048576.0,
                static_cast<double>(second->database_bytes) / static_cast<double>(db_bytes),
                static_cast<double>(folder_bytes(nas + "/media")) / 1048576.0);
    std::printf("the server's slowest write (every 20 ms): %.1f ms idle, %.1f ms during the "
                "first backup (%.1fx)\n",
                idle_write, busy_write, busy_write / std::max(idle_write, 0.001));
    fs::remove_all(root);
    return 0;
}
