// loa-receiver: plays a Loa server's stream on a loudspeaker cluster. See docs/operations.md.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <pthread.h>
#include <thread>

#include "loa/clients/control_link.hpp"
#include "loa/clients/media_link.hpp"
#include "loa/clients/player.hpp"
#include "loa/clients/receiver_settings.hpp"
#include "loa/common/logging.hpp"

namespace {

constexpr const char* kUsage = R"(usage: loa-receiver [--config FILE] [options]
  --config FILE        JSON settings (keys as the long options below, with _ for -)
  --id ID              the receiver id the server knows
  --server HOST:PORT   the server's media address
  --key-file FILE      a file holding this receiver's SRTP master key (base64)
  --key BASE64         the key itself (visible to other local users in the process list)
  --profile P          aes_cm_128_hmac_sha1_80 (default) or aead_aes_128_gcm
  --output OUT         "" = sound card (default), FILE.wav, or alsa:DEVICE
  --jitter-ms N        jitter-buffer latency (default 80)
  --state-dir DIR      where per-start counters are kept (default /var/lib/loa-receiver)
  --duration S         stop by itself after S seconds
  --provision FILE     the bundle an admin made with receivers.provision: everything else
                       (id, server, keys, volume) then comes from the server's control channel
  --set KEY=VALUE      any other setting
Signals: SIGUSR1 logs the counters, SIGTERM/SIGINT stop (a WAV file is finalised).
)";

loa::common::Config read_config(int argc, char** argv) {
    std::string file;
    std::vector<std::string> overrides;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            std::exit(0);
        }
        if (arg.rfind("--", 0) != 0 || i + 1 >= argc)
            throw loa::common::ConfigError("unexpected argument \"" + arg + "\"; see --help");
        std::string value = argv[++i];
        if (arg == "--config") {
            file = value;
        } else if (arg == "--set") {
            overrides.push_back(value);
        } else {
            std::string key = arg.substr(2);
            std::replace(key.begin(), key.end(), '-', '_');
            if (key == "duration")
                key = "duration_s";
            bool numeric = key == "jitter_ms" || key == "duration_s" || key == "channels";
            // Strings are quoted so that a key or id that looks like a number stays a string.
            overrides.push_back(key + "=" + (numeric ? value : "\"" + value + "\""));
        }
    }
    auto config = file.empty() ? loa::common::Config::parse("{}", "flags")
                               : loa::common::Config::load_file(file);
    for (const auto& o : overrides)
        config.apply_override(o);
    return config;
}

void log_counters(const loa::clients::MediaLink& link, const loa::clients::Player& player) {
    auto l = link.stats();
    auto p = player.stats();
    loa::common::logger("receiver")
        ->info("received {} lost {} late {} concealed {} jitter {:.1f} ms; rejected {} stale {}; "
               "reports sent {}",
               l.received, l.lost, p.late, p.lost, l.jitter_ms, l.rejected, l.stale,
               l.reports_sent);
}

void print_summary(const loa::clients::MediaLink& link, const loa::clients::Player& player) {
    auto l = link.stats();
    auto p = player.stats();
    std::cout << "{\"received\":" << l.received << ",\"lost\":" << l.lost << ",\"late\":" << p.late
              << ",\"concealed\":" << p.lost << ",\"jitter_ms\":" << l.jitter_ms
              << ",\"rejected\":" << l.rejected << ",\"stale\":" << l.stale
              << ",\"reports_sent\":" << l.reports_sent << ",\"server_epoch\":" << l.server_epoch
              << "}" << std::endl;
}

/// The level it plays now, to a tenth of a dB: the last block's, or silence once nothing
/// has been played for a second (the stream stopped).
double level_now(const loa::pipeline::LevelTotals& played) {
    auto now = loa::pipeline::steady_ns();
    if (played.last_block_ns == 0 || now - played.last_block_ns > 1'000'000'000)
        return loa::pipeline::kSilenceDbfs;
    return std::round(played.last_dbfs * 10) / 10;
}

int run(const loa::clients::ReceiverSettings& settings) {
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGINT, SIGTERM, SIGUSR1})
        sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    loa::clients::Player player({settings.output, settings.jitter_ms, settings.volume,
                                 settings.muted, settings.channels, settings.drill_silent_output});
    player.start();
    loa::clients::MediaLink link(settings, player, loa::common::SystemClock::instance());
    std::atomic<bool> stop{false};
    std::thread network([&] { link.run(stop); });
    auto log = loa::common::logger("receiver");
    log->info("receiver {} listening to {}", settings.id, settings.server.to_string());

    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<long>(settings.duration_s * 1000));
    auto next_log = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        timespec tick{0, 200'000'000};
        int sig = sigtimedwait(&signals, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        auto now = std::chrono::steady_clock::now();
        if (sig == SIGUSR1 || now >= next_log) {
            log_counters(link, player);
            next_log = now + std::chrono::seconds(30);
        }
        if (auto error = player.take_error(); !error.empty())
            log->error("playout: {}", error);
        if (settings.duration_s > 0 && now >= deadline)
            break;
    }
    stop = true;
    network.join();
    player.finish(std::chrono::seconds(5));
    log_counters(link, player);
    print_summary(link, player);
    return 0;
}

/// Provisioned: the control channel gives the media parameters, volume and keys; it comes
/// back by itself (backoff with jitter) whenever the server goes away.
int run_provisioned(loa::clients::ReceiverSettings settings) {
    namespace json = boost::json;
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGINT, SIGTERM, SIGUSR1})
        sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    auto log = loa::common::logger("receiver");
    auto bundle = loa::clients::read_bundle(settings.provision);
    if (!bundle)
        throw std::runtime_error(bundle.error().message);
    std::filesystem::create_directories(settings.state_dir);
    loa::clients::ControlLink control(*bundle, settings.state_dir, settings.provision);

    std::atomic<bool> stop{false};
    std::unique_ptr<loa::clients::Player> player;
    std::unique_ptr<loa::clients::MediaLink> link;
    std::mutex media_mutex; // player and link, as the signal thread reads their counters
    std::thread signal_thread([&] {
        auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(settings.duration_s * 1000));
        while (!stop) {
            timespec tick{0, 200'000'000};
            int sig = sigtimedwait(&signals, nullptr, &tick);
            if (sig == SIGINT || sig == SIGTERM ||
                (settings.duration_s > 0 && std::chrono::steady_clock::now() >= deadline))
                stop = true;
            std::lock_guard lock(media_mutex);
            if (sig == SIGUSR1 && link)
                log_counters(*link, *player);
        }
    });
    std::atomic<bool> media_stop{false};
    std::thread network;
    auto started = std::chrono::steady_clock::now();
    auto key = settings.key;
    auto backoff = std::chrono::milliseconds(0);
    bool unprovisioned = false;
    std::optional<loa::clients::Hello> moved; // the new server's hello after a move
    // However the run ends (an exception included: a playout that cannot start), the threads
    // stop and are joined before what they use goes.
    auto join_threads = [&] {
        stop = true;
        media_stop = true;
        if (signal_thread.joinable())
            signal_thread.join();
        if (network.joinable())
            network.join();
    };
    try {
        while (!stop && !unprovisioned) {
            bool after_move = moved.has_value();
            auto hello =
                moved ? loa::common::Result<loa::clients::Hello>(*moved) : control.connect();
            moved.reset();
            if (!hello) {
                backoff = loa::clients::next_backoff(backoff);
                log->warn("{}; trying again in {:.1f} s", hello.error().message,
                          static_cast<double>(backoff.count()) / 1000);
                auto until = std::chrono::steady_clock::now() + backoff;
                while (!stop && std::chrono::steady_clock::now() < until)
                    std::this_thread::sleep_for(
                        std::chrono::milliseconds(100)); // NOLINT: stop poll
                continue;
            }
            backoff = std::chrono::milliseconds(0);
            // What a hello gave, for the media link (mutex held).
            auto take_media = [&](const loa::clients::Hello& from) {
                settings.server = from.media;
                settings.profile = from.profile;
                settings.key = key = from.key;
                settings.group = from.group;
                settings.group_key = from.group_key;
            };
            if (!link) {
                settings.id = bundle->id;
                std::lock_guard lock(media_mutex);
                player = std::make_unique<loa::clients::Player>(loa::clients::PlayerSettings{
                    settings.output, settings.jitter_ms, hello->volume, hello->muted,
                    settings.channels, settings.drill_silent_output});
                player->start();
                take_media(*hello);
                link = std::make_unique<loa::clients::MediaLink>(
                    settings, *player, loa::common::SystemClock::instance());
                network = std::thread([&] { link->run(media_stop); });
            } else if (after_move || hello->media != settings.server ||
                       hello->profile != settings.profile || hello->group != settings.group ||
                       hello->group_key != settings.group_key) {
                // Another server, or another channel's group stream (its unit merged, split or
                // changed code): the media link follows what the hello gave, and the player plays
                // on, one stream.
                media_stop = true;
                network.join();
                media_stop = false;
                std::lock_guard lock(media_mutex);
                take_media(*hello);
                link->move_server();
                network = std::thread([&] { link->run(media_stop); });
                player->set_volume(hello->volume);
                player->set_muted(hello->muted);
            } else {
                if (hello->key != key) // rotated while we were away
                    link->install_key(key = hello->key);
                player->set_volume(hello->volume);
                player->set_muted(hello->muted);
            }
            double volume = hello->volume;
            bool muted = hello->muted;
            loa::clients::ControlActions actions;
            actions.set_output = [&](double v, bool m) {
                volume = v;
                muted = m;
                player->set_volume(v);
                player->set_muted(m);
                log->info("volume {:.2f}{}", v, m ? ", muted" : "");
            };
            actions.rekey = [&](std::vector<std::uint8_t> new_key) {
                key = new_key;
                link->install_key(std::move(new_key));
            };
            actions.status = [&] {
                auto l = link->stats();
                auto p = player->stats();
                auto played = player->played();
                return json::object{{"volume", volume},
                                    {"muted", muted},
                                    {"receiving", link->receiving()},
                                    {"received", l.received},
                                    {"lost", l.lost},
                                    {"late", p.late},
                                    {"concealed", p.lost},
                                    {"jitter_ms", l.jitter_ms},
                                    {"played_ms", played.measured_ms},
                                    {"sound_ms", played.sound_ms},
                                    {"sound_seconds", player->sound_seconds()},
                                    {"level_dbfs", level_now(played)},
                                    {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(
                                                     std::chrono::steady_clock::now() - started)
                                                     .count()},
                                    {"version", "loa-receiver 0.1"}};
            };
            auto end = control.serve(stop, actions);
            unprovisioned = end == loa::clients::ControlLink::End::unprovisioned;
            if (end == loa::clients::ControlLink::End::moved)
                moved = control.moved_hello();
        }
    } catch (...) {
        join_threads();
        throw;
    }
    if (unprovisioned) {
        std::error_code ec;
        std::filesystem::remove(settings.provision, ec);
        log->warn("unprovisioned: the bundle {} is deleted; stopping", settings.provision);
    }
    join_threads();
    if (player) {
        player->finish(std::chrono::seconds(5));
        log_counters(*link, *player);
        print_summary(*link, *player);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        auto settings = loa::clients::load_receiver_settings(read_config(argc, argv));
        loa::common::init_logging(settings.log_level);
        if (!settings.provision.empty())
            return run_provisioned(settings);
        return run(settings);
    } catch (const std::exception& e) {
        std::cerr << "loa-receiver: " << e.what() << "\n";
        return 1;
    }
}
