#include "loa/server/app/server_app.hpp"

#include <pthread.h>
#include <unistd.h>

#include "loa/common/logging.hpp"
#include "loa/common/open_files.hpp"
#include "loa/server/api/rest_routes.hpp"
#include "loa/server/api/rpc.hpp"
#include "loa/server/api/websocket_routes.hpp"
#include "loa/server/app/bootstrap.hpp"
#include "loa/server/console/console.hpp"
#include "loa/server/monitoring/figures_log.hpp"
#include "loa/server/monitoring/presence.hpp"
#include "loa/server/reports/indicator_report.hpp"
#include "loa/server/supervision/health.hpp"

namespace loa::server {
namespace {

auto log() {
    static auto logger = common::logger("server");
    return logger;
}

/// The settings, once the state folder they name is the server's alone.
Settings with_secured_state(Settings settings) {
    secure_state_dir(settings);
    return settings;
}

/// What the control socket's caller is: the local user, named by the socket's peer.
ControlSocket::Handler control_calls(ApiGateway& gateway) {
    return [&gateway](std::string_view text, const std::string& who) {
        Caller caller;
        caller.local = true;
        caller.local_name = who;
        caller.from = "local";
        return handle_jsonrpc(text, [&](const std::string& method, const Params& params) {
            return gateway.call(method, params, caller);
        });
    };
}

/// Each unit's emergency volume, by code.
std::map<std::string, double> emergency_volumes(const Settings& settings) {
    std::map<std::string, double> out;
    if (!settings.province)
        return out;
    out[settings.province->province.code] = settings.province->province.emergency_volume;
    for (const auto& c : settings.province->communes)
        out[c.code] = c.emergency_volume;
    return out;
}

} // namespace

SignalMask::SignalMask() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1})
        sigaddset(&set_, s);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int SignalMask::wait(std::chrono::seconds wait) const {
    timespec tick{static_cast<time_t>(wait.count()), 0};
    int signal = sigtimedwait(&set_, nullptr, &tick);
    return signal < 0 ? 0 : signal;
}

ServerApp::ServerApp(Settings settings, std::function<Settings()> reread)
    : settings_(with_secured_state(std::move(settings))), reread_(std::move(reread)),
      clock_(common::SystemClock::instance()), media_(settings_, clock_),
      programs_(media_dir(settings_), settings_.live_inputs),
      runner_(settings_, media_, programs_, clock_), history_(database_file(settings_)),
      api_(settings_, programs_, clock_,
           ServerView{[this] { return runner_.on_air(); },
                      [this] { return media_.receiver_status(); },
                      [this](schedules::Millis from, schedules::Millis to) {
                          auto samples = history_.between(from, to);
                          return samples ? *samples : std::vector<OnlineSample>{};
                      },
                      [this] { return registry_.new_stored_key(); }},
           [this] { runner_.schedule_changed(); }),
      auth_(database_file(settings_), clock_),
      registry_(database_file(settings_), clock_, settings_.profile,
                common::SealingKey::load(seal_key_file(settings_))),
      webhooks_(database_file(settings_), settings_.supervision.webhooks,
                settings_.province ? settings_.province->province.name : std::string("Loa")),
      alarms_(
          database_file(settings_), clock_,
          [this](const Alarm& alarm, AlarmEvent event) { publish_alarm(alarm, event); },
          [this](common::Database& db, const Alarm& alarm, AlarmEvent event) {
              return webhooks_.stage(db, alarm, event, unit_code(alarm));
          }),
      hub_(registry_, media_, api_, notifier_, clock_,
           {settings_.offline_grace, settings_.status_interval_s, settings_.media_advertise_host,
            std::chrono::seconds(5), emergency_volumes(settings_)}),
      backups_(settings_.state_dir, settings_.backups, clock_,
               [this](const BackupState& state) { publish_backup(state); }),
      supervisor_(alarms_, observed(), settings_.supervision, clock_),
      indicators_(database_file(settings_), {settings_.time_zone, settings_.indicators_cutoff, 7},
                  clock_),
      push_(database_file(settings_), settings_.indicator_pushes,
            settings_.province ? settings_.province->province.name : std::string("Loa")),
      live_(settings_.live, api_, programs_, clock_),
      gateway_(auth_, api_, hub_, notifier_, alarms_,
               {settings_.session_ttl, settings_.public_url, settings_.tls_certificate,
                settings_.time_zone,
                settings_.province ? settings_.province->province.name : std::string()},
               &backups_),
      control_(control_socket_file(settings_), control_calls(gateway_)),
      watch_([this] { return runner_.on_air(); }, api_, hub_, notifier_),
      http_(http_options(),
            console_routes(gateway_, programs_, {settings_.speech_voice, settings_.speech_rate_wpm},
                           api_routes(gateway_, media_,
                                      monitoring_routes([this] { return metrics(); },
                                                        read_metrics_token(settings_)))),
            websocket_routes(gateway_, hub_)) {
    gateway_.set_indicators(&indicators_, &push_);
    gateway_.set_live(&live_);
    runner_.on_live_feed([this](std::int64_t override_id) { return live_.feed(override_id); });
    runner_.on_emergency([this](const std::string& channel, const std::string& airing) {
        hub_.set_emergency(channel, airing);
    });
    runner_.on_failure([this](FailedAiring failed) { failed_airings_.note(std::move(failed)); });
    api_.on_units_changed([this](const UnitsChanged& changed) {
        for (const auto& code : changed.added)
            media_.add_unit_channel(code);
        hub_.move(changed.clusters);
        if (!changed.merged.empty()) {
            alarms_.note_units_merged(changed.merged, changed.into);
            auth_.note_scopes_changed();
        }
        if (changed.split) {
            alarms_.note_unit_split(*changed.split, changed.into, changed.split_subjects);
            auth_.note_scopes_changed();
        }
    });
}

ServerApp::~ServerApp() {
    stop();
}

int ServerApp::run() {
    start();
    log()->info("loa-server running (pid {}); up to {} open files (one per connected receiver)",
                getpid(), common::raise_open_files_limit());
    auto next_figures = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto next_sample = std::chrono::steady_clock::now();
    for (;;) {
        auto now = std::chrono::steady_clock::now();
        if (now >= next_sample) {
            sample_online(history_, presence(), clock_);
            next_sample = now + OnlineHistory::kInterval;
        }
        freeze_indicators();
        int signal = signals_.wait(std::chrono::seconds(5));
        if (!on_signal(signal))
            break;
        if (signal == 0 && std::chrono::steady_clock::now() >= next_figures) {
            log_figures(media_);
            next_figures = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        }
    }
    log()->info("stopping");
    stop();
    log_figures(media_);
    return 0;
}

void ServerApp::freeze_indicators() {
    try {
        auto frozen = indicators_.freeze_due();
        if (!frozen) {
            log()->error("cannot freeze the day's indicators: {}", frozen.error().message);
            return;
        }
        for (const auto& date : *frozen) {
            auto snapshot = [&](const IndicatorPushSettings& target) {
                IndicatorQuery q;
                if (!target.unit.empty())
                    q.unit = target.unit;
                q.from = q.to = date;
                auto report = indicators_report(indicators_, q, [](std::int64_t) { return true; });
                report.as_object()["date"] = date;
                return report;
            };
            if (auto kept = push_.enqueue("indicators.snapshot", snapshot); !kept)
                log()->error("the indicators of {} are not kept for pushing: {}", date,
                             kept.error().message);
        }
    } catch (const std::exception& e) {
        log()->error("cannot freeze the day's indicators: {}", e.what());
    }
}

bool ServerApp::on_signal(int signal) {
    if (signal == SIGINT || signal == SIGTERM)
        return false;
    media_.save_report_positions();
    if (signal == SIGHUP) {
        try {
            media_.reload(reread_());
        } catch (const std::exception& e) {
            log()->error("reload refused, keeping the running configuration: {}", e.what());
        }
    } else if (signal != 0) {
        log_figures(media_);
        if (signal == SIGUSR1)
            log_troubled_receivers(media_);
    }
    return true;
}

void ServerApp::start() {
    stopped_ = false;
    media_.start();
    // Units made by reorganisations live in the database only: their channels too.
    for (const auto& code : api_.all_unit_codes())
        media_.add_unit_channel(code);
    live_.start(); // first: it ends live broadcasts whose speakers left with the last run
    runner_.start();
    announce_first_admin(auth_, settings_);
    hub_.start();
    control_.start();
    watch_.start();
    webhooks_.start();
    push_.start();
    emergencies_pushed_ = notifier_.subscribe([this](const Notification& n) {
        if (n.topic != "overrides" || !n.method.starts_with("emergency."))
            return;
        if (auto kept = push_.enqueue(n.method, [&](const auto&) { return n.params; }); !kept)
            log()->error("{} not kept for pushing: {}", n.method, kept.error().message);
    });
    supervisor_.start();
    backups_.start();
    http_.start();
}

void ServerApp::stop() {
    if (stopped_)
        return;
    stopped_ = true;
    http_.stop();
    backups_.stop();
    supervisor_.stop();
    notifier_.unsubscribe(emergencies_pushed_);
    push_.stop();
    webhooks_.stop();
    watch_.stop();
    control_.stop();
    hub_.stop();
    live_.stop();
    runner_.stop();
    media_.stop();
}

Metrics ServerApp::metrics() {
    auto m = collect_metrics(settings_, media_, runner_.on_air(), presence(), gateway_.requests(),
                             gateway_.errors());
    for (const auto& [key, n] : alarms_.active_counts()) {
        const auto& [kind, severity, unit] = key;
        std::vector<std::string> codes;
        if (unit)
            codes = api_.unit_codes({*unit});
        std::string code = codes.empty() ? std::string() : codes.front();
        m.alarms_active[{std::string(to_string(kind)), std::string(to_string(severity)), code}] +=
            n;
    }
    m.webhook_pending = webhooks_.pending();
    if (!settings_.backups.dir.empty())
        m.backups = backups_.state();
    return m;
}

void ServerApp::publish_alarm(const Alarm& alarm, AlarmEvent event) {
    static constexpr const char* kMethods[] = {"alarm.raised", "alarm.cleared",
                                               "alarm.acknowledged"};
    std::vector<std::int64_t> units;
    if (alarm.fault.unit)
        units.push_back(*alarm.fault.unit);
    webhooks_.wake(); // its deliveries were kept with the change
    notifier_.publish({"alarms",
                       kMethods[static_cast<int>(event)],
                       alarm_json(alarm, unit_code(alarm)),
                       std::move(units),
                       {}});
}

void ServerApp::publish_backup(const BackupState& state) {
    std::vector<std::int64_t> units; // the province's: province-wide callers see it
    if (settings_.province)
        units = api_.unit_ids({settings_.province->province.code});
    notifier_.publish({"backups", "backup.done", backup_state_json(state), std::move(units), {}});
}

std::string ServerApp::unit_code(const Alarm& alarm) {
    if (!alarm.fault.unit)
        return "";
    auto codes = api_.unit_codes({*alarm.fault.unit});
    return codes.empty() ? std::string() : codes.front();
}

/// A cluster's channel sounds if its source had sound within this: a speaker's pauses are
/// shorter.
constexpr std::chrono::milliseconds kSoundRecent{2500};

Observed ServerApp::observed() {
    Observed o;
    o.receivers = [this] { return hub_.list(Scope{}); };
    o.unit_of = [this] { return hub_.units(); };
    o.offline_grace = settings_.offline_grace;
    o.state_dir = settings_.state_dir;
    o.disk = [dir = settings_.state_dir] { return disk_space(dir); };
    o.clock_synchronised = [] { return clock_synchronised(); };
    if (!settings_.tls_certificate.empty())
        o.certificate_expiry = [file = settings_.tls_certificate] {
            return certificate_expiry(file);
        };
    if (settings_.province)
        o.server_unit = api_.unit_ids({settings_.province->province.code}).front();
    o.channel_sound = [this] { return media_.channel_sound(kSoundRecent); };
    o.programs = [this] { return media_.program_sound(); };
    o.airings = [this](schedules::Millis ended_after) { return api_.recent_as_run(ended_after); };
    o.played = [this](const std::vector<PlayedQuery>& queries) { return hub_.played(queries); };
    o.note_played = [this](std::int64_t as_run, std::int64_t clusters, schedules::Millis first,
                           schedules::Millis last) {
        api_.note_played(as_run, clusters, first, last);
    };
    o.failed_airings = [this](std::chrono::system_clock::time_point since) {
        return failed_airings_.since(since);
    };
    o.media_drops = [this] {
        auto stats = media_.stats();
        return stats.router_drops + stats.fanout.queue_drops;
    };
    o.database_errors = [] { return common::database_errors(); };
    if (!settings_.backups.dir.empty())
        o.backups = [this] { return backups_.state(); };
    o.backup_late_after = settings_.backups.late_after;
    o.unit_of_code = [this](const std::string& code) -> std::optional<std::int64_t> {
        try {
            return api_.unit_ids({code}).front();
        } catch (const std::exception&) {
            return std::nullopt;
        }
    };
    return o;
}

std::map<std::string, UnitPresence> ServerApp::presence() {
    return presence_by_unit(settings_.receivers, media_.receiver_status(), hub_.list(Scope{}));
}

http::HttpOptions ServerApp::http_options() {
    http::HttpOptions o;
    o.logger = common::logger("http");
    o.bind = settings_.http_bind;
    o.port = settings_.http_port;
    if (!settings_.tls_certificate.empty())
        o.tls = http::TlsFiles{settings_.tls_certificate, settings_.tls_key};
    o.upload_paths = {kUploadPath};
    o.upload_dir = settings_.state_dir + "/uploads";
    o.max_upload = static_cast<std::uint64_t>(settings_.max_upload_mb) * 1024 * 1024;
    o.admit_upload = upload_admission(gateway_);
    o.max_connections = static_cast<std::size_t>(settings_.max_connections);
    o.max_connections_per_address = static_cast<std::size_t>(settings_.max_connections_per_address);
    o.login_timeout = settings_.login_timeout;
    return o;
}

} // namespace loa::server
