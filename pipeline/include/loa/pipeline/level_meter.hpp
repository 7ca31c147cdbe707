#pragma once
/// @file
/// The level of audio as it passes: blocks of 100 ms, each measured as RMS in dBFS, counted as
/// sound when at or above a threshold. Fed from a GStreamer streaming thread, read from any
/// other: what a receiver reports as proof that it played, what the server watches for dead
/// air.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

using GstElement = struct _GstElement; // NOLINT: GStreamer's own spelling

namespace loa::pipeline {

/// The quietest level a meter reports: digital silence.
constexpr double kSilenceDbfs = -100.0;

/// RMS of 16-bit samples, in dBFS (a full-scale sine is -3 dBFS); kSilenceDbfs for silence.
double rms_dbfs(const std::int16_t* samples, std::size_t count);

/// The monotonic clock now, in nanoseconds: the time base of LevelTotals' times.
std::int64_t steady_ns();

/// What a meter has measured since it was made.
struct LevelTotals {
    std::uint64_t measured_ms = 0;   ///< audio measured
    std::uint64_t sound_ms = 0;      ///< of which at or above the threshold
    double last_dbfs = kSilenceDbfs; ///< the last complete block's level
    /// The monotonic time (ns) the last sound block ended; 0 if none yet.
    std::int64_t last_sound_ns = 0;
    /// When the last block of any level ended (audio is flowing while this is recent); 0 if
    /// none yet.
    std::int64_t last_block_ns = 0;
    /// When the last block of a run of sound at least kSustainedMs long ended: a blip is not
    /// sound again, a word is; 0 if none yet.
    std::int64_t last_sustained_ns = 0;
};

/// How long a run of sound blocks must last to count as sustained sound.
constexpr int kSustainedMs = 300;

/// Below this level (RMS over 100 ms, after volume) a receiver's output counts as silent: far
/// under any program at the lowest volume an operator sets, far above decoder noise.
constexpr double kPlayedSilenceDbfs = -60;

/// Thread-safe: one thread feeds, any thread reads.
class LevelMeter {
public:
    /// Sound is a block at or above `threshold_dbfs`.
    LevelMeter(double threshold_dbfs, int rate = 48000);

    /// Measures interleaved samples of `channels` channels; `now_ns` is the monotonic time.
    void feed(const std::int16_t* samples, std::size_t count, int channels, std::int64_t now_ns);
    LevelTotals totals() const;
    double threshold_dbfs() const { return threshold_dbfs_; }
    /// Which of the last kSoundSeconds seconds had sound, as of `now_ns`: bit i is the second
    /// i seconds before the one `now_ns` falls in (bit 0: that second so far). Any thread.
    std::uint64_t sound_seconds(std::int64_t now_ns) const;
    /// How many seconds sound_seconds() covers: few enough for an exact JSON number anywhere.
    static constexpr int kSoundSeconds = 52;

private:
    void close_block(std::int64_t now_ns);

    double threshold_dbfs_;
    std::size_t block_frames_;
    // Of the open block (feeding thread only).
    std::int64_t sum_squares_ = 0;
    std::size_t frames_ = 0;
    std::size_t samples_ = 0;
    // Published.
    std::atomic<std::uint64_t> measured_ms_{0};
    std::atomic<std::uint64_t> sound_ms_{0};
    std::atomic<double> last_dbfs_{kSilenceDbfs};
    std::atomic<std::int64_t> last_sound_ns_{0};
    std::atomic<std::int64_t> last_block_ns_{0};
    std::atomic<std::int64_t> last_sustained_ns_{0};
    std::int64_t run_ms_ = 0; ///< the current run of sound blocks (feeding thread only)
    mutable std::mutex seconds_mutex_;
    std::uint64_t seconds_ = 0;   ///< sound seconds, bit 0 = second `seconds_at_`
    std::int64_t seconds_at_ = 0; ///< the monotonic second of bit 0
};

/// Feeds `meter` with every buffer passing the pad `pad` of the element named `element` in
/// `pipeline` (16-bit interleaved audio of `channels` channels). The meter must outlive the
/// pipeline. False if there is no such element or pad.
bool meter_pad(::GstElement* pipeline, const char* element, const char* pad, LevelMeter& meter,
               int channels);

} // namespace loa::pipeline
