#pragma once
/// @file
/// Raw audio handed from one pipeline to another in the same process: a live speaker's
/// decoded voice (pushed by the WebRTC session) to the program source that encodes it for
/// the channels (SourceKind::feed). The source may come and go (an emergency preempts the
/// broadcast, then it resumes) while the speaker goes on.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

using GstElement = struct _GstElement; // NOLINT: GStreamer's own spelling

namespace loa::pipeline {

/// The format of a feed: 16-bit mono at 48 kHz, as GStreamer caps.
inline constexpr const char* kFeedCaps =
    "audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=1";

/// One live feed of raw audio. Thread-safe: the producer pushes on its streaming thread, the
/// consuming source attaches and detaches on its own.
class PcmFeed {
public:
    PcmFeed() = default;
    PcmFeed(const PcmFeed&) = delete;
    PcmFeed& operator=(const PcmFeed&) = delete;
    ~PcmFeed();

    /// Makes `appsrc` (a live `appsrc` with kFeedCaps) the consumer; it replaces any other.
    void attach(GstElement* appsrc);
    /// Lets go of `appsrc` if it is the consumer; pushes after this go nowhere.
    void detach(GstElement* appsrc);
    /// Hands on `bytes` of samples in kFeedCaps (nothing happens without a consumer).
    void push(const std::uint8_t* data, std::size_t bytes);
    /// The steady-clock time of the last push (0 before the first).
    std::chrono::steady_clock::time_point last_push() const;
    /// Samples pushed so far.
    std::uint64_t samples() const { return samples_.load(std::memory_order_relaxed); }

private:
    mutable std::mutex mutex_;
    GstElement* consumer_ = nullptr; ///< a reference we hold
    std::atomic<std::int64_t> last_push_ns_{0};
    std::atomic<std::uint64_t> samples_{0};
};

} // namespace loa::pipeline
