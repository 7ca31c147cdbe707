// Speaking live, measured with the real parts.
//
// 1. Mouth to speaker, on loopback, in one process: a speaker's ticks (every 500 ms) ->
//    Opus -> RTP -> DTLS-SRTP over WebRTC (webrtcbin, as loactl live sends) -> the server's
//    live session (webrtcbin's jitter buffer, Opus decoder) -> its feed -> the program source
//    (Opus encoder) -> router -> fan-out -> SRTP -> a receiver's jitter buffer, decoder and a
//    clock-synchronised sink. Beside it, in the same run, the same path from a source on the
//    server itself (what loa_latency_bench measures): the difference is what the WebRTC hop
//    costs.
// 2. CPU per live speaker on the server: a real loa-server, idle, then with K `loactl live`
//    speakers (separate processes), then with K scheduled file programs instead; the server's
//    CPU in each window, per speaker and per ordinary program source.
//
// usage: loa_live_bench [--jitter-ms 40,80] [--live-jitter-ms 60] [--ticks 12] [--speakers 4]
//                       [--window-s 10]
#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "bench_support.hpp"
#include "loa/clients/api_client.hpp"
#include "loa/clients/live_sender.hpp"
#include "loa/common/logging.hpp"
#include "loa/pipeline/source.hpp"
#include "loa/schedules/recurrence.hpp"
#include "loa/server/live/live_session.hpp"
#include "playout_path.hpp"
#include "process.hpp"
#include "wav.hpp"

using namespace loa;
using loa::test::Process;
using loa::test::TempDir;

namespace {

constexpr std::int64_t kTickInterval = 500'000'000; // ns
constexpr const char* kPassword = "bench-admin-password";

/// Ticks from a WebRTC speaker, through a live session, to the receiver's output.
bench::Figures live_speaker(int jitter_ms, int live_jitter_ms, int ticks, const TempDir& dir) {
    bench::PlayoutPath path(jitter_ms);
    server::LiveSession session({{{"127.0.0.1"}}, live_jitter_ms, dir.file("recording.ogg")});
    clients::LiveSender sender(
        {"ticks:" + std::to_string(kTickInterval / 1000000), {"127.0.0.1"}, 32});
    auto offer = sender.offer();
    auto answer = offer ? session.answer(*offer) : common::Result<std::string>(offer.error());
    if (!answer || !sender.accept(*answer)) {
        std::fprintf(stderr, "the WebRTC connection failed: %s\n",
                     answer ? "the answer was refused" : answer.error().message.c_str());
        return {};
    }
    pipeline::SourceSpec spec;
    spec.id = "voice";
    spec.kind = pipeline::SourceKind::feed;
    spec.feed = session.feed();
    pipeline::Source source(
        spec, {}, [&](const pipeline::OpusFrame& f) { path.router().post_frame(0, f); },
        [](pipeline::SourceState, const std::string&) {});
    source.start();
    auto onsets =
        path.onsets(static_cast<std::size_t>(ticks + 2),
                    std::chrono::steady_clock::now() + std::chrono::seconds(5 + ticks / 2 + 5));
    source.stop();
    auto figures = bench::latencies(onsets, sender.base_time_ns(), kTickInterval);
    sender.stop();
    session.finish();
    return figures;
}

/// A real loa-server for a province of `communes` communes, with its console's API on a port.
struct Server {
    TempDir dir{"live-bench"};
    int http_port = loa::test::free_tcp_port();
    std::unique_ptr<Process> process;
    int communes;

    explicit Server(int count) : communes(count) {
        std::ofstream(dir.file("admin-password")) << kPassword;
        boost::json::array list;
        for (int i = 1; i <= communes; ++i)
            list.push_back(boost::json::object{
                {"code", code(i)}, {"name", "Xã " + std::to_string(i)}, {"quiet_hours", "none"}});
        boost::json::object config{
            {"state_dir", dir.file("state")},
            {"log_level", "warn"},
            {"http", boost::json::object{{"port", http_port}}},
            {"media",
             boost::json::object{{"bind", "127.0.0.1"}, {"port", loa::test::free_udp_port()}}},
            {"control", boost::json::object{{"admin_password_file", dir.file("admin-password")}}},
            {"programs", boost::json::object{{"import_dir", dir.path()}}},
            {"live", boost::json::object{{"addresses", boost::json::array{"127.0.0.1"}}}},
            {"province", boost::json::object{{"code", "70"},
                                             {"name", "Tỉnh"},
                                             {"quiet_hours", "none"},
                                             {"approval_required", false},
                                             {"communes", std::move(list)}}}};
        std::ofstream(dir.file("server.json")) << boost::json::serialize(config);
        process = std::make_unique<Process>(
            std::vector<std::string>{LOA_SERVER_BIN, "--config", dir.file("server.json")},
            dir.file("server.log"));
        auto endpoint = clients::parse_api_url(url());
        if (!loa::test::wait_until(
                [&] { return static_cast<bool>(clients::ApiConnection::connect(*endpoint, {})); },
                std::chrono::seconds(30)))
            throw std::runtime_error("loa-server did not come up; see " + dir.file("server.log"));
    }
    ~Server() {
        process->signal(SIGTERM);
        process->wait(std::chrono::seconds(20));
    }
    static std::string code(int i) {
        char text[16];
        std::snprintf(text, sizeof text, "70-%03d", i);
        return text;
    }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(http_port); }
    std::unique_ptr<clients::ApiConnection> admin() const {
        auto c =
            std::move(clients::ApiConnection::connect(*clients::parse_api_url(url()), {})).value();
        c->call("auth.login", {{"name", "admin"}, {"password", kPassword}});
        return c;
    }
    /// The server's CPU over `seconds`, in percent of one core (threads that end meanwhile
    /// included: sessions and sources come and go).
    double cpu_percent(double seconds) const {
        double before = bench::process_cpu_total_seconds(process->pid());
        auto start = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        double wall = bench::seconds_since(start);
        return (bench::process_cpu_total_seconds(process->pid()) - before) * 100 / wall;
    }
};

struct CpuFigures {
    double idle = 0, speakers = 0, programs = 0; ///< % of one core
};

CpuFigures cpu_per_speaker(int speakers, double window_s) {
    Server server(speakers);
    auto admin = server.admin();
    CpuFigures f;
    f.idle = server.cpu_percent(window_s);

    // K speakers, each on a commune of its own, from loactl processes.
    std::vector<std::unique_ptr<Process>> senders;
    for (int i = 1; i <= speakers; ++i) {
        auto config = server.dir.file("loactl-" + std::to_string(i));
        std::vector<std::string> env{"/usr/bin/env",
                                     "LOA_CONFIG_DIR=" + config,
                                     std::string("LOA_PASSWORD=") + kPassword,
                                     LOACTL_BIN,
                                     "--server",
                                     server.url()};
        auto login = env;
        login.insert(login.end(), {"login", "admin"});
        Process(login, server.dir.file("login.log")).wait(std::chrono::seconds(20));
        auto live = env;
        live.insert(live.end(), {"live", "--unit", Server::code(i), "--from", "tone:1000", "--for",
                                 std::to_string(static_cast<int>(window_s) + 30)});
        senders.push_back(std::make_unique<Process>(live, server.dir.file("live.log")));
    }
    bool all_on = loa::test::wait_until(
        [&] {
            auto list = admin->call("live.list").as_array();
            int sounding = 0;
            for (const auto& b : list)
                sounding += b.at("level_dbfs").to_number<double>() > -30 ? 1 : 0;
            return sounding == speakers;
        },
        std::chrono::seconds(30));
    if (!all_on)
        std::fprintf(stderr, "not every speaker came on; see %s\n",
                     server.dir.file("live.log").c_str());
    f.speakers = server.cpu_percent(window_s);
    for (auto& s : senders)
        s->signal(SIGINT);
    for (auto& s : senders)
        s->wait(std::chrono::seconds(20));
    loa::test::wait_until([&] { return admin->call("live.list").as_array().empty(); },
                          std::chrono::seconds(20));

    // The same channels with an ordinary program each: a file decoded and encoded.
    test::write_tone_wav(server.dir.file("tone.wav"), 1000, window_s + 30);
    auto start = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto program = admin->call("programs.create", {{"unit", "70"},
                                                   {"kind", "file"},
                                                   {"title", "Nền"},
                                                   {"path", server.dir.file("tone.wav")}});
    auto local =
        *schedules::utc_to_local(start - std::chrono::seconds(1), schedules::kDefaultTimeZone);
    for (int i = 1; i <= speakers; ++i) {
        boost::json::array units;
        units.emplace_back(Server::code(i));
        boost::json::object entry;
        entry["program"] = program.at("id");
        entry["priority"] = "normal";
        entry["units"] = std::move(units);
        entry["start"] = local;
        entry["duration_s"] = 600;
        admin->call("entries.create", std::move(entry));
    }
    loa::test::wait_until(
        [&] {
            return admin->call("status").at("on_air").as_object().size() >=
                   static_cast<std::size_t>(speakers);
        },
        std::chrono::seconds(20));
    f.programs = server.cpu_percent(window_s);
    return f;
}

std::vector<int> numbers(const std::string& list) {
    std::vector<int> out;
    std::stringstream s(list);
    for (std::string item; std::getline(s, item, ',');)
        out.push_back(std::stoi(item));
    return out;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<int> jitters{40, 80};
    int live_jitter = 60, ticks = 12, speakers = 4;
    double window = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--jitter-ms")
            jitters = numbers(argv[i + 1]);
        else if (flag == "--live-jitter-ms")
            live_jitter = std::stoi(argv[i + 1]);
        else if (flag == "--ticks")
            ticks = std::stoi(argv[i + 1]);
        else if (flag == "--speakers")
            speakers = std::stoi(argv[i + 1]);
        else if (flag == "--window-s")
            window = std::stod(argv[i + 1]);
    }
    common::init_logging("warn");
    TempDir dir("live-latency");
    std::printf("Mouth to speaker on loopback: ticks every 500 ms; the speaker's side of the "
                "server buffers %d ms (webrtcbin)\n",
                live_jitter);
    std::printf("%-10s %-14s %6s %10s %8s %8s %12s\n", "rx jitter", "path", "ticks", "median ms",
                "min ms", "max ms", "vs local");
    for (int j : jitters) {
        auto base = bench::local_ticks(j, ticks, kTickInterval);
        auto live = live_speaker(j, live_jitter, ticks, dir);
        std::printf("%-10d %-14s %6zu %10.1f %8.1f %8.1f %12s\n", j, "local source", base.ticks,
                    base.median_ms, base.min_ms, base.max_ms, "-");
        std::printf("%-10d %-14s %6zu %10.1f %8.1f %8.1f %+11.1f\n", j, "webrtc speaker",
                    live.ticks, live.median_ms, live.min_ms, live.max_ms,
                    live.median_ms - base.median_ms);
        std::printf("%-10s target <= 400 ms: %s\n", "",
                    live.ticks > 0 && live.max_ms <= 400 ? "met (worst case)" : "MISSED");
    }
    auto cpu = cpu_per_speaker(speakers, window);
    double per_speaker = (cpu.speakers - cpu.idle) / speakers;
    double per_program = (cpu.programs - cpu.idle) / speakers;
    std::printf("\nServer CPU (%% of one core) over %.0f s: idle %.1f, %d live speakers %.1f, "
                "%d file programs %.1f\n",
                window, cpu.idle, speakers, cpu.speakers, speakers, cpu.programs);
    std::printf("per live speaker %.2f %%, per file program %.2f %%, ratio %.2f\n", per_speaker,
                per_program, per_program > 0 ? per_speaker / per_program : 0.0);
    return 0;
}
