#include "loa/pipeline/level_meter.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <gst/gst.h>

namespace loa::pipeline {
namespace {

constexpr int kBlockMs = 100;
constexpr std::int64_t kSecondNs = 1'000'000'000;

/// `mask` (bit 0 = second `at`) as seen from second `now`: older seconds move up, those beyond
/// the window fall out.
std::uint64_t shifted(std::uint64_t mask, std::int64_t at, std::int64_t now) {
    auto shift = now - at;
    if (shift <= 0)
        return mask;
    if (shift >= LevelMeter::kSoundSeconds)
        return 0;
    return (mask << shift) & ((std::uint64_t{1} << LevelMeter::kSoundSeconds) - 1);
}
constexpr double kFullScale = 32768.0;

double to_dbfs(double mean_square) {
    if (mean_square <= 0)
        return kSilenceDbfs;
    return std::max(kSilenceDbfs, 10.0 * std::log10(mean_square / (kFullScale * kFullScale)));
}

} // namespace

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double rms_dbfs(const std::int16_t* samples, std::size_t count) {
    if (count == 0)
        return kSilenceDbfs;
    double sum = 0;
    for (std::size_t i = 0; i < count; ++i)
        sum += static_cast<double>(samples[i]) * samples[i];
    return to_dbfs(sum / static_cast<double>(count));
}

LevelMeter::LevelMeter(double threshold_dbfs, int rate)
    : threshold_dbfs_(threshold_dbfs),
      block_frames_(static_cast<std::size_t>(std::max(1, rate * kBlockMs / 1000))) {}

void LevelMeter::feed(const std::int16_t* samples, std::size_t count, int channels,
                      std::int64_t now_ns) {
    auto width = static_cast<std::size_t>(std::max(1, channels));
    count -= count % width; // whole frames only
    std::size_t i = 0;
    while (i < count) {
        // Up to the end of the open block, in one tight loop (integers: a block's sum of
        // squares is far below 2^63).
        auto take = std::min(count - i, (block_frames_ - frames_) * width);
        std::int64_t sum = 0;
        for (std::size_t k = i; k < i + take; ++k)
            sum += static_cast<std::int64_t>(samples[k]) * samples[k];
        sum_squares_ += sum;
        samples_ += take;
        frames_ += take / width;
        i += take;
        if (frames_ == block_frames_)
            close_block(now_ns);
    }
}

void LevelMeter::close_block(std::int64_t now_ns) {
    double level = to_dbfs(static_cast<double>(sum_squares_) / static_cast<double>(samples_));
    last_dbfs_.store(level, std::memory_order_relaxed);
    // measured_ms before sound_ms, read in the other order: a reader never sees more sound
    // than audio.
    measured_ms_.fetch_add(kBlockMs, std::memory_order_release);
    last_block_ns_.store(now_ns, std::memory_order_relaxed);
    if (level >= threshold_dbfs_) {
        sound_ms_.fetch_add(kBlockMs, std::memory_order_release);
        last_sound_ns_.store(now_ns, std::memory_order_relaxed);
        run_ms_ += kBlockMs;
        if (run_ms_ >= kSustainedMs)
            last_sustained_ns_.store(now_ns, std::memory_order_relaxed);
        std::lock_guard lock(seconds_mutex_);
        auto second = now_ns / kSecondNs;
        seconds_ = shifted(seconds_, seconds_at_, second) | 1;
        seconds_at_ = std::max(seconds_at_, second);
    } else {
        run_ms_ = 0;
    }
    sum_squares_ = 0;
    frames_ = 0;
    samples_ = 0;
}

std::uint64_t LevelMeter::sound_seconds(std::int64_t now_ns) const {
    std::lock_guard lock(seconds_mutex_);
    return shifted(seconds_, seconds_at_, now_ns / kSecondNs);
}

LevelTotals LevelMeter::totals() const {
    LevelTotals t;
    t.sound_ms = sound_ms_.load(std::memory_order_acquire);
    t.measured_ms = measured_ms_.load(std::memory_order_acquire);
    t.last_dbfs = last_dbfs_.load(std::memory_order_relaxed);
    t.last_sound_ns = last_sound_ns_.load(std::memory_order_relaxed);
    t.last_block_ns = last_block_ns_.load(std::memory_order_relaxed);
    t.last_sustained_ns = last_sustained_ns_.load(std::memory_order_relaxed);
    return t;
}

bool meter_pad(GstElement* pipeline, const char* element, const char* pad, LevelMeter& meter,
               int channels) {
    GstElement* found = gst_bin_get_by_name(GST_BIN(pipeline), element);
    if (found == nullptr)
        return false;
    GstPad* static_pad = gst_element_get_static_pad(found, pad);
    gst_object_unref(found);
    if (static_pad == nullptr)
        return false;
    struct Target {
        LevelMeter* meter;
        int channels;
    };
    auto on_buffer = [](GstPad*, GstPadProbeInfo* info, gpointer data) {
        const auto* target = static_cast<const Target*>(data);
        GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        GstMapInfo map;
        if (buffer != nullptr && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
            target->meter->feed(reinterpret_cast<const std::int16_t*>(map.data), map.size / 2,
                                target->channels, steady_ns());
            gst_buffer_unmap(buffer, &map);
        }
        return GST_PAD_PROBE_OK;
    };
    gst_pad_add_probe(static_pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer,
                      new Target{&meter, channels},
                      [](gpointer data) { delete static_cast<Target*>(data); });
    gst_object_unref(static_pad);
    return true;
}

} // namespace loa::pipeline
