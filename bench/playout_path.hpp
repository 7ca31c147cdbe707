#pragma once
// What the latency benchmarks share: the media path from the router to a receiver's output, in
// one process with the real parts (router -> fan-out -> SRTP over UDP on loopback -> the
// receiver's SRTP, jitter buffer, decoder and a clock-synchronised sink), and the onsets of
// ticks in what the receiver plays.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

#include "loa/clients/media_link.hpp"
#include "loa/clients/player.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/fanout.hpp"
#include "loa/pipeline/report_listener.hpp"
#include "loa/pipeline/router.hpp"
#include "loa/pipeline/source.hpp"
#include "loa/pipeline/ssrc.hpp"
#include "loa/pipeline/udp_socket.hpp"

namespace loa::bench {

/// The monotonic clock now, in nanoseconds (GStreamer's system clock counts the same).
inline std::int64_t monotonic_ns() {
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

/// Latencies of ticks, median and extremes.
struct Figures {
    double median_ms = 0, min_ms = 0, max_ms = 0;
    std::size_t ticks = 0;
};

/// The latency of each onset after the first (start-up may cut it): its time since the tick
/// it plays, captured at `base_ns` + k * `interval_ns` (a latency is below one interval).
inline Figures latencies(const std::vector<std::int64_t>& onsets, std::int64_t base_ns,
                         std::int64_t interval_ns) {
    std::vector<double> ms;
    for (std::size_t i = 1; i < onsets.size(); ++i) {
        std::int64_t since = onsets[i] - base_ns;
        ms.push_back(static_cast<double>(since - since / interval_ns * interval_ns) / 1e6);
    }
    Figures f;
    if (ms.empty())
        return f;
    std::sort(ms.begin(), ms.end());
    f.ticks = ms.size();
    f.median_ms = ms[ms.size() / 2];
    f.min_ms = ms.front();
    f.max_ms = ms.back();
    return f;
}

/// One channel from the router to one receiver's output, on loopback. Post frames to source 0
/// of router(); the receiver plays them with a jitter buffer of `jitter_ms`.
class PlayoutPath {
public:
    explicit PlayoutPath(int jitter_ms)
        : socket_(std::move(pipeline::UdpSocket::bind(*pipeline::Endpoint::parse("127.0.0.1:0")))
                      .value()),
          fanout_(socket_.fd(), 1), router_(fanout_, common::SystemClock::instance()),
          reports_(socket_.fd(), common::SystemClock::instance()),
          player_({"null", jitter_ms, 1.0, false, 1}) {
        std::vector<std::uint8_t> key(30);
        common::random_bytes(key.data(), key.size());
        channel_ = router_.add_channel("province");
        (void)reports_.add_receiver(
            {"bench", channel_, pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80, key, std::nullopt},
            &link_);
        std::uint32_t ssrc = pipeline::ssrc_for(1, "bench");
        fanout_.add_receiver(
            channel_, pipeline::RtpStream(ssrc, 0, 0),
            std::move(pipeline::SrtpSession::outbound(
                          pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80, key, ssrc))
                .value(),
            &link_);
        fanout_.start();
        router_.start();
        reports_.start();
        router_.bind(channel_, 0);

        state_ =
            std::filesystem::temp_directory_path() / ("loa-latency-" + std::to_string(::getpid()));
        settings_.id = "bench";
        settings_.server = pipeline::Endpoint(0x7f000001, socket_.local_port());
        settings_.key = key;
        settings_.state_dir = state_.string();
        settings_.output = "null";
        settings_.jitter_ms = jitter_ms;
        player_.observe_output(
            [this](const std::int16_t* s, std::size_t n) { detector_.on_samples(s, n); });
        player_.start();
        media_ = std::make_unique<clients::MediaLink>(settings_, player_,
                                                      common::SystemClock::instance());
        net_ = std::thread([this] { media_->run(stop_); });
    }
    PlayoutPath(const PlayoutPath&) = delete;
    PlayoutPath& operator=(const PlayoutPath&) = delete;
    ~PlayoutPath() {
        stop_ = true;
        net_.join();
        player_.finish(std::chrono::seconds(2));
        reports_.stop();
        router_.stop();
        fanout_.stop();
        std::filesystem::remove_all(state_);
    }

    pipeline::Router& router() { return router_; }
    /// Waits (bounded by `deadline`) until `count` onsets were heard; returns them.
    std::vector<std::int64_t> onsets(std::size_t count,
                                     std::chrono::steady_clock::time_point deadline) {
        while (detector_.onsets().size() < count && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return detector_.onsets();
    }

private:
    pipeline::UdpSocket socket_;
    pipeline::FanOut fanout_;
    pipeline::Router router_;
    pipeline::ReportListener reports_;
    pipeline::ReceiverLink link_;
    std::uint32_t channel_ = 0;
    clients::Player player_;
    OnsetDetector detector_;
    std::filesystem::path state_;
    clients::ReceiverSettings settings_; ///< the media link keeps a reference
    std::unique_ptr<clients::MediaLink> media_;
    std::atomic<bool> stop_{false};
    std::thread net_;
};

/// Ticks every `interval_ns` from a live source on the server itself to the receiver's output:
/// the latency of the media path alone.
inline Figures local_ticks(int jitter_ms, int ticks, std::int64_t interval_ns) {
    PlayoutPath path(jitter_ms);
    pipeline::SourceSpec spec{"ticks", pipeline::SourceKind::pipeline,
                              "audiotestsrc is-live=true wave=ticks freq=1000 volume=0.8 "
                              "samplesperbuffer=240 tick-interval=" +
                                  std::to_string(interval_ns),
                              0, false};
    pipeline::Source source(
        spec, {}, [&](const pipeline::OpusFrame& f) { path.router().post_frame(0, f); },
        [](pipeline::SourceState, const std::string&) {});
    source.start();
    auto onsets =
        path.onsets(static_cast<std::size_t>(ticks + 2),
                    std::chrono::steady_clock::now() + std::chrono::seconds(2 + ticks / 2 + 5));
    std::int64_t base = source.base_time_ns();
    source.stop();
    return latencies(onsets, base, interval_ns);
}

} // namespace loa::bench
