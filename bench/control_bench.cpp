// The control plane's costs, each against a baseline measured in the same run: the same
// transport and JSON-RPC framing with a fixed answer behind them (bare_api_server.cpp).
//
// 1. JSON-RPC requests per second on one core: the server runs pinned to CPU 0, clients on the
//    other cores; requests per second of the server's CPU time (all its threads).
// 2. Control-plane CPU and memory per connected receiver: loa-swarm holds N control channels
//    (hello, then a status report every 10 s, as loa-receiver does); the server's resident
//    memory before and after, its CPU per hello, and its CPU per receiver in the steady state.
//
// 3. Proof of play's cost per receiver at the largest N: loa-server with it off
//    (supervision.proof_of_play false) and loa-swarm's statuses without the played level,
//    against the default (reports carry it, the supervisor judges every cluster each second).
//
// usage: loa_control_bench [--receivers 1000,10000] [--seconds 5] [--window 20] [--clients 8]
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bare_api_server.hpp"
#include "bench_support.hpp"
#include "loa/clients/api_client.hpp"
#include "loa/clients/swarm.hpp"
#include "loa/common/open_files.hpp"
#include "process.hpp"
#include "swarm_stats.hpp"

namespace {

namespace json = boost::json;
using loa::test::Process;
using loa::test::TempDir;
using Clock = std::chrono::steady_clock;

constexpr const char* kPassword = "bench-admin-password";

/// Resident memory of a process, in bytes.
double resident_bytes(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stod(line.substr(6)) * 1024;
    return 0;
}

/// Runs the caller on these CPUs (no-op on a one-core machine).
void pin(std::initializer_list<int> cpus) {
    if (std::thread::hardware_concurrency() < 2)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus)
        CPU_SET(c, &set);
    ::sched_setaffinity(0, sizeof set, &set);
}

/// A server under test: a process pinned to CPU 0 with its API on `port`.
struct Server {
    std::string name;
    std::vector<std::string> argv;
    std::uint16_t port = 0;
    bool login = false; ///< Loa's server wants auth.login before reads
    std::unique_ptr<Process> process;

    std::string url() const { return "ws://127.0.0.1:" + std::to_string(port); }
    void start(const std::string& log) {
        std::vector<std::string> pinned = argv;
        if (std::thread::hardware_concurrency() >= 2)
            pinned.insert(pinned.begin(), {"/usr/bin/taskset", "-c", "0"});
        process = std::make_unique<Process>(pinned, log);
        auto endpoint = loa::clients::parse_api_url(url());
        bool up = loa::test::wait_until(
            [&] { return static_cast<bool>(loa::clients::ApiConnection::connect(*endpoint, {})); },
            std::chrono::seconds(30));
        if (!up)
            throw std::runtime_error(name + " did not come up; see " + log);
    }
    void stop() {
        process->signal(SIGTERM);
        process->wait(std::chrono::seconds(20));
        process.reset();
    }
    std::unique_ptr<loa::clients::ApiConnection> connect() const {
        auto c = loa::clients::ApiConnection::connect(*loa::clients::parse_api_url(url()), {});
        if (!c)
            throw std::runtime_error(c.error().message);
        auto out = std::move(c).value();
        if (login)
            out->call("auth.login", {{"name", "admin"}, {"password", kPassword}});
        return out;
    }
};

struct Throughput {
    double per_second = 0;     ///< requests per wall-clock second
    double per_cpu_second = 0; ///< requests per second of the server's CPU
};

/// `clients` connections call `method` back to back for `seconds`.
Throughput requests(Server& server, const std::string& method, int clients, double seconds) {
    std::vector<std::unique_ptr<loa::clients::ApiConnection>> connections;
    for (int i = 0; i < clients; ++i)
        connections.push_back(server.connect());
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> done{0};
    std::vector<std::thread> threads;
    double cpu_start = loa::bench::process_cpu_seconds(server.process->pid());
    auto start = Clock::now();
    for (auto& c : connections)
        threads.emplace_back([&, connection = c.get()] {
            while (!stop.load()) {
                connection->call(method);
                done.fetch_add(1);
            }
        });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : threads)
        t.join();
    double wall = std::chrono::duration<double>(Clock::now() - start).count();
    double cpu = loa::bench::process_cpu_seconds(server.process->pid()) - cpu_start;
    auto n = static_cast<double>(done.load());
    return {n / wall, cpu > 0 ? n / cpu : 0};
}

/// What N connected receivers cost a server.
struct ReceiverCost {
    double bytes_each = 0;      ///< resident memory per connected receiver
    double hello_us = 0;        ///< server CPU per connection and hello
    double steady_us_per_s = 0; ///< server CPU per receiver per second, steady state
    double seconds_to_connect = 0;
};

ReceiverCost receivers(Server& server, const TempDir& dir, const std::string& bundles, int n,
                       double window, const std::vector<std::string>& swarm_flags = {}) {
    server.start(dir.file(server.name + "-" + std::to_string(n) + ".log"));
    pid_t pid = server.process->pid();
    std::this_thread::sleep_for(std::chrono::seconds(1)); // start-up work done
    double rss_before = resident_bytes(pid);
    double cpu_before = loa::bench::process_cpu_seconds(pid);
    std::string stats = dir.file("swarm-" + server.name + "-" + std::to_string(n) + ".json");
    std::vector<std::string> argv = {LOA_SWARM_BIN, "run", "--bundles",           bundles,
                                     "--stats",     stats, "--starts-per-second", "2000"};
    argv.insert(argv.end(), swarm_flags.begin(), swarm_flags.end());
    if (std::thread::hardware_concurrency() >= 2)
        argv.insert(argv.begin(), {"/usr/bin/taskset", "-c", "1"});
    Process swarm(argv, dir.file("swarm-" + server.name + ".log"));
    auto start = Clock::now();
    bool connected =
        loa::test::wait_until([&] { return loa::test::swarm_counter(stats, "statuses") >= n; },
                              std::chrono::seconds(180));
    if (!connected || loa::test::swarm_counter(stats, "connected") != n)
        throw std::runtime_error(server.name + ": " + std::to_string(n) +
                                 " receivers did not connect; see " + stats);
    ReceiverCost cost;
    cost.seconds_to_connect = std::chrono::duration<double>(Clock::now() - start).count();
    double cpu_connected = loa::bench::process_cpu_seconds(pid);
    cost.hello_us = (cpu_connected - cpu_before) * 1e6 / n;
    std::this_thread::sleep_for(std::chrono::duration<double>(window));
    cost.steady_us_per_s =
        (loa::bench::process_cpu_seconds(pid) - cpu_connected) * 1e6 / window / n;
    cost.bytes_each = (resident_bytes(pid) - rss_before) / n;
    swarm.signal(SIGTERM);
    swarm.wait(std::chrono::seconds(20));
    server.stop();
    return cost;
}

std::vector<int> numbers(const std::string& list) {
    std::vector<int> out;
    std::stringstream in(list);
    for (std::string item; std::getline(in, item, ',');)
        out.push_back(std::stoi(item));
    return out;
}

/// The first `n` bundles of `all`, pointed at `server`, into their own file.
std::string first_bundles(const TempDir& dir, const std::string& all, int n, const Server& server) {
    std::ifstream in(all);
    std::stringstream text;
    text << in.rdbuf();
    auto bundles = json::parse(text.str()).as_array();
    bundles.resize(static_cast<std::size_t>(n));
    for (auto& b : bundles)
        b.as_object()["server"] = server.url();
    std::string path = dir.file("bundles-" + server.name + "-" + std::to_string(n) + ".json");
    std::ofstream(path) << json::serialize(bundles);
    return path;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--bare-server")
        return loa::bench::run_bare_api_server(static_cast<std::uint16_t>(std::stoi(argv[2])));
    std::vector<int> counts{1000, 10000};
    double seconds = 5;
    double window = 20;
    int clients = 8;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        std::string value = argv[i + 1];
        if (flag == "--receivers")
            counts = numbers(value);
        else if (flag == "--seconds")
            seconds = std::stod(value);
        else if (flag == "--window")
            window = std::stod(value);
        else if (flag == "--clients")
            clients = std::stoi(value);
        else {
            std::fprintf(stderr, "unknown option %s; see the comment at the top\n", flag.c_str());
            return 2;
        }
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    loa::common::raise_open_files_limit();
    TempDir dir("control-bench");
    auto http_port = static_cast<std::uint16_t>(loa::test::free_tcp_port());
    std::ofstream(dir.file("password")) << kPassword << "\n";
    auto media_port = loa::test::free_udp_port();
    // One state folder for both: the receivers provisioned once are known to each.
    auto write_config = [&](const std::string& name, const std::string& supervision) {
        std::ofstream(dir.file(name)) << R"({"state_dir": ")" << dir.file("state") << R"(",
  "media": {"bind": "127.0.0.1", "port": )"
                                      << media_port << R"(},
  "http": {"port": )" << http_port << R"(, "max_connections_per_address": 20000},
  "control": {"admin_password_file": ")"
                                      << dir.file("password") << R"("},
  "supervision": )" << supervision << R"(,
  "log_level": "warn",
  "province": {"code": "70", "name": "Tỉnh", "quiet_hours": "none", "communes": [
    {"code": "70-001", "name": "Xã A", "quiet_hours": "none"}]}, "receivers": []})";
    };
    write_config("server.json", "{}");
    write_config("server-no-proof.json", R"({"proof_of_play": false})");
    auto bare_port = static_cast<std::uint16_t>(loa::test::free_tcp_port());
    Server loa{"loa-server",
               {LOA_SERVER_BIN, "--config", dir.file("server.json")},
               http_port,
               true,
               nullptr};
    Server bare{"baseline",
                {std::filesystem::read_symlink("/proc/self/exe").string(), "--bare-server",
                 std::to_string(bare_port)},
                bare_port,
                false,
                nullptr};
    pin({1}); // the clients and the swarm stay off the servers' core

    std::printf("JSON-RPC over WebSocket, server on one core, %d clients, %.0f s each\n", clients,
                seconds);
    std::printf("%-26s %12s %16s %9s\n", "server / method", "requests/s", "per CPU-second",
                "vs base");
    bare.start(dir.file("bare.log"));
    auto base = requests(bare, "auth.whoami", clients, seconds);
    std::printf("%-26s %12.0f %16.0f %9.2f\n", "baseline / any", base.per_second,
                base.per_cpu_second, 1.0);
    bare.stop();
    loa.start(dir.file("loa.log"));
    for (const char* method : {"auth.whoami", "units.list", "entries.list"}) {
        auto t = requests(loa, method, clients, seconds);
        std::printf("%-26s %12.0f %16.0f %9.2f\n", (std::string("loa-server / ") + method).c_str(),
                    t.per_second, t.per_cpu_second, t.per_cpu_second / base.per_cpu_second);
    }

    int most = *std::max_element(counts.begin(), counts.end());
    Process provision({LOA_SWARM_BIN, "provision", "--server", loa.url(), "--unit", "70-001",
                       "--count", std::to_string(most), "--out", dir.file("bundles.json"),
                       "--password-file", dir.file("password")},
                      dir.file("provision.log"));
    if (provision.wait(std::chrono::seconds(600)) != 0) {
        std::fprintf(stderr, "provisioning failed; see %s\n", dir.file("provision.log").c_str());
        return 1;
    }
    loa.stop();

    std::printf("\nConnected receivers (loa-swarm), status every 10 s, steady state over %.0f s\n",
                window);
    std::printf("%-9s %-11s %12s %10s %14s %12s %10s %10s\n", "receivers", "server", "KiB each",
                "vs base", "hello CPU us", "steady us/s", "vs base", "connect s");
    for (int n : counts) {
        auto all = dir.file("bundles.json");
        auto b = receivers(bare, dir, first_bundles(dir, all, n, bare), n, window);
        auto l = receivers(loa, dir, first_bundles(dir, all, n, loa), n, window);
        std::printf("%-9d %-11s %12.1f %10.2f %14.1f %12.3f %10.2f %10.1f\n", n, "baseline",
                    b.bytes_each / 1024, 1.0, b.hello_us, b.steady_us_per_s, 1.0,
                    b.seconds_to_connect);
        std::printf("%-9d %-11s %12.1f %10.2f %14.1f %12.3f %10.2f %10.1f\n", n, "loa-server",
                    l.bytes_each / 1024, l.bytes_each / b.bytes_each, l.hello_us, l.steady_us_per_s,
                    l.steady_us_per_s / b.steady_us_per_s, l.seconds_to_connect);
        std::printf("%-9s %-11s one core holds %.0f receivers' control channels at this rate\n", "",
                    "", 1e6 / l.steady_us_per_s);
    }

    Server without{"loa-no-proof",
                   {LOA_SERVER_BIN, "--config", dir.file("server-no-proof.json")},
                   http_port,
                   true,
                   nullptr};
    std::printf("\nProof of play at %d receivers: off (no played level reported, not judged) "
                "against on (the default)\n",
                most);
    std::printf("%-14s %12s %10s %12s %10s\n", "server", "KiB each", "vs off", "steady us/s",
                "vs off");
    auto all = dir.file("bundles.json");
    auto off = receivers(without, dir, first_bundles(dir, all, most, without), most, window,
                         {"--played-level", "no"});
    auto on = receivers(loa, dir, first_bundles(dir, all, most, loa), most, window);
    std::printf("%-14s %12.1f %10.2f %12.3f %10.2f\n", "off", off.bytes_each / 1024, 1.0,
                off.steady_us_per_s, 1.0);
    std::printf("%-14s %12.1f %10.2f %12.3f %10.2f\n", "on", on.bytes_each / 1024,
                on.bytes_each / off.bytes_each, on.steady_us_per_s,
                on.steady_us_per_s / off.steady_us_per_s);
    std::printf("proof of play costs %.3f us of server CPU per receiver per second and %.2f KiB "
                "per receiver\n",
                on.steady_us_per_s - off.steady_us_per_s, (on.bytes_each - off.bytes_each) / 1024);
    return 0;
}
