#pragma once
/// @file
/// The composition root: every part of loa-server, built in the order they depend on each
/// other, started, served until a signal stops them, and stopped in the reverse order.

#include <csignal>
#include <functional>

#include "loa/common/clock.hpp"
#include "loa/http/server.hpp"
#include "loa/server/api/auth_store.hpp"
#include "loa/server/api/control_socket.hpp"
#include "loa/server/api/gateway.hpp"
#include "loa/server/app/settings.hpp"
#include "loa/server/events/notifier.hpp"
#include "loa/server/media/media_server.hpp"
#include "loa/server/monitoring/metrics.hpp"
#include "loa/server/monitoring/online_history.hpp"
#include "loa/server/monitoring/presence.hpp"
#include "loa/server/monitoring/status_watch.hpp"
#include "loa/server/receivers/hub.hpp"
#include "loa/server/receivers/registry.hpp"
#include "loa/server/reports/indicator_push.hpp"
#include "loa/server/reports/indicators.hpp"
#include "loa/server/schedule/program_store.hpp"
#include "loa/server/schedule/runner.hpp"
#include "loa/server/schedule/schedule_api.hpp"
#include "loa/server/supervision/alarm_book.hpp"
#include "loa/server/supervision/supervisor.hpp"
#include "loa/server/supervision/webhooks.hpp"

namespace loa::server {

/// The signals the server waits for (SIGINT, SIGTERM, SIGHUP, SIGUSR1), blocked in every
/// thread from construction on: threads started later inherit the mask.
class SignalMask {
public:
    SignalMask();
    /// The next of them within `wait`; 0 if none came.
    int wait(std::chrono::seconds wait) const;

private:
    sigset_t set_{};
};

/// loa-server: the media plane, the schedule, the receivers' control channels, the API on the
/// HTTP port and the control socket, and the monitoring, wired together.
class ServerApp {
public:
    /// Builds every part (nothing starts yet). `reread` gives the settings again for SIGHUP.
    ServerApp(Settings settings, std::function<Settings()> reread);
    ServerApp(const ServerApp&) = delete;
    ServerApp& operator=(const ServerApp&) = delete;
    ~ServerApp();

    /// Starts every part, serves until SIGINT or SIGTERM (SIGHUP reloads the sources and the
    /// channels' bindings, SIGUSR1 logs figures), then stops them. Returns the exit status.
    int run();

private:
    void start();
    void stop();
    /// One turn of the main loop after a signal (or none, 0); false when the server must stop.
    bool on_signal(int signal);
    /// Freezes the reporting days whose cut-off has passed (IndicatorBook::freeze_due).
    void freeze_indicators();
    Metrics metrics();
    /// Which receivers are online, per unit (presence.hpp).
    std::map<std::string, UnitPresence> presence();
    http::HttpOptions http_options();
    /// Tells subscribers of the topic "alarms" what happened to `alarm`.
    void publish_alarm(const Alarm& alarm, AlarmEvent event);
    /// The code of the alarm's unit; "" if none.
    std::string unit_code(const Alarm& alarm);
    /// Tells subscribers of the topic "backups" how a backup went.
    void publish_backup(const BackupState& state);
    /// What the supervisor watches on this server.
    Observed observed();

    // In the order they are built; each may use those above it.
    Settings settings_;
    std::function<Settings()> reread_;
    SignalMask signals_;
    const common::Clock& clock_;
    MediaServer media_;
    ProgramStore programs_;
    ScheduleRunner runner_;
    OnlineHistory history_;
    ScheduleApi api_;
    AuthStore auth_;
    ReceiverRegistry registry_;
    Notifier notifier_;
    Webhooks webhooks_;
    AlarmBook alarms_;
    ReceiverHub hub_;
    FailedAirings failed_airings_;
    BackupScheduler backups_;
    Supervisor supervisor_;
    IndicatorBook indicators_;
    IndicatorPush push_;
    LiveDesk live_;
    ApiGateway gateway_;
    ControlSocket control_;
    StatusWatch watch_;
    http::HttpServer http_;
    std::uint64_t emergencies_pushed_ = 0; ///< the notifier's subscription of push_
    bool stopped_ = true;
};

} // namespace loa::server
