#pragma once
/// @file
/// Listening in: an operator's browser plays what a channel sends right now, as an Ogg Opus
/// stream over HTTP (GET /api/v1/channels/CODE/listen.ogg). Each listener taps its channel on
/// the router; the tap only copies frames into one queue, and one thread muxes them into each
/// listener's Ogg pages (no re-encoding) and hands them to its HTTP stream. A listener whose
/// client has gone, stalled or whose server is stopping is removed with its tap.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "loa/http/server.hpp"
#include "loa/pipeline/bounded_queue.hpp"
#include "loa/pipeline/ogg_opus.hpp"
#include "loa/pipeline/opus_frame.hpp"
#include "loa/server/media/media_server.hpp"

namespace loa::server {

/// Why ListenIn::open refused.
enum class ListenRefusal {
    no_channel, ///< no such channel
    full,       ///< max_listeners are listening
};

/// The listeners of a server's channels. Thread-safe.
class ListenIn {
public:
    /// Listeners a server serves at once.
    static constexpr std::size_t kMaxListeners = 32;

    /// Taps `media`'s channels, which must outlive this; starts the muxing thread.
    explicit ListenIn(MediaServer& media, std::size_t max_listeners = kMaxListeners);
    ListenIn(const ListenIn&) = delete;
    ListenIn& operator=(const ListenIn&) = delete;
    /// Ends every stream and removes every tap.
    ~ListenIn();

    /// A producer for an HTTP streaming response that plays `channel` (a unit's code or
    /// "@id"), or why not; `who` names the listener in the log (never a token). A place is
    /// held from now until the stream ends, or until the producer is destroyed unused. The
    /// stream ends when `allowed` turns false (the listener's session ended); it is asked
    /// about twice a second, off the packet path.
    std::variant<http::HttpStreamProducer, ListenRefusal> open(
        const std::string& channel, const std::string& who,
        const std::function<bool()>& allowed = [] { return true; });
    /// Places held (streams open or about to be).
    std::size_t listeners() const { return places_->load(); }
    /// Frames lost because the muxing thread fell behind.
    std::uint64_t drops() const { return drops_.load(std::memory_order_relaxed); }

private:
    struct Listener;
    struct Place;
    struct Item {
        std::uint64_t listener = 0;
        pipeline::OpusFrame frame;
    };
    void attach(std::shared_ptr<Place> place, const std::string& channel, const std::string& who,
                std::function<bool()> allowed, std::shared_ptr<http::HttpStreamSink> sink);
    void run();
    void deliver(const Item& item);
    void sweep();
    void remove(std::uint64_t id, const char* why);

    MediaServer& media_;
    int channels_;
    std::size_t max_listeners_;
    std::shared_ptr<std::atomic<std::size_t>> places_;
    std::atomic<std::uint64_t> next_id_{1};
    std::atomic<std::uint64_t> drops_{0};
    mutable std::mutex mutex_; ///< guards listeners_
    std::map<std::uint64_t, std::unique_ptr<Listener>> listeners_;
    pipeline::BoundedQueue<Item> queue_{1024};
    std::thread thread_;
};

} // namespace loa::server
