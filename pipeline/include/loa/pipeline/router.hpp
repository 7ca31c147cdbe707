#pragma once
/// @file
/// The router: each channel (one per commune, one for the province) points at most at one
/// source; the frames of a source go to every channel bound to it, so a program heard on many
/// channels is still encoded once. Rebinding is one call and takes effect on the next frame.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/pipeline/bounded_queue.hpp"
#include "loa/pipeline/fanout.hpp"

namespace loa::pipeline {

/// Group-key mode of a channel: protected once, sent as-is to all its receivers.
struct GroupKey {
    RtpStream stream;
    SrtpSession session;
};

/// What a tap is given: every frame routed to its channel, on the router's thread. It must
/// only copy the frame and post it elsewhere (never block, never call back into the router).
using Tap = std::function<void(const OpusFrame&)>;
/// Names a tap, for Router::remove_tap.
using TapHandle = std::uint64_t;

/// Routes source frames to channels and hands them to the fan-out, on its own thread.
class Router {
public:
    static constexpr std::int64_t kNoSource = -1;
    /// Channels a router can hold: units, plus one for each receiver addressed alone.
    static constexpr std::size_t kMaxChannels = 1U << 17;

    Router(FanOut& fanout, const common::Clock& clock);
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;
    ~Router();

    /// Adds a channel (any thread, also while running); returns its index. Throws
    /// std::length_error beyond kMaxChannels.
    std::uint32_t add_channel(std::string id, std::optional<GroupKey> group = std::nullopt);
    /// Points a channel at a source (or at nothing); any thread; applies before the next frame
    /// is routed, even when the frame queue is full (so frames of the new source already
    /// waiting in the queue go to the channel too). An unknown channel is refused (false).
    bool bind(std::uint32_t channel, std::optional<std::uint32_t> source);
    /// Called from a source's streaming thread: copies the frame and returns.
    void post_frame(std::uint32_t source, const OpusFrame& frame);
    /// The source a channel is bound to, or kNoSource, as last applied.
    std::int64_t bound_source(std::uint32_t channel) const;
    /// Index of a channel by id.
    std::optional<std::uint32_t> find_channel(const std::string& id) const;
    /// Calls `tap` with each frame routed to `channel` from the next one on (what the channel
    /// sends, whatever source it is bound to); any thread. nullopt for an unknown channel.
    /// Channels without taps cost one atomic load per frame.
    std::optional<TapHandle> add_tap(std::uint32_t channel, Tap tap);
    /// Removes a tap; once this returns the tap is not running and is never called again.
    /// Any thread but the router's own (not from inside a tap). Unknown handles are ignored.
    void remove_tap(TapHandle handle);
    /// Taps in place on all channels.
    std::size_t tap_count() const;
    std::size_t channel_count() const { return channel_count_.load(std::memory_order_acquire); }
    /// Frames refused because the router fell behind.
    std::uint64_t queue_drops() const { return queue_drops_.load(std::memory_order_relaxed); }
    /// Group-key packets that SRTP refused to protect (never expected).
    std::uint64_t protect_failures() const {
        return protect_failures_.load(std::memory_order_relaxed);
    }

    void start();
    void stop();

private:
    struct Item {
        enum class Kind : std::uint8_t { frame, wake } kind = Kind::frame;
        std::uint32_t source = 0;
        OpusFrame frame;
    };
    struct Binding {
        std::uint32_t channel;
        std::int64_t source;
    };
    struct Channel {
        std::string id;
        std::optional<GroupKey> group;
        std::atomic<std::int64_t> source{kNoSource};
        std::uint32_t program = 0;
        std::atomic<std::uint32_t> program_now{0}; ///< `program`, published for the shards
        std::uint32_t timestamp = 0;
        std::uint32_t last_samples = 0;
        std::chrono::steady_clock::time_point last_frame{};
        std::atomic<std::uint32_t> tap_count{0};     ///< taps.size(), read without taps_mutex_
        std::vector<std::pair<TapHandle, Tap>> taps; ///< guarded by taps_mutex_
    };
    void run();
    void apply_pending_binds();
    void apply_bind(const Binding& binding);
    void route(const Item& item);
    void call_taps(Channel& channel, const OpusFrame& frame);
    std::uint32_t advance_clock(Channel& channel, std::uint32_t samples);

    FanOut& fanout_;
    const common::Clock& clock_;
    /// Fixed storage, so that a channel added while running never moves the others; entries
    /// below channel_count_ are complete.
    std::unique_ptr<std::unique_ptr<Channel>[]> channels_;
    std::atomic<std::size_t> channel_count_{0};
    mutable std::mutex channels_mutex_; ///< serialises add_channel and find_channel
    std::unordered_map<std::string, std::uint32_t> index_of_;
    std::vector<std::vector<std::uint32_t>> channels_of_source_;
    BoundedQueue<Item> queue_{1024};
    // Rebinding bypasses the frame queue, so a switch (an emergency) is never lost to a full
    // queue: bind() appends here, the router thread applies them before routing a frame.
    std::mutex binds_mutex_;
    std::vector<Binding> pending_binds_;
    std::atomic<bool> binds_pending_{false};
    std::uint32_t last_program_ = 0; ///< router thread only
    // Taps are rare (an operator listening in): one lock for all, taken on the packet path
    // only for a channel whose tap_count says it has some.
    mutable std::mutex taps_mutex_;
    std::unordered_map<TapHandle, std::uint32_t> tap_channels_; ///< handle -> channel
    TapHandle next_tap_ = 1;
    std::thread thread_;
    std::atomic<std::uint64_t> queue_drops_{0};
    std::atomic<std::uint64_t> protect_failures_{0};
};

} // namespace loa::pipeline
