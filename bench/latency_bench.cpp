// Latency from a live source to a receiver's output, on loopback, in one process with the real
// parts: a live GStreamer source (ticks every 500 ms) -> Opus -> router -> fan-out -> SRTP over
// UDP -> the receiver's SRTP, jitter buffer, decoder and a clock-synchronised sink.
//
// A tick is captured when the live source's clock reaches it (base time + k * interval); it is
// heard when the sink renders its first loud sample. The difference is the latency.
//
// usage: loa_latency_bench [--jitter-ms 30,40,80] [--ticks 12]
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "loa/clients/media_link.hpp"
#include "loa/clients/player.hpp"
#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/fanout.hpp"
#include "loa/pipeline/report_listener.hpp"
#include "loa/pipeline/router.hpp"
#include "loa/pipeline/source.hpp"
#include "loa/pipeline/ssrc.hpp"
#include "loa/pipeline/udp_socket.hpp"

using namespace loa;

namespace {

constexpr std::int64_t kTickInterval = 500'000'000; // ns

std::int64_t monotonic_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// Finds tick onsets in the played samples: a loud sample after at least 100 ms of quiet.
class OnsetDetector {
public:
    void on_samples(const std::int16_t* samples, std::size_t count) {
        std::int64_t now = monotonic_ns();
        for (std::size_t i = 0; i < count; ++i) {
            if (std::abs(samples[i]) > 3000) {
                if (quiet_samples_ > 4800) {
                    std::lock_guard lock(mutex_);
                    onsets_.push_back(now + static_cast<std::int64_t>(i) * 1'000'000'000 / 48000);
                }
                quiet_samples_ = 0;
            } else {
                ++quiet_samples_;
            }
        }
    }
    std::vector<std::int64_t> onsets() {
        std::lock_guard lock(mutex_);
        return onsets_;
    }

private:
    std::mutex mutex_;
    std::vector<std::int64_t> onsets_;
    std::size_t quiet_samples_ = 0;
};

struct Figures {
    double median_ms = 0, min_ms = 0, max_ms = 0;
    std::size_t ticks = 0;
};

Figures measure(int jitter_ms, int ticks) {
    const auto& clock = common::SystemClock::instance();
    auto server_socket =
        std::move(pipeline::UdpSocket::bind(*pipeline::Endpoint::parse("127.0.0.1:0"))).value();
    pipeline::FanOut fanout(server_socket.fd(), 1);
    pipeline::Router router(fanout, clock);
    pipeline::ReportListener reports(server_socket.fd(), clock);

    std::vector<std::uint8_t> key(30);
    common::random_bytes(key.data(), key.size());
    std::uint32_t channel = router.add_channel("province");
    pipeline::ReceiverLink link;
    (void)reports.add_receiver(
        {"bench", channel, pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80, key, std::nullopt},
        &link);
    std::uint32_t ssrc = pipeline::ssrc_for(1, "bench");
    fanout.add_receiver(channel, pipeline::RtpStream(ssrc, 0, 0),
                        std::move(pipeline::SrtpSession::outbound(
                                      pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80, key, ssrc))
                            .value(),
                        &link);
    fanout.start();
    router.start();
    reports.start();

    pipeline::SourceSpec spec{"ticks", pipeline::SourceKind::pipeline,
                              "audiotestsrc is-live=true wave=ticks freq=1000 volume=0.8 "
                              "samplesperbuffer=240 tick-interval=" +
                                  std::to_string(kTickInterval),
                              0, false};
    pipeline::Source source(
        spec, {}, [&](const pipeline::OpusFrame& f) { router.post_frame(0, f); },
        [](pipeline::SourceState, const std::string&) {});
    router.bind(channel, 0);
    source.start();

    auto state =
        std::filesystem::temp_directory_path() / ("loa-latency-" + std::to_string(::getpid()));
    clients::ReceiverSettings settings;
    settings.id = "bench";
    settings.server = pipeline::Endpoint(0x7f000001, server_socket.local_port());
    settings.key = key;
    settings.state_dir = state.string();
    settings.output = "null";
    settings.jitter_ms = jitter_ms;
    clients::Player player({"null", jitter_ms, 1.0, false, 1});
    OnsetDetector detector;
    player.observe_output([&](const std::int16_t* s, std::size_t n) { detector.on_samples(s, n); });
    player.start();
    clients::MediaLink media(settings, player, clock);
    std::atomic<bool> stop{false};
    std::thread net([&] { media.run(stop); });

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2 + ticks / 2 + 5);
    while (detector.onsets().size() < static_cast<std::size_t>(ticks + 2) &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
    net.join();
    player.finish(std::chrono::seconds(2));
    std::int64_t base = source.base_time_ns();
    source.stop();
    reports.stop();
    router.stop();
    fanout.stop();
    std::filesystem::remove_all(state);

    std::vector<double> latencies;
    auto onsets = detector.onsets();
    for (std::size_t i = 1; i < onsets.size(); ++i) { // the first may be cut by start-up
        std::int64_t since = onsets[i] - base;
        std::int64_t k = since / kTickInterval; // latency < one interval
        latencies.push_back(static_cast<double>(since - k * kTickInterval) / 1e6);
    }
    Figures f;
    if (latencies.empty())
        return f;
    std::sort(latencies.begin(), latencies.end());
    f.ticks = latencies.size();
    f.median_ms = latencies[latencies.size() / 2];
    f.min_ms = latencies.front();
    f.max_ms = latencies.back();
    return f;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<int> jitters{30, 40, 80};
    int ticks = 12;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--jitter-ms") {
            jitters.clear();
            std::stringstream s(argv[i + 1]);
            for (std::string item; std::getline(s, item, ',');)
                jitters.push_back(std::stoi(item));
        } else if (flag == "--ticks") {
            ticks = std::stoi(argv[i + 1]);
        }
    }
    common::init_logging("warn");
    std::printf("Live source -> receiver output, loopback, Opus 20 ms frames\n");
    std::printf("%-10s %8s %10s %8s %8s %14s\n", "jitter ms", "ticks", "median ms", "min ms",
                "max ms", "target (J+40)");
    for (int j : jitters) {
        Figures f = measure(j, ticks);
        std::printf("%-10d %8zu %10.1f %8.1f %8.1f %14s\n", j, f.ticks, f.median_ms, f.min_ms,
                    f.max_ms, f.median_ms <= j + 40 ? "met" : "MISSED");
    }
    return 0;
}
