// loa-server: the province's source information system. See README.md and docs/operations.md.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include "loa/common/config.hpp"
#include "loa/common/jsonrpc.hpp"
#include "loa/common/logging.hpp"
#include "loa/common/open_files.hpp"
#include "loa/common/persistent_counter.hpp"
#include "loa/http/server.hpp"
#include "loa/server/api/auth_store.hpp"
#include "loa/server/api/control_socket.hpp"
#include "loa/server/api/gateway.hpp"
#include "loa/server/api/rest_routes.hpp"
#include "loa/server/api/rpc.hpp"
#include "loa/server/console/console.hpp"
#include "loa/server/events/notifier.hpp"
#include "loa/server/media/media_server.hpp"
#include "loa/server/media/sdp.hpp"
#include "loa/server/monitoring/metrics.hpp"
#include "loa/server/monitoring/online_history.hpp"
#include "loa/server/monitoring/status_watch.hpp"
#include "loa/server/receivers/hub.hpp"
#include "loa/server/receivers/registry.hpp"
#include "loa/server/schedule/program_store.hpp"
#include "loa/server/schedule/runner.hpp"
#include "loa/server/schedule/schedule_api.hpp"

namespace {

constexpr const char* kUsage =
    R"(usage: loa-server [--config FILE] [--set KEY=VALUE]... [--log-level LEVEL]
       loa-server --config FILE --sdp RECEIVER_ID
       loa-server --new-key [aes_cm_128_hmac_sha1_80|aead_aes_128_gcm]
       loa-server --config FILE --call METHOD [PARAMS_JSON]

  --config FILE       JSON configuration (see docs/operations.md)
  --set KEY=VALUE     override one setting, e.g. --set media.port=5006
  --sdp RECEIVER_ID   print an SDP with a=crypto for a standard SRTP player, then exit
  --new-key [PROFILE] print a fresh random SRTP master key (base64), then exit
  --call METHOD [PARAMS]  call a method of the running server on its control socket
                      (docs/api.md), print the result as JSON, then exit; e.g.
                      --call emergency.start '{"units": ["70"], "text": "..."}'
Signals: SIGHUP reloads sources and channel bindings, SIGUSR1 logs figures, SIGTERM stops.
)";

struct Options {
    std::string config_file;
    std::vector<std::string> overrides;
    std::string sdp_receiver;
    std::string new_key_profile;
    bool new_key = false;
    std::string call_method;
    std::string call_params = "{}";
};

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&](const char* flag) -> std::string {
            if (i + 1 >= argc)
                throw loa::common::ConfigError(std::string(flag) + " needs a value");
            return argv[++i];
        };
        if (arg == "--config")
            o.config_file = value("--config");
        else if (arg == "--set")
            o.overrides.push_back(value("--set"));
        else if (arg == "--log-level")
            o.overrides.push_back("log_level=" + value("--log-level"));
        else if (arg == "--sdp")
            o.sdp_receiver = value("--sdp");
        else if (arg == "--call") {
            o.call_method = value("--call");
            if (i + 1 < argc && argv[i + 1][0] != '-')
                o.call_params = argv[++i];
        } else if (arg == "--new-key") {
            o.new_key = true;
            if (i + 1 < argc && argv[i + 1][0] != '-')
                o.new_key_profile = argv[++i];
        } else if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            std::exit(0);
        } else
            throw loa::common::ConfigError("unknown option \"" + arg + "\"; see --help");
    }
    return o;
}

loa::server::Settings read_settings(const Options& o) {
    auto config = o.config_file.empty() ? loa::common::Config::parse("{}", "(defaults)")
                                        : loa::common::Config::load_file(o.config_file);
    for (const auto& assignment : o.overrides)
        config.apply_override(assignment);
    try {
        return loa::server::load_settings(config);
    } catch (const loa::common::ConfigError& e) {
        throw loa::common::ConfigError((o.config_file.empty() ? "flags" : o.config_file) + ": " +
                                       e.what());
    }
}

/// Receivers worth an operator's look: silent for 30 s, or losing more than 5 %.
void log_troubled_receivers(const loa::server::MediaServer& server) {
    constexpr std::size_t kMaxLines = 20;
    auto log = loa::common::logger("server");
    std::size_t shown = 0, troubled = 0;
    for (const auto& r : server.receiver_status()) {
        bool silent = r.seconds_since_report < 0 || r.seconds_since_report > 30;
        if (!silent && r.loss_percent <= 5)
            continue;
        if (++troubled <= kMaxLines) {
            ++shown;
            log->info("receiver {}: at {}, {} reports, last {:.0f} s ago, loss {:.1f} %, "
                      "jitter {:.1f} ms",
                      r.id, r.address, r.reports, r.seconds_since_report, r.loss_percent,
                      r.jitter_ms);
        }
    }
    if (troubled > shown)
        log->info("... and {} more receivers silent or lossy", troubled - shown);
}

boost::json::array receivers_json(const loa::server::MediaServer& server) {
    boost::json::array out;
    for (const auto& r : server.receiver_status())
        out.push_back(boost::json::object{{"id", r.id},
                                          {"address", r.address},
                                          {"packets_sent", r.packets_sent},
                                          {"reports", r.reports},
                                          {"seconds_since_report", r.seconds_since_report},
                                          {"loss_percent", r.loss_percent},
                                          {"jitter_ms", r.jitter_ms}});
    return out;
}

void log_figures(const loa::server::MediaServer& server) {
    auto s = server.stats();
    loa::common::logger("server")->info(
        "sent {} packets, {} receivers latched, drops: send {} queue {} router {}; reports: "
        "{} accepted, {} rejected, {} unknown",
        s.fanout.packets_sent, s.receivers_latched, s.fanout.send_drops, s.fanout.queue_drops,
        s.router_drops, s.reports.accepted, s.reports.rejected, s.reports.unknown_receiver);
}

/// At first start, creates the admin account; its password comes from the environment
/// (LOA_ADMIN_PASSWORD), a file (control.admin_password_file) or is made up and printed once.
void announce_first_admin(loa::server::AuthStore& auth, const loa::server::Settings& settings) {
    std::string password;
    if (const char* env = std::getenv("LOA_ADMIN_PASSWORD"))
        password = env;
    else if (!settings.admin_password_file.empty()) {
        std::ifstream in(settings.admin_password_file);
        if (!std::getline(in, password))
            throw std::runtime_error("control.admin_password_file: cannot read \"" +
                                     settings.admin_password_file + "\"");
    }
    auto made = auth.ensure_admin(password);
    if (!made)
        throw std::runtime_error("cannot create the first admin: " + made.error().message);
    if (*made && password.empty())
        std::cerr << "loa-server: first start: created the user \"admin\" with the password\n\n"
                  << "    " << **made << "\n\n"
                  << "It is shown this once; change it with users.set_password.\n";
    else if (*made)
        loa::common::logger("server")->info("first start: created the user \"admin\"");
}

/// The token /metrics asks for (http.metrics_token_file), or "" when it is open.
std::string read_metrics_token(const loa::server::Settings& settings) {
    if (settings.metrics_token_file.empty())
        return "";
    auto text = loa::common::read_file(settings.metrics_token_file);
    if (!text)
        throw std::runtime_error("http.metrics_token_file: cannot read \"" +
                                 settings.metrics_token_file + "\"");
    auto token = text->substr(0, text->find_first_of("\r\n"));
    if (token.size() < 16)
        throw std::runtime_error("http.metrics_token_file: the token needs at least 16 characters");
    return token;
}

/// --call: one request on the running server's control socket.
int call(const loa::server::Settings& settings, const Options& options) {
    std::string path = loa::server::control_socket_file(settings);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        std::cerr << "loa-server: cannot reach the server at " << path << ": "
                  << std::strerror(errno) << " (is it running with this configuration?)\n";
        ::close(fd);
        return 1;
    }
    boost::system::error_code ec;
    auto params = boost::json::parse(options.call_params, ec);
    if (ec || !params.is_object()) {
        std::cerr << "loa-server: --call parameters must be a JSON object, e.g. '{\"id\": 3}'\n";
        ::close(fd);
        return 1;
    }
    std::string request =
        boost::json::serialize(loa::jsonrpc::request(1, options.call_method, params.as_object())) +
        "\n";
    std::string response;
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
        char chunk[65536];
        ssize_t n = 0;
        while (response.find('\n') == std::string::npos &&
               (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0)
            response.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fd);
    auto parsed = boost::json::parse(response, ec);
    if (ec || !parsed.is_object()) {
        std::cerr << "loa-server: no answer from the server\n";
        return 1;
    }
    if (auto fault = loa::jsonrpc::fault_of(parsed.as_object())) {
        std::cerr << "loa-server: " << fault->message << "\n";
        return 1;
    }
    std::cout << boost::json::serialize(parsed.as_object().at("result")) << "\n";
    return 0;
}

/// Records how many clusters of each unit are online (for stats.history).
/// Provisioned receivers per unit code: {online, all}.
std::map<std::string, std::pair<int, int>> clusters_by_unit(loa::server::ReceiverHub& hub) {
    std::map<std::string, std::pair<int, int>> units;
    for (const auto& r : hub.list(loa::server::Scope{})) {
        const auto& o = r.as_object();
        auto& counts = units[std::string(o.at("unit").as_string())];
        ++counts.second;
        if (o.at("online").as_bool())
            ++counts.first;
    }
    return units;
}

void sample_online(loa::server::OnlineHistory& history, loa::server::ReceiverHub& hub,
                   const loa::common::Clock& clock) {
    auto units = clusters_by_unit(hub);
    auto now = std::chrono::floor<std::chrono::milliseconds>(clock.system_now());
    if (auto done = history.record(now, units); !done)
        loa::common::logger("server")->warn("could not record clusters online: {}",
                                            done.error().message);
}

int run(const Options& options) {
    auto settings = read_settings(options);
    if (!options.call_method.empty())
        return call(settings, options);
    loa::common::init_logging(settings.log_level);
    if (!options.sdp_receiver.empty()) {
        auto sdp = loa::server::receiver_sdp(settings, options.sdp_receiver);
        if (!sdp) {
            std::cerr << "loa-server: " << sdp.error().message << "\n";
            return 1;
        }
        std::cout << *sdp;
        return 0;
    }
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1})
        sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr); // threads started below inherit the mask

    const auto& clock = loa::common::SystemClock::instance();
    loa::server::secure_state_dir(settings);
    loa::server::MediaServer server(settings, clock);
    server.start();
    loa::server::ProgramStore programs(loa::server::media_dir(settings), settings.live_inputs);
    loa::server::ScheduleRunner runner(settings, server, programs, clock);
    runner.start();
    loa::server::OnlineHistory history(loa::server::database_file(settings));
    loa::server::ServerView view{
        [&runner] { return runner.on_air(); }, [&server] { return receivers_json(server); },
        [&history](loa::schedules::Millis from, loa::schedules::Millis to) {
            auto samples = history.between(from, to);
            return samples ? *samples : std::vector<loa::server::OnlineSample>{};
        }};
    loa::server::ScheduleApi api(settings, programs, clock, view,
                                 [&runner] { runner.schedule_changed(); });
    loa::server::AuthStore auth(loa::server::database_file(settings), clock);
    announce_first_admin(auth, settings);
    loa::server::ReceiverRegistry registry(
        loa::server::database_file(settings), clock, settings.profile,
        loa::common::SealingKey::load(loa::server::seal_key_file(settings)));
    loa::server::Notifier notifier;
    loa::server::ReceiverHub hub(registry, server, api, notifier, clock,
                                 {settings.offline_grace, settings.status_interval_s,
                                  settings.media_advertise_host, std::chrono::seconds(5)});
    hub.start();
    loa::server::ApiGateway gateway(
        auth, api, hub, notifier,
        {settings.session_ttl, settings.public_url, settings.tls_certificate, settings.time_zone,
         settings.province ? settings.province->province.name : std::string()});
    loa::server::ControlSocket control(
        loa::server::control_socket_file(settings),
        [&](std::string_view text, const std::string& who) {
            loa::server::Caller caller;
            caller.local = true;
            caller.local_name = who;
            caller.from = "local";
            return loa::server::handle_jsonrpc(
                text, [&](const std::string& method, const loa::server::Params& params) {
                    return gateway.call(method, params, caller);
                });
        });
    control.start();
    loa::server::StatusWatch watch([&runner] { return runner.on_air(); }, api, hub, notifier);
    watch.start();
    auto monitoring = loa::server::monitoring_routes(
        [&] {
            auto m = loa::server::collect_metrics(settings, server, runner.on_air(),
                                                  gateway.requests(), gateway.errors());
            for (const auto& [unit, counts] : clusters_by_unit(hub)) {
                m.receivers_configured[unit] = counts.second;
                if (counts.first > 0)
                    m.receivers_online[unit] = counts.first;
            }
            return m;
        },
        read_metrics_token(settings));
    loa::http::HttpOptions http_options;
    http_options.logger = loa::common::logger("http");
    http_options.bind = settings.http_bind;
    http_options.port = settings.http_port;
    if (!settings.tls_certificate.empty())
        http_options.tls = loa::http::TlsFiles{settings.tls_certificate, settings.tls_key};
    http_options.upload_paths = {loa::server::kUploadPath};
    http_options.upload_dir = settings.state_dir + "/uploads";
    http_options.max_upload = static_cast<std::uint64_t>(settings.max_upload_mb) * 1024 * 1024;
    http_options.admit_upload = loa::server::upload_admission(gateway);
    http_options.max_connections = static_cast<std::size_t>(settings.max_connections);
    http_options.max_connections_per_address =
        static_cast<std::size_t>(settings.max_connections_per_address);
    http_options.login_timeout = settings.login_timeout;
    loa::http::HttpServer http(
        http_options,
        loa::server::console_routes(gateway, programs,
                                    {settings.speech_voice, settings.speech_rate_wpm},
                                    loa::server::api_routes(gateway, server, monitoring)),
        [&](const loa::http::HttpRequest& upgrade, std::shared_ptr<loa::http::WebSocketLink> link)
            -> std::variant<loa::http::HttpResponse, std::shared_ptr<loa::http::WebSocketHandler>> {
            auto path = upgrade.path();
            if (path == "/api/v1/receiver")
                return hub.connect(upgrade, std::move(link));
            if (path != "/api/v1/ws")
                return loa::http::text_response(404, "no WebSocket at " + path + "\n");
            auto caller = loa::server::ApiGateway::anonymous(upgrade);
            if (!upgrade.header("authorization").empty()) {
                auto bearer = gateway.bearer(upgrade);
                if (!bearer)
                    return loa::http::text_response(401, "the bearer token is not valid\n");
                caller = *bearer;
            }
            return gateway.connect(std::move(caller), std::move(link));
        });
    http.start();
    auto log = loa::common::logger("server");
    log->info("loa-server running (pid {}); up to {} open files (one per connected receiver)",
              getpid(), loa::common::raise_open_files_limit());
    auto next_figures = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto next_sample = std::chrono::steady_clock::now();
    for (;;) {
        if (std::chrono::steady_clock::now() >= next_sample) {
            sample_online(history, hub, clock);
            next_sample = std::chrono::steady_clock::now() + loa::server::OnlineHistory::kInterval;
        }
        timespec tick{5, 0};
        int sig = sigtimedwait(&signals, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        server.save_report_positions();
        if (sig < 0) {
            if (std::chrono::steady_clock::now() >= next_figures) {
                log_figures(server);
                next_figures = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            }
            continue;
        }
        if (sig == SIGHUP) {
            try {
                server.reload(read_settings(options));
            } catch (const std::exception& e) {
                log->error("reload refused, keeping the running configuration: {}", e.what());
            }
        } else {
            log_figures(server);
            if (sig == SIGUSR1)
                log_troubled_receivers(server);
        }
    }
    log->info("stopping");
    http.stop();
    watch.stop();
    control.stop();
    hub.stop();
    runner.stop();
    server.stop();
    log_figures(server);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        Options options = parse_options(argc, argv);
        if (options.new_key) {
            auto profile = loa::pipeline::parse_srtp_profile(options.new_key_profile.empty()
                                                                 ? "aes_cm_128_hmac_sha1_80"
                                                                 : options.new_key_profile);
            if (!profile)
                throw loa::common::ConfigError("--new-key: unknown profile \"" +
                                               options.new_key_profile + "\"");
            std::cout << loa::server::new_key(*profile) << "\n";
            return 0;
        }
        return run(options);
    } catch (const std::exception& e) {
        std::cerr << "loa-server: " << e.what() << "\n";
        return 1;
    }
}
