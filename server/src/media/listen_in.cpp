#include "loa/server/media/listen_in.hpp"

#include <cstring>
#include <optional>
#include <vector>

#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"

namespace loa::server {
namespace {

auto log() {
    static auto logger = common::logger("listen");
    return logger;
}

/// How often listeners are looked at for a client that has gone while nothing was playing.
constexpr auto kSweep = std::chrono::milliseconds(500);

std::uint32_t random_serial() {
    std::uint32_t serial = 0;
    common::random_bytes(&serial, sizeof serial);
    return serial;
}

} // namespace

/// A place among max_listeners, given back when its last holder lets go of it.
struct ListenIn::Place {
    explicit Place(std::shared_ptr<std::atomic<std::size_t>> count) : places(std::move(count)) {}
    Place(const Place&) = delete;
    Place& operator=(const Place&) = delete;
    ~Place() { places->fetch_sub(1); }

    std::shared_ptr<std::atomic<std::size_t>> places;
};

/// One stream: its channel's tap, its Ogg pages, its HTTP sink.
struct ListenIn::Listener {
    Listener(std::uint64_t id, std::string channel, std::string who, std::shared_ptr<Place> place,
             std::function<bool()> allowed, std::shared_ptr<http::HttpStreamSink> sink,
             int channels)
        : id(id), channel(std::move(channel)), who(std::move(who)), place(std::move(place)),
          allowed(std::move(allowed)), sink(std::move(sink)), writer(random_serial(), channels) {}

    std::uint64_t id;
    std::string channel;
    std::string who;
    std::shared_ptr<Place> place;
    std::function<bool()> allowed; ///< false once the listener's session has ended
    std::shared_ptr<http::HttpStreamSink> sink;
    pipeline::OggOpusWriter writer;
    std::optional<pipeline::TapHandle> tap;
    std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
    std::uint64_t frames = 0;
};

ListenIn::ListenIn(MediaServer& media, std::size_t max_listeners)
    : media_(media), channels_(media.settings().encoder.channels), max_listeners_(max_listeners),
      places_(std::make_shared<std::atomic<std::size_t>>(0)) {
    thread_ = std::thread([this] { run(); });
}

ListenIn::~ListenIn() {
    queue_.close();
    if (thread_.joinable())
        thread_.join();
    std::vector<std::uint64_t> ids;
    {
        std::lock_guard lock(mutex_);
        for (const auto& entry : listeners_)
            ids.push_back(entry.first);
    }
    for (auto id : ids)
        remove(id, "the server is stopping");
}

std::variant<http::HttpStreamProducer, ListenRefusal>
ListenIn::open(const std::string& channel, const std::string& who,
               const std::function<bool()>& allowed) {
    if (!media_.has_channel(channel))
        return ListenRefusal::no_channel;
    if (places_->fetch_add(1) >= max_listeners_) {
        places_->fetch_sub(1);
        log()->warn("{} cannot listen in on {}: {} listeners already", who, channel,
                    max_listeners_);
        return ListenRefusal::full;
    }
    auto place = std::make_shared<Place>(places_);
    return http::HttpStreamProducer(
        [this, place, channel, who, allowed](std::shared_ptr<http::HttpStreamSink> sink) {
            attach(place, channel, who, allowed, std::move(sink));
        });
}

void ListenIn::attach(std::shared_ptr<Place> place, const std::string& channel,
                      const std::string& who, std::function<bool()> allowed,
                      std::shared_ptr<http::HttpStreamSink> sink) {
    auto id = next_id_.fetch_add(1);
    auto listener = std::make_unique<Listener>(id, channel, who, std::move(place),
                                               std::move(allowed), std::move(sink), channels_);
    if (!listener->sink->write(listener->writer.headers()))
        return; // gone already
    {
        std::lock_guard lock(mutex_);
        listeners_.emplace(id, std::move(listener));
    }
    // The tap only copies the frame into the queue; pages are made on this object's thread.
    auto tap = media_.tap(channel, [this, id](const pipeline::OpusFrame& frame) {
        bool queued = queue_.push_with([&](Item& item) {
            item.listener = id;
            item.frame.size = frame.size;
            item.frame.samples = frame.samples;
            std::memcpy(item.frame.data.data(), frame.data.data(), frame.size);
        });
        if (!queued)
            drops_.fetch_add(1, std::memory_order_relaxed);
    });
    if (!tap)
        return remove(id, "no such channel");
    {
        std::lock_guard lock(mutex_);
        if (auto it = listeners_.find(id); it != listeners_.end()) {
            it->second->tap = tap;
            tap.reset();
        }
    }
    if (tap) // removed meanwhile (its client went at once)
        media_.untap(*tap);
    log()->info("{} listens in on {} (#{}; {} listening)", who, channel, id, listeners());
}

void ListenIn::run() {
    auto next_sweep = std::chrono::steady_clock::now() + kSweep;
    for (;;) {
        bool got = queue_.pop_with(kSweep, [this](const Item& item) { deliver(item); });
        if (!got && queue_.closed())
            return;
        if (auto now = std::chrono::steady_clock::now(); now >= next_sweep) {
            sweep();
            next_sweep = now + kSweep;
        }
    }
}

void ListenIn::deliver(const Item& item) {
    {
        std::lock_guard lock(mutex_);
        auto it = listeners_.find(item.listener);
        if (it == listeners_.end())
            return; // removed; a frame tapped just before
        Listener& listener = *it->second;
        auto page = listener.writer.page(
            std::span<const std::uint8_t>(item.frame.data.data(), item.frame.size),
            item.frame.samples);
        ++listener.frames;
        if (listener.sink->write(std::move(page)))
            return;
    }
    remove(item.listener, "its stream has ended");
}

void ListenIn::sweep() {
    std::vector<std::uint64_t> ended;
    std::vector<std::pair<std::uint64_t, std::function<bool()>>> sessions;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, listener] : listeners_)
            if (!listener->sink->open())
                ended.push_back(id);
            else
                sessions.emplace_back(id, listener->allowed);
    }
    for (auto id : ended)
        remove(id, "its stream has ended");
    for (const auto& [id, allowed] : sessions) // may read the database: outside the lock
        if (!allowed())
            remove(id, "the listener's session has ended");
}

void ListenIn::remove(std::uint64_t id, const char* why) {
    std::unique_ptr<Listener> listener;
    {
        std::lock_guard lock(mutex_);
        auto it = listeners_.find(id);
        if (it == listeners_.end())
            return;
        listener = std::move(it->second);
        listeners_.erase(it);
    }
    if (listener->tap)
        media_.untap(*listener->tap);
    listener->sink->end();
    auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - listener->since);
    auto who = listener->who;
    auto channel = listener->channel;
    auto frames = listener->frames;
    listener.reset(); // gives its place back
    log()->info("{} stopped listening in on {} after {:.1f} s, {} frames: {} (#{}; {} listening)",
                who, channel, seconds.count(), frames, why, id, listeners());
}

} // namespace loa::server
