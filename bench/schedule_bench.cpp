// The schedule's figures, each against a baseline measured in the same run:
//
//  1. resolver: channel resolutions per second with 10,000 recurring entries on 500 channels,
//     against the same number of one-off entries (the cost of recurrence rules);
//  2. start accuracy: first packet on the wire minus scheduled time, over many scheduled starts
//     of the real engine, media server and GStreamer sources, against the 50 ms target and a
//     bare UDP send -> receive on the same loopback;
//  3. emergency switch: from the call to the emergency's first packet at the last of N
//     receivers (default 10,000), against the time one ordinary frame takes to reach them all.
//
// usage: loa_schedule_bench [--entries 10000] [--channels 500] [--starts 30] [--receivers 10000]
#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <poll.h>
#include <random>
#include <set>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/rtp.hpp"
#include "loa/pipeline/udp_socket.hpp"
#include "loa/schedules/resolver.hpp"
#include "loa/schedules/timeline.hpp"
#include "loa/server/media/media_server.hpp"
#include "loa/server/schedule/program_store.hpp"
#include "loa/server/schedule/runner.hpp"
#include "wav.hpp"

using namespace loa;
using namespace std::chrono;

namespace {

struct Options {
    int entries = 10000;
    int channels = 500;
    int starts = 30;
    int receivers = 10000;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        int value = std::stoi(argv[i + 1]);
        if (flag == "--entries")
            o.entries = value;
        else if (flag == "--channels")
            o.channels = value;
        else if (flag == "--starts")
            o.starts = value;
        else if (flag == "--receivers")
            o.receivers = value;
    }
    return o;
}

// ---- 1. resolver -------------------------------------------------------------------------

std::vector<schedules::ScheduledEntry> make_entries(int count, int channels, bool recurring) {
    std::mt19937 random(7);
    const char* rules[] = {"FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=DAILY;INTERVAL=2",
                           "FREQ=MONTHLY;BYMONTHDAY=1,15"};
    std::vector<schedules::ScheduledEntry> out;
    for (int i = 0; i < count; ++i) {
        schedules::ScheduledEntry e;
        e.id = i + 1;
        e.program = i % 50 + 1;
        e.priority = static_cast<schedules::PriorityClass>(random() % 3);
        int targets = 1 + static_cast<int>(random() % 3);
        for (int t = 0; t < targets; ++t)
            e.channels.push_back("c" + std::to_string(random() % channels));
        char start[32];
        auto day = static_cast<unsigned>(1 + random() % 28);
        auto hour = static_cast<unsigned>(random() % 24);
        auto minute = static_cast<unsigned>((random() % 4) * 15);
        std::snprintf(start, sizeof start, "2026-11-%02uT%02u:%02u:00", day, hour, minute);
        e.when.start_local = start;
        if (recurring)
            e.when.rule = rules[random() % 4];
        e.duration = minutes(5 + random() % 40);
        out.push_back(std::move(e));
    }
    return out;
}

/// Channel resolutions per second: each resolve() answers every channel at once.
double resolutions_per_second(const std::vector<schedules::ScheduledEntry>& entries, int channels) {
    auto base = sys_days(year(2026) / 12 / 1) + hours(0);
    std::mt19937 random(11);
    int calls = 0;
    auto start = steady_clock::now();
    while (bench::seconds_since(start) < 3.0) {
        auto t = schedules::TimePoint(base + seconds(random() % (14 * 86400)));
        auto resolved = schedules::resolve(entries, {}, t);
        if (!resolved) {
            std::fprintf(stderr, "resolve: %s\n", resolved.error().message.c_str());
            std::exit(1);
        }
        ++calls;
    }
    return calls * static_cast<double>(channels) / bench::seconds_since(start);
}

/// The same through a timeline of two days, as the engine resolves (its build timed apart).
double timeline_resolutions_per_second(const std::vector<schedules::ScheduledEntry>& entries,
                                       int channels, double& build_ms) {
    auto base = schedules::TimePoint(sys_days(year(2026) / 12 / 1));
    auto started = steady_clock::now();
    auto timeline = schedules::Timeline::build(entries, base, base + days(14));
    build_ms = bench::seconds_since(started) * 1000;
    if (!timeline) {
        std::fprintf(stderr, "timeline: %s\n", timeline.error().message.c_str());
        std::exit(1);
    }
    std::mt19937 random(11);
    int calls = 0;
    std::size_t answers = 0;
    auto start = steady_clock::now();
    while (bench::seconds_since(start) < 3.0) {
        auto t = base + seconds(random() % (14 * 86400));
        answers += timeline->resolve({}, t).size();
        ++calls;
    }
    if (answers == 0)
        std::printf("  (no channel was ever on air: check the entries)\n");
    return calls * static_cast<double>(channels) / bench::seconds_since(start);
}

void resolver_bench(const Options& o) {
    auto recurring = make_entries(o.entries, o.channels, true);
    double pure = resolutions_per_second(recurring, o.channels);
    double build_ms = 0;
    double timeline = timeline_resolutions_per_second(recurring, o.channels, build_ms);
    std::printf("resolver, %d recurring entries on %d channels:\n", o.entries, o.channels);
    std::printf("  pure resolve(), rules expanded per call (baseline) %12.0f channel "
                "resolutions/s\n",
                pure);
    std::printf("  timeline, as the engine resolves                   %12.0f channel "
                "resolutions/s  ratio %.0f\n",
                timeline, timeline / pure);
    std::printf("  building a 14-day timeline: %.0f ms (on every schedule change)\n", build_ms);
}

// ---- shared: a server in a temporary directory ---------------------------------------------

/// A UDP sink on 127.0.0.1 with a large buffer, recording when packets arrive.
struct Sink {
    pipeline::UdpSocket socket =
        std::move(pipeline::UdpSocket::bind(*pipeline::Endpoint::parse("127.0.0.1:0"))).value();
    Sink() {
        int size = 64 * 1024 * 1024;
        ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    }
    pipeline::Endpoint endpoint() const {
        return *pipeline::Endpoint::parse("127.0.0.1:" + std::to_string(socket.local_port()));
    }
};

struct Received {
    steady_clock::time_point at;
    std::uint32_t ssrc;
    bool marker;
    std::size_t sink;
};

/// Reads every sink until `until`, or until `done` says so.
template <class Done>
std::vector<Received> receive(std::vector<Sink>& sinks, steady_clock::time_point until,
                              Done&& done) {
    std::vector<Received> out;
    std::vector<pollfd> polls;
    for (auto& s : sinks)
        polls.push_back({s.socket.fd(), POLLIN, 0});
    std::array<std::uint8_t, 2048> buffer{};
    while (steady_clock::now() < until && !done(out)) {
        if (::poll(polls.data(), polls.size(), 5) <= 0)
            continue;
        for (std::size_t i = 0; i < polls.size(); ++i) {
            auto& p = polls[i];
            if ((p.revents & POLLIN) == 0)
                continue;
            for (;;) {
                ssize_t n = ::recv(p.fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
                if (n <= 0)
                    break;
                auto rtp = pipeline::parse_rtp(
                    std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)));
                if (rtp)
                    out.push_back({steady_clock::now(), rtp->header.ssrc, rtp->header.marker, i});
            }
        }
    }
    return out;
}

/// A server's settings with `receivers` receivers on one commune; receiver i sends to
/// `address_of(i)`.
template <class AddressOf>
server::Settings settings_for(const std::string& dir, int receivers, AddressOf&& address_of) {
    server::Settings s;
    s.log_level = "warn";
    s.state_dir = dir;
    s.media_bind = "127.0.0.1";
    s.media_port = 0;
    s.province = server::ProvinceSettings{{"70", "Province", "00:00", "00:00", false},
                                          {{"70-001", "Commune", "00:00", "00:00", false}}};
    for (int i = 0; i < receivers; ++i) {
        server::ReceiverSettings r;
        r.id = "rx-" + std::to_string(i);
        r.channel = "70-001";
        r.key.resize(pipeline::srtp_master_length(s.profile));
        common::random_bytes(r.key.data(), r.key.size());
        r.address = address_of(i);
        s.receivers.push_back(std::move(r));
    }
    return s;
}

/// The media plane, the programs' media, the schedule engine and a store connection of a
/// server, in this process, over `dir`.
struct BenchServer {
    BenchServer(const server::Settings& settings, const std::string& dir)
        : media(settings, common::SystemClock::instance()), programs(dir + "/media"),
          runner(settings, media, programs, common::SystemClock::instance()),
          store(server::database_file(settings)) {
        media.start();
    }

    /// A tone of `seconds` as an approved file program of the province.
    std::int64_t tone_program(const std::string& wav, double seconds) {
        test::write_tone_wav(wav, 440, seconds);
        auto stored = programs.store_file(wav);
        schedules::Program p;
        p.unit = store.unit_by_code("70")->id;
        p.kind = schedules::ProgramKind::file;
        p.title = "bench";
        p.source = wav;
        p.media = stored->path;
        p.duration = stored->duration;
        auto id = *store.add_program(p);
        (void)store.decide(id, schedules::Approval::approved, "bench");
        return id;
    }

    /// Schedules `program` on `unit` from `first` (Vietnam time), then wakes the engine.
    void schedule(std::int64_t program, const std::string& unit, system_clock::time_point first,
                  const std::string& rule, seconds duration) {
        schedules::Entry e;
        e.program = program;
        e.units = {store.unit_by_code(unit)->id};
        e.when.start_local =
            *schedules::utc_to_local(floor<seconds>(first), schedules::kDefaultTimeZone);
        e.when.rule = rule;
        e.duration = duration;
        if (auto added = store.add_entry(e, floor<seconds>(system_clock::now())); !added) {
            std::fprintf(stderr, "entry: %s\n", added.error().message.c_str());
            std::exit(1);
        }
        runner.schedule_changed();
    }

    void stop() {
        runner.stop();
        media.stop();
    }

    server::MediaServer media;
    server::ProgramStore programs;
    server::ScheduleRunner runner;
    schedules::ScheduleStore store;
};

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// ---- 2. start accuracy ----------------------------------------------------------------------

/// One UDP datagram from one socket to another on loopback, median of many: the floor.
double loopback_ms() {
    Sink to;
    auto from =
        std::move(pipeline::UdpSocket::bind(*pipeline::Endpoint::parse("127.0.0.1:0"))).value();
    auto address = to.endpoint().to_sockaddr();
    std::vector<double> delays;
    std::array<std::uint8_t, 100> packet{};
    for (int i = 0; i < 200; ++i) {
        auto sent = steady_clock::now();
        ::sendto(from.fd(), packet.data(), packet.size(), 0,
                 reinterpret_cast<const sockaddr*>(&address), sizeof address);
        pollfd p{to.socket.fd(), POLLIN, 0};
        ::poll(&p, 1, 100);
        ::recv(to.socket.fd(), packet.data(), packet.size(), MSG_DONTWAIT);
        delays.push_back(duration<double, std::milli>(steady_clock::now() - sent).count());
    }
    return percentile(delays, 0.5);
}

void start_accuracy_bench(const Options& o) {
    auto dir =
        std::filesystem::temp_directory_path() / ("loa-bench-starts-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::vector<Sink> sinks(1);
    auto settings = settings_for(dir.string(), 1, [&](int) { return sinks[0].endpoint(); });
    BenchServer server(settings, dir.string());
    auto program = server.tone_program((dir / "program.wav").string(), 0.8);
    server.runner.start();

    // One start every 2 s (0.8 s of audio, then silence), the first in 3 s.
    auto first = ceil<seconds>(system_clock::now() + seconds(3));
    server.schedule(program, "70-001", first,
                    "FREQ=SECONDLY;INTERVAL=2;COUNT=" + std::to_string(o.starts), seconds(1));

    // Packets arrive on steady time; the schedule is on wall time: relate the two once.
    auto wall_to_steady = steady_clock::now() - system_clock::now().time_since_epoch();
    auto packets = receive(sinks, steady_clock::now() + seconds(3 + 2 * o.starts + 2),
                           [](const std::vector<Received>&) { return false; });
    std::vector<double> late;
    for (int k = 0; k < o.starts; ++k) {
        auto scheduled = wall_to_steady + (first + seconds(2 * k)).time_since_epoch();
        auto it = std::find_if(packets.begin(), packets.end(), [&](const Received& r) {
            return r.at >= scheduled - milliseconds(500);
        });
        if (it != packets.end())
            late.push_back(duration<double, std::milli>(it->at - scheduled).count());
    }
    server.stop();
    std::filesystem::remove_all(dir);
    double floor_ms = loopback_ms();
    std::printf(
        "start accuracy, %zu of %d scheduled starts seen (first packet - scheduled time):\n",
        late.size(), o.starts);
    if (late.empty())
        return;
    std::printf("  median %6.1f ms  p99 %6.1f ms  min %6.1f ms  max %6.1f ms\n",
                percentile(late, 0.5), percentile(late, 0.99), percentile(late, 0),
                percentile(late, 1));
    std::printf("  target 50 ms: p99 / target = %.2f;  loopback UDP floor %.3f ms\n",
                percentile(late, 0.99) / 50, floor_ms);
}

// ---- 3. emergency switch --------------------------------------------------------------------

void emergency_bench(int n, server::KeyMode mode) {
    auto dir = std::filesystem::temp_directory_path() /
               ("loa-bench-emergency-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    // Reading 10,000 streams would cost this process as much CPU as sending them; so the
    // first two and the last two receivers of the fan-out's order (round-robin over its two
    // default shards) send to probes that are read, and every other receiver to a socket that
    // is never read (the kernel drops what it cannot hold; the server's work is the same).
    std::vector<Sink> probes(4);
    Sink black_hole;
    int size = 4096;
    ::setsockopt(black_hole.socket.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    auto settings = settings_for(dir.string(), n, [&](int i) {
        if (i < 2)
            return probes[static_cast<std::size_t>(i)].endpoint();
        if (i >= n - 2)
            return probes[static_cast<std::size_t>(i - (n - 4))].endpoint();
        return black_hole.endpoint();
    });
    settings.workers = 2;
    if (mode == server::KeyMode::group) {
        settings.key_mode = mode;
        for (const char* id : {"70", "70-001"}) {
            std::vector<std::uint8_t> key(pipeline::srtp_master_length(settings.profile));
            common::random_bytes(key.data(), key.size());
            settings.channels.push_back({id, std::nullopt, key});
        }
    }
    BenchServer server(settings, dir.string());
    auto normal = server.tone_program((dir / "normal.wav").string(), 60);
    auto alert = server.tone_program((dir / "alert.wav").string(), 30);
    server.runner.start();
    server.schedule(normal, "70", ceil<seconds>(system_clock::now() + seconds(2)), "", seconds(60));

    // The normal program for a while: how long one frame takes from the first receiver to
    // the last is the baseline.
    auto normal_packets = receive(probes, steady_clock::now() + seconds(6),
                                  [](const std::vector<Received>&) { return false; });
    std::vector<double> frame_ms;
    std::optional<steady_clock::time_point> first_of_frame;
    for (const auto& r : normal_packets) {
        if (r.sink == 0)
            first_of_frame = r.at;
        else if (r.sink == 3 && first_of_frame)
            frame_ms.push_back(duration<double, std::milli>(r.at - *first_of_frame).count());
    }

    auto depth_before = server.media.stats().fanout.queue_depth;
    // The call: saved and handed to the engine, as the API does.
    schedules::OverrideRecord emergency;
    emergency.program = alert;
    emergency.units = {server.store.unit_by_code("70")->id};
    emergency.started_by = "bench";
    auto called = steady_clock::now();
    emergency.started_at = floor<milliseconds>(system_clock::now());
    (void)server.store.start_override(emergency);
    server.runner.schedule_changed();
    auto got =
        receive(probes, steady_clock::now() + seconds(5), [&](const std::vector<Received>& r) {
            std::set<std::size_t> switched;
            for (const auto& x : r)
                if (x.marker)
                    switched.insert(x.sink);
            return switched.size() == 4;
        });
    std::map<std::size_t, steady_clock::time_point> switched;
    for (const auto& r : got)
        if (r.marker)
            switched.try_emplace(r.sink, r.at);
    auto stats = server.media.stats();
    server.stop();
    std::filesystem::remove_all(dir);

    std::printf("emergency switch, %d receivers (%s, %s, %u fan-out threads):\n", n,
                mode == server::KeyMode::group ? "one group key per channel" : "per-receiver keys",
                pipeline::to_string(settings.profile).c_str(), settings.workers);
    if (switched.size() < 4 || frame_ms.empty()) {
        std::printf("  the switch was not seen at every probe (%zu of 4)\n", switched.size());
        return;
    }
    auto ms_after_call = [&](std::size_t sink) {
        return duration<double, std::milli>(switched[sink] - called).count();
    };
    double to_first = std::min(ms_after_call(0), ms_after_call(1));
    double to_last = std::max(ms_after_call(2), ms_after_call(3));
    double frame = percentile(frame_ms, 0.5);
    std::printf("  call -> first receiver %.1f ms, -> last receiver %.1f ms\n", to_first, to_last);
    std::printf("  one ordinary frame, first to last receiver (baseline) %.1f ms; ratio %.2f\n",
                frame, to_last / frame);
    std::printf("  deliveries queued at the call: %zu\n", depth_before);
    std::printf("  fan-out: %llu superseded deliveries skipped at the switch\n",
                static_cast<unsigned long long>(stats.fanout.superseded));
    std::printf("  fan-out: %llu packets sent, %llu queue drops, %llu send drops\n",
                static_cast<unsigned long long>(stats.fanout.packets_sent),
                static_cast<unsigned long long>(stats.fanout.queue_drops),
                static_cast<unsigned long long>(stats.fanout.send_drops));
}

} // namespace

int main(int argc, char** argv) {
    auto o = parse(argc, argv);
    common::init_logging("warn");
    resolver_bench(o);
    start_accuracy_bench(o);
    emergency_bench(o.receivers, server::KeyMode::group);
    emergency_bench(o.receivers / 2, server::KeyMode::per_receiver);
    emergency_bench(o.receivers, server::KeyMode::per_receiver);
    return 0;
}
