#pragma once
/// @file
/// A program source: a GStreamer pipeline that decodes a file, relays a URL, captures a live
/// ALSA device, takes a live speaker's voice or plays a test tone, and encodes it once to Opus
/// in real time.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "loa/common/result.hpp"
#include "loa/pipeline/level_meter.hpp"
#include "loa/pipeline/opus_frame.hpp"
#include "loa/pipeline/pcm_feed.hpp"

using GstElement = struct _GstElement; // NOLINT: GStreamer's own spelling

namespace loa::pipeline {

/// What a source reads.
enum class SourceKind {
    file,     ///< anything GStreamer decodes: mp3, wav, ogg, m4a, flac
    relay,    ///< an http(s) or rtsp URL, retried with backoff when it drops
    alsa,     ///< a live capture device
    tone,     ///< a sine test tone
    pipeline, ///< a GStreamer launch fragment producing raw audio (other capture hardware,
              ///< measurement signals); only from the operator's own configuration
    feed,     ///< raw audio pushed by the process (a live speaker): SourceSpec::feed
};

/// How a source is encoded. Defaults follow the design brief.
struct EncoderSettings {
    int bitrate_kbps = 32; ///< 16..128
    int channels = 1;      ///< 1 (mono) or 2 (stereo)
    bool inband_fec = true;
    int expected_loss_percent = 10; ///< tunes how much FEC Opus spends
    /// Below this level (RMS over 100 ms) the source counts as silent: dead air.
    double silence_below_dbfs = -40;
};

/// A source's description, as configured.
struct SourceSpec {
    std::string id;
    SourceKind kind = SourceKind::tone;
    std::string location;       ///< file path, URL or ALSA device ("" = default device)
    double frequency_hz = 1000; ///< tone only
    bool loop = false;          ///< file only: start again at the end
    /// file only: where to start, e.g. an airing resumed after a restart (0 = the beginning)
    std::chrono::milliseconds start_offset{0};
    std::shared_ptr<PcmFeed> feed{}; ///< feed only
};

/// Whether `device` is an ALSA device name Loa will open: a plain PCM name such as `default`,
/// `hw:1,0`, `plughw:CARD=USB,DEV=0` or `dsnoop:1`. Refused: empty names, characters outside
/// letters, digits and `_:,.=-`, and the plugins that reach outside the sound card (`file`,
/// `pipe`, `shm`, `ladspa`...): ALSA runs a name like `file:'|COMMAND'` through a shell.
bool valid_alsa_device(std::string_view device);

/// Lifecycle of a source, reported to its owner.
enum class SourceState { starting, playing, ended, failed, retrying };

/// Runs one source pipeline. Frames arrive on a GStreamer thread through `on_frame`, which must
/// only copy and post. State changes arrive through `on_state` on the source's bus thread.
class Source {
public:
    using FrameSink = std::function<void(const OpusFrame&)>;
    using StateSink = std::function<void(SourceState, const std::string& detail)>;

    Source(SourceSpec spec, EncoderSettings encoder, FrameSink on_frame, StateSink on_state);
    Source(const Source&) = delete;
    Source& operator=(const Source&) = delete;
    ~Source();

    /// Builds and starts the pipeline; errors are reported through on_state, never thrown.
    /// `held`: build and preroll it (a file decodes its first frames, a relay connects), but
    /// send nothing until release(), so that a scheduled program starts on time.
    void start(bool held = false);
    /// Lets a held source play: its first frame follows within milliseconds. Any thread.
    void release();
    /// Holds a playing source where it is (a preempted file keeps its place); release()
    /// continues. Any thread.
    void hold();
    /// Stops the pipeline and its bus thread; idempotent.
    void stop();

    const SourceSpec& spec() const { return spec_; }
    /// Frames produced since start.
    std::uint64_t frames() const { return frames_.load(std::memory_order_relaxed); }
    /// Encoder outputs too large to be one Opus packet, dropped (never expected).
    std::uint64_t frames_dropped() const { return frames_dropped_.load(std::memory_order_relaxed); }
    /// The monotonic-clock time (ns) at which the running pipeline's running time was zero, so
    /// that a live sample's capture time is base + its timestamp; 0 until playing.
    std::int64_t base_time_ns() const { return base_time_ns_.load(std::memory_order_relaxed); }
    /// The level of what the source encodes (EncoderSettings::silence_below_dbfs is its
    /// threshold of sound).
    const LevelMeter& level() const { return level_; }

private:
    struct Pipeline;
    void run_bus();
    bool build();
    void start_playing();
    void configure_encoder_and_sink(::GstElement* pipeline);
    void teardown();

    SourceSpec spec_;
    EncoderSettings encoder_;
    FrameSink on_frame_;
    StateSink on_state_;
    std::unique_ptr<Pipeline> pipeline_;
    std::thread bus_thread_;
    std::atomic<bool> stopping_{false};
    std::mutex state_mutex_; ///< guards held_ against the pipeline's state changes
    bool held_ = false;
    bool configured_ = false; ///< the pipeline is built and its state is ours to change
    std::atomic<std::uint64_t> frames_{0};
    std::atomic<std::uint64_t> frames_dropped_{0};
    std::atomic<std::int64_t> base_time_ns_{0};
    LevelMeter level_;
};

/// Initialises GStreamer once per process (safe to call repeatedly).
void ensure_gstreamer();

/// Builds a pipeline from a gst-launch description (initialising GStreamer if needed). The
/// caller owns the result; the error carries GStreamer's reason.
common::Result<GstElement*> launch(const std::string& description);

/// A GStreamer pipeline description fragment for the source (before audioconvert).
std::string describe_source_head(const SourceSpec& spec);

} // namespace loa::pipeline
