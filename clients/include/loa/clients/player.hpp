#pragma once
/// @file
/// The receiver's playout: RTP in -> jitter buffer -> Opus decoder with FEC and loss
/// concealment -> volume -> level meter -> sound card or WAV file, as one GStreamer pipeline.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "loa/pipeline/level_meter.hpp"

using GstElement = struct _GstElement; // NOLINT: GStreamer's own spelling

namespace loa::clients {

/// Counters of the jitter buffer and decoder.
struct PlayoutStats {
    std::uint64_t pushed = 0; ///< packets handed to the decoder
    std::uint64_t lost = 0;   ///< packets never received; concealed (PLC or FEC)
    std::uint64_t late = 0;   ///< arrived after their playout time
    std::uint64_t duplicates = 0;
    double jitter_ms = 0; ///< average jitter seen by the jitter buffer
};

/// How to play.
struct PlayerSettings {
    std::string output; ///< "" = default sound card, "X.wav" = file, "alsa:DEVICE"
    int jitter_ms = 80;
    double volume = 1.0;
    bool muted = false;
    int channels = 1;
    /// A stand-in for a local fault, for tests and field drills: the decoded audio is replaced
    /// by silence before the output, where the played level is measured.
    bool silent_fault = false;
};

/// Where the receiver's network side hands each verified packet: clear RTP, renumbered into
/// one stream. The Player plays it; tests and the fuzzer record it instead.
class RtpSink {
public:
    virtual ~RtpSink() = default;
    /// Takes one RTP packet (clear text).
    virtual void push(const std::uint8_t* packet, std::size_t len) = 0;
};

/// Owns the playout pipeline. push() may be called from one network thread.
class Player : public RtpSink {
public:
    explicit Player(PlayerSettings settings);
    Player(const Player&) = delete;
    Player& operator=(const Player&) = delete;
    ~Player() override;

    /// Called with each block of 16-bit samples as it is played (output "null" only; for
    /// measurements). Set before start().
    using OutputObserver = std::function<void(const std::int16_t* samples, std::size_t count)>;
    void observe_output(OutputObserver observer) { observer_ = std::move(observer); }

    /// Builds and starts the pipeline; throws std::runtime_error with GStreamer's reason.
    void start();
    /// Queues one RTP packet (clear text) for playout.
    void push(const std::uint8_t* packet, std::size_t len) override;
    void set_volume(double volume);
    void set_muted(bool muted);
    PlayoutStats stats() const;
    /// The level of what was played: after decoding and volume, as it goes to the output.
    pipeline::LevelTotals played() const { return played_.totals(); }
    /// Which of the last seconds had sound played (pipeline::LevelMeter::sound_seconds).
    std::uint64_t sound_seconds() const;
    /// An error the pipeline reported since the last call ("" if none).
    std::string take_error();
    /// Ends the stream (the WAV header gets its sizes) and waits up to `timeout`.
    void finish(std::chrono::milliseconds timeout);

private:
    struct Impl;
    void connect_observer(::GstElement* sink);
    PlayerSettings settings_;
    OutputObserver observer_;
    pipeline::LevelMeter played_{pipeline::kPlayedSilenceDbfs};
    std::unique_ptr<Impl> impl_;
};

/// The sink part of the pipeline description for an output setting.
std::string describe_output(const std::string& output, int channels);

} // namespace loa::clients
