// Backups of a province's year: a state folder as a province fills it in a year (its communes,
// 4,000 clusters, the as-run log, the online history sampled every 5 minutes, alarms, the
// audit log, the programs' media), backed up, verified and restored with the server's own
// functions; each step against a plain copy of the same files measured in the same run. While
// the first backup runs, the server's work goes on beside it: a writer (an as-run row every
// 20 ms) and a fan-out shard sending a frame every 20 ms to every cluster; its slowest write and
// how late its frames are, against the same work with no backup running.
//
// usage: loa_backup_bench [--clusters N] [--days D] [--media-files M] [--media-kb K]
//                         [--dir FOLDER]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/sealed.hpp"
#include "loa/common/secret.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/pipeline/fanout.hpp"
#include "loa/pipeline/udp_socket.hpp"
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

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

/// What the server does beside a backup, each on a thread of its own: a writer (an as-run row
/// every 20 ms on its own connection) and a fan-out shard sending each 20 ms frame to every
/// cluster with a key of its own, to a socket on 127.0.0.1 that is never read.
struct ServerLoad {
    double slowest_write_ms = 0;
    std::vector<double> frame_ms;  ///< each frame: from its due instant to its last packet sent
    std::uint64_t frames_late = 0; ///< not all sent before the next one was due
    std::uint64_t send_drops = 0;
};

/// The fan-out's shard with `clusters` receivers, each with an AES-CM key of its own.
struct Fleet {
    std::vector<std::unique_ptr<loa::pipeline::ReceiverLink>> links;
    std::unique_ptr<loa::pipeline::FanOutShard> shard;
};

Fleet make_fleet(int fd, const loa::pipeline::Endpoint& sink, int clusters) {
    using loa::pipeline::SrtpProfile;
    constexpr auto kProfile = SrtpProfile::aes_cm_128_hmac_sha1_80;
    Fleet fleet;
    fleet.shard = std::make_unique<loa::pipeline::FanOutShard>(fd, 64);
    for (int i = 0; i < clusters; ++i) {
        auto link = std::make_unique<loa::pipeline::ReceiverLink>();
        link->address = sink.packed();
        std::vector<std::uint8_t> key(loa::pipeline::srtp_master_length(kProfile));
        loa::common::random_bytes(key.data(), key.size());
        auto ssrc = static_cast<std::uint32_t>(i + 1);
        auto session = loa::pipeline::SrtpSession::outbound(kProfile, key, ssrc);
        if (!session)
            throw std::runtime_error("SRTP: " + session.error().message);
        fleet.shard->add(0, loa::pipeline::RtpStream(ssrc, 0, 0), std::move(*session), link.get());
        fleet.links.push_back(std::move(link));
    }
    return fleet;
}

template <class Work>
ServerLoad server_load_during(const std::string& db, int clusters, Work&& work) {
    constexpr auto kFrame = std::chrono::milliseconds(20);
    constexpr std::size_t kOpusBytes = 80; // 32 kbps
    auto loopback = loa::pipeline::Endpoint::parse("127.0.0.1:0");
    auto sender = loa::pipeline::UdpSocket::bind(*loopback);
    auto sink_socket = loa::pipeline::UdpSocket::bind(*loopback); // never read
    if (!sender || !sink_socket)
        throw std::runtime_error("no UDP socket on 127.0.0.1");
    Fleet fleet = make_fleet(
        sender->fd(), loa::pipeline::Endpoint(0x7f000001, sink_socket->local_port()), clusters);
    ServerLoad load;
    std::atomic<bool> stop = false;
    std::thread writer([&] {
        loa::common::Database conn(db);
        auto insert = conn.prepare("INSERT INTO heartbeat (id, at_ms) VALUES (1, ?) "
                                   "ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms");
        while (!stop) {
            auto start = steady_clock::now();
            check(insert.bind(1, std::int64_t{1}).run(), "write");
            load.slowest_write_ms = std::max(load.slowest_write_ms, seconds_since(start) * 1000);
            std::this_thread::sleep_until(start + kFrame);
        }
    });
    std::thread fanout([&] {
        loa::pipeline::Delivery frame;
        frame.size = static_cast<std::uint16_t>(kOpusBytes);
        std::memset(frame.bytes.data(), 0x5a, kOpusBytes);
        auto due = steady_clock::now();
        while (!stop) {
            due += kFrame;
            std::this_thread::sleep_until(due);
            frame.channel_timestamp += 960;
            fleet.shard->send(frame);
            auto took = steady_clock::now() - due;
            load.frame_ms.push_back(std::chrono::duration<double, std::milli>(took).count());
            if (took > kFrame)
                ++load.frames_late;
        }
    });
    work();
    stop = true;
    writer.join();
    fanout.join();
    load.send_drops = fleet.shard->stats().send_drops;
    return load;
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
    auto idle = server_load_during(state + "/loa.db", o.clusters,
                                   [] { std::this_thread::sleep_for(std::chrono::seconds(10)); });
    loa::common::Result<loa::server::Backup> first =
        loa::common::make_error(loa::common::Errc::io_error, "not taken");
    double first_s = 0;
    auto busy = server_load_during(state + "/loa.db", o.clusters, [&] {
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
                idle.slowest_write_ms, busy.slowest_write_ms,
                busy.slowest_write_ms / std::max(idle.slowest_write_ms, 0.001));
    std::printf("\nfan-out, a 20 ms frame to %d clusters (keys of their own), from the frame's "
                "due instant to its last packet sent:\n",
                o.clusters);
    std::printf("%-26s %7s %8s %8s %8s %6s %6s\n", "", "frames", "p50 ms", "p99 ms", "max ms",
                "late", "drops");
    for (const auto* load : {&idle, &busy})
        std::printf("%-26s %7zu %8.2f %8.2f %8.2f %6llu %6llu\n",
                    load == &idle ? "no backup (baseline)" : "during the first backup",
                    load->frame_ms.size(), percentile(load->frame_ms, 0.5),
                    percentile(load->frame_ms, 0.99), percentile(load->frame_ms, 1),
                    static_cast<unsigned long long>(load->frames_late),
                    static_cast<unsigned long long>(load->send_drops));
    std::printf("p99 during / p99 idle: %.2f\n",
                percentile(busy.frame_ms, 0.99) / std::max(percentile(idle.frame_ms, 0.99), 0.001));
    fs::remove_all(root);
    return 0;
}
