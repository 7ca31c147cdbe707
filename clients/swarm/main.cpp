// loa-swarm: thousands of simulated receivers on one thread, for load and recovery tests.
// See docs/operations.md ("Load testing with loa-swarm").
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <pthread.h>
#include <thread>

#include "loa/clients/api_client.hpp"
#include "loa/clients/swarm.hpp"
#include "loa/common/logging.hpp"
#include "loa/common/open_files.hpp"
#include "loa/common/persistent_counter.hpp"

namespace {

namespace json = boost::json;
using loa::clients::SwarmCounts;

constexpr const char* kUsage = R"(usage:
  loa-swarm provision --server URL --unit CODE --count N --out FILE
                      [--prefix swarm-] [--user admin] [--password-file FILE] [--ca FILE]
      logs in (password from --password-file or LOA_PASSWORD), provisions N receivers of the
      unit named PREFIX1..PREFIXN and writes their bundles to FILE (a JSON array, mode 0600)
  loa-swarm run --bundles FILE [--starts-per-second R] [--stats FILE] [--duration S]
                [--played-level yes|no]
      holds one control connection per bundle until SIGTERM/SIGINT or S seconds; every 500 ms
      the counters go to the stats FILE as JSON, and every 10 s to stdout. Status reports
      carry the played level (of silence) as loa-receiver's do, unless --played-level no
)";

/// "--name value" pairs after the subcommand.
std::map<std::string, std::string> options_of(int argc, char** argv) {
    std::map<std::string, std::string> out;
    for (int i = 2; i < argc; i += 2) {
        std::string name = argv[i];
        if (name.rfind("--", 0) != 0 || i + 1 >= argc)
            throw std::invalid_argument("unexpected argument \"" + name + "\"; see --help");
        out[name.substr(2)] = argv[i + 1];
    }
    return out;
}

std::string required(const std::map<std::string, std::string>& o, const std::string& name) {
    auto it = o.find(name);
    if (it == o.end() || it->second.empty())
        throw std::invalid_argument("--" + name + " is required; see --help");
    return it->second;
}

std::string optional(const std::map<std::string, std::string>& o, const std::string& name,
                     const std::string& fallback) {
    auto it = o.find(name);
    return it == o.end() ? fallback : it->second;
}

/// A number option; the error names the option.
double number(const std::map<std::string, std::string>& o, const std::string& name,
              const std::string& fallback) {
    auto text = optional(o, name, fallback);
    try {
        std::size_t used = 0;
        double value = std::stod(text, &used);
        if (used == text.size() && value >= 0)
            return value;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument("--" + name + " must be a number >= 0, not \"" + text + "\"");
}

std::string password_of(const std::map<std::string, std::string>& o) {
    if (auto it = o.find("password-file"); it != o.end()) {
        auto text = loa::common::read_file(it->second);
        if (!text)
            throw std::invalid_argument("cannot read the password file " + it->second);
        while (!text->empty() && (text->back() == '\n' || text->back() == '\r'))
            text->pop_back();
        return *text;
    }
    if (const char* env = std::getenv("LOA_PASSWORD"))
        return env;
    throw std::invalid_argument("give the password with --password-file FILE or LOA_PASSWORD");
}

int provision(const std::map<std::string, std::string>& o) {
    auto endpoint = loa::clients::parse_api_url(required(o, "server"));
    if (!endpoint)
        throw std::invalid_argument(endpoint.error().message);
    auto count = static_cast<int>(number(o, "count", required(o, "count")));
    if (count < 1 || count > 100000)
        throw std::invalid_argument("--count must be 1..100000");
    auto unit = required(o, "unit");
    auto prefix = optional(o, "prefix", "swarm-");
    loa::clients::ConnectOptions options;
    options.ca_file = optional(o, "ca", "");
    auto connection = loa::clients::ApiConnection::connect(*endpoint, options);
    if (!connection)
        throw std::runtime_error(connection.error().message);
    auto& api = **connection;
    api.call("auth.login", {{"name", optional(o, "user", "admin")}, {"password", password_of(o)}});
    json::array bundles;
    for (int i = 1; i <= count; ++i) {
        auto id = prefix + std::to_string(i);
        auto made = api.call("receivers.provision",
                             {{"id", id}, {"unit", unit}, {"name", "simulated " + id}});
        bundles.push_back(made.as_object().at("bundle"));
    }
    auto out = required(o, "out");
    if (auto written = loa::common::write_file_durably(out, json::serialize(bundles)); !written)
        throw std::runtime_error(written.error().message);
    api.close();
    std::cout << "provisioned " << count << " receivers of " << unit << " into " << out << "\n";
    return 0;
}

std::string to_json(const SwarmCounts& c) {
    return json::serialize(json::object{{"receivers", c.receivers},
                                        {"connected", c.connected},
                                        {"hellos", c.hellos},
                                        {"refused", c.refused},
                                        {"lost", c.lost},
                                        {"statuses", c.statuses},
                                        {"requests", c.requests},
                                        {"unprovisioned", c.unprovisioned}});
}

int run(const std::map<std::string, std::string>& o) {
    auto bundles = loa::clients::read_bundles(required(o, "bundles"));
    if (!bundles)
        throw std::invalid_argument(bundles.error().message);
    auto limit = loa::common::raise_open_files_limit();
    if (limit < bundles->size() + 64)
        loa::common::logger("swarm")->warn(
            "only {} open files are allowed; {} receivers need more (raise ulimit -n)", limit,
            bundles->size());
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGINT, SIGTERM})
        sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto played_level = optional(o, "played-level", "yes");
    if (played_level != "yes" && played_level != "no")
        throw std::invalid_argument("--played-level is yes or no");
    loa::clients::Swarm swarm(std::move(*bundles), number(o, "starts-per-second", "500"),
                              played_level == "yes");
    std::atomic<bool> stop{false};
    loa::common::Result<void> outcome;
    std::thread network([&] { outcome = swarm.run(stop); });
    auto stats_file = optional(o, "stats", "");
    auto duration =
        std::chrono::milliseconds(static_cast<std::int64_t>(number(o, "duration", "0") * 1000));
    auto start = std::chrono::steady_clock::now();
    auto next_print = start;
    for (;;) {
        timespec tick{0, 500'000'000};
        int sig = sigtimedwait(&signals, nullptr, &tick);
        auto counts = swarm.counts();
        if (!stats_file.empty())
            (void)loa::common::write_file_durably(stats_file, to_json(counts));
        auto now = std::chrono::steady_clock::now();
        if (now >= next_print) {
            std::cout << to_json(counts) << std::endl;
            next_print = now + std::chrono::seconds(10);
        }
        if (sig == SIGINT || sig == SIGTERM || (duration.count() > 0 && now - start >= duration))
            break;
    }
    stop = true;
    network.join();
    if (!outcome)
        throw std::runtime_error(outcome.error().message);
    std::cout << to_json(swarm.counts()) << std::endl;
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::string command = argc > 1 ? argv[1] : "";
    if (command.empty() || command == "--help" || command == "-h") {
        std::cout << kUsage;
        return command.empty() ? 2 : 0;
    }
    try {
        auto options = options_of(argc, argv);
        if (command == "provision")
            return provision(options);
        if (command == "run")
            return run(options);
        std::cerr << "loa-swarm: unknown command \"" << command << "\"; see --help\n";
        return 2;
    } catch (const std::invalid_argument& e) {
        std::cerr << "loa-swarm: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "loa-swarm: " << e.what() << "\n";
        return 1;
    }
}
