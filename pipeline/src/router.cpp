#include "loa/pipeline/router.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"

namespace loa::pipeline {
namespace {

auto log() {
    static auto logger = common::logger("router");
    return logger;
}

/// A silence longer than this many frames advances the media clock by the wall time elapsed.
constexpr std::uint32_t kGapFrames = 3;

} // namespace

Router::Router(FanOut& fanout, const common::Clock& clock)
    : fanout_(fanout), clock_(clock),
      channels_(std::make_unique<std::unique_ptr<Channel>[]>(kMaxChannels)) {}

Router::~Router() {
    stop();
}

std::uint32_t Router::add_channel(std::string id, std::optional<GroupKey> group) {
    auto channel = std::make_unique<Channel>();
    channel->id = std::move(id);
    channel->group = std::move(group);
    std::uint32_t timestamp = 0;
    common::random_bytes(&timestamp, sizeof timestamp);
    channel->timestamp = timestamp;
    std::lock_guard lock(channels_mutex_);
    auto index = channel_count_.load(std::memory_order_relaxed);
    if (index >= kMaxChannels)
        throw std::length_error("a router holds at most " + std::to_string(kMaxChannels) +
                                " channels");
    index_of_.emplace(channel->id, static_cast<std::uint32_t>(index));
    channels_[index] = std::move(channel);
    channel_count_.store(index + 1, std::memory_order_release);
    return static_cast<std::uint32_t>(index);
}

std::optional<std::uint32_t> Router::find_channel(const std::string& id) const {
    std::lock_guard lock(channels_mutex_);
    auto it = index_of_.find(id);
    if (it == index_of_.end())
        return std::nullopt;
    return it->second;
}

std::optional<TapHandle> Router::add_tap(std::uint32_t channel, Tap tap) {
    if (channel >= channel_count() || !tap)
        return std::nullopt;
    Channel& c = *channels_[channel];
    std::lock_guard lock(taps_mutex_);
    TapHandle handle = next_tap_++;
    c.taps.emplace_back(handle, std::move(tap));
    c.tap_count.store(static_cast<std::uint32_t>(c.taps.size()), std::memory_order_release);
    tap_channels_.emplace(handle, channel);
    return handle;
}

void Router::remove_tap(TapHandle handle) {
    Tap removed; // destroyed after the lock is released: it may own what posts its frames
    std::lock_guard lock(taps_mutex_);
    auto it = tap_channels_.find(handle);
    if (it == tap_channels_.end())
        return;
    Channel& c = *channels_[it->second];
    tap_channels_.erase(it);
    auto found = std::find_if(c.taps.begin(), c.taps.end(),
                              [handle](const auto& t) { return t.first == handle; });
    if (found != c.taps.end()) {
        removed = std::move(found->second);
        c.taps.erase(found);
    }
    c.tap_count.store(static_cast<std::uint32_t>(c.taps.size()), std::memory_order_release);
}

std::size_t Router::tap_count() const {
    std::lock_guard lock(taps_mutex_);
    return tap_channels_.size();
}

void Router::call_taps(Channel& channel, const OpusFrame& frame) {
    std::lock_guard lock(taps_mutex_);
    for (const auto& [handle, tap] : channel.taps)
        tap(frame);
}

bool Router::bind(std::uint32_t channel, std::optional<std::uint32_t> source) {
    if (channel >= channel_count()) {
        log()->error("cannot bind channel #{}: there are {} channels", channel, channel_count());
        return false;
    }
    {
        std::lock_guard lock(binds_mutex_);
        pending_binds_.push_back(
            {channel, source ? static_cast<std::int64_t>(*source) : kNoSource});
        binds_pending_.store(true, std::memory_order_release);
    }
    // Wake the router if it is idle; if the queue is full it is busy and sees the binding
    // before its next frame anyway.
    (void)queue_.push_with([](Item& item) { item.kind = Item::Kind::wake; });
    return true;
}

void Router::post_frame(std::uint32_t source, const OpusFrame& frame) {
    bool queued = queue_.push_with([&](Item& item) {
        item.kind = Item::Kind::frame;
        item.source = source;
        item.frame.size = frame.size;
        item.frame.samples = frame.samples;
        std::memcpy(item.frame.data.data(), frame.data.data(), frame.size);
    });
    if (!queued)
        queue_drops_.fetch_add(1, std::memory_order_relaxed);
}

std::int64_t Router::bound_source(std::uint32_t channel) const {
    if (channel >= channel_count())
        throw std::out_of_range("no channel #" + std::to_string(channel));
    return channels_[channel]->source.load(std::memory_order_acquire);
}

void Router::start() {
    if (thread_.joinable())
        return;
    thread_ = std::thread([this] { run(); });
}

void Router::stop() {
    queue_.close();
    if (thread_.joinable())
        thread_.join();
}

void Router::run() {
    for (;;) {
        bool got = queue_.pop_with(std::chrono::milliseconds(500), [this](const Item& item) {
            if (binds_pending_.load(std::memory_order_acquire))
                apply_pending_binds();
            if (item.kind == Item::Kind::frame)
                route(item);
        });
        if (!got && queue_.closed())
            return;
    }
}

void Router::apply_pending_binds() {
    std::vector<Binding> binds;
    {
        std::lock_guard lock(binds_mutex_);
        binds.swap(pending_binds_);
        binds_pending_.store(false, std::memory_order_relaxed);
    }
    for (const auto& b : binds)
        apply_bind(b);
}

void Router::apply_bind(const Binding& binding) {
    Channel& channel = *channels_[binding.channel];
    std::int64_t previous = channel.source.load(std::memory_order_relaxed);
    if (previous == binding.source)
        return;
    if (previous != kNoSource) {
        auto& list = channels_of_source_[static_cast<std::size_t>(previous)];
        list.erase(std::remove(list.begin(), list.end(), binding.channel), list.end());
    }
    if (binding.source != kNoSource) {
        auto source = static_cast<std::size_t>(binding.source);
        if (channels_of_source_.size() <= source)
            channels_of_source_.resize(source + 1);
        channels_of_source_[source].push_back(binding.channel);
    }
    // Program numbers are unique across channels, so that a receiver moved from one channel to
    // another also sees a change (marker bit, continuous timestamps).
    channel.program = ++last_program_;
    channel.program_now.store(channel.program, std::memory_order_release);
    channel.source.store(binding.source, std::memory_order_release);
    log()->info("channel {} now plays source {}", channel.id, binding.source);
}

std::uint32_t Router::advance_clock(Channel& channel, std::uint32_t samples) {
    auto now = clock_.steady_now();
    if (channel.last_samples != 0) {
        std::uint32_t advance = channel.last_samples;
        auto elapsed =
            std::chrono::duration_cast<std::chrono::microseconds>(now - channel.last_frame);
        auto elapsed_samples =
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, elapsed.count())) * 48 / 1000;
        if (elapsed_samples > std::uint64_t{kGapFrames} * channel.last_samples)
            advance = static_cast<std::uint32_t>(elapsed_samples / channel.last_samples *
                                                 channel.last_samples);
        channel.timestamp += advance;
    }
    channel.last_samples = samples;
    channel.last_frame = now;
    return channel.timestamp;
}

void Router::route(const Item& item) {
    if (item.source >= channels_of_source_.size())
        return;
    for (std::uint32_t index : channels_of_source_[item.source]) {
        Channel& channel = *channels_[index];
        std::uint32_t timestamp = advance_clock(channel, item.frame.samples);
        if (channel.tap_count.load(std::memory_order_acquire) != 0)
            call_taps(channel, item.frame);
        if (!channel.group) {
            fanout_.deliver([&](Delivery& d) {
                d.kind = Delivery::Kind::frame;
                d.channel = index;
                d.channel_timestamp = timestamp;
                d.program = channel.program;
                d.program_now = &channel.program_now;
                d.size = item.frame.size;
                std::memcpy(d.bytes.data(), item.frame.data.data(), item.frame.size);
            });
            continue;
        }
        // Group key: protect once here, the shards send the same bytes to every receiver.
        PacketBuffer packet;
        RtpHeader header = channel.group->stream.next(timestamp, channel.program);
        write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize>(packet.data(), kRtpHeaderSize),
                         header);
        std::memcpy(packet.data() + kRtpHeaderSize, item.frame.data.data(), item.frame.size);
        std::size_t len = kRtpHeaderSize + item.frame.size;
        if (!channel.group->session.protect_rtp(packet.data(), len, packet.size())) {
            protect_failures_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        fanout_.deliver([&](Delivery& d) {
            d.kind = Delivery::Kind::packet;
            d.channel = index;
            d.program = channel.program;
            d.program_now = &channel.program_now;
            d.size = static_cast<std::uint16_t>(len);
            std::memcpy(d.bytes.data(), packet.data(), len);
        });
    }
}

} // namespace loa::pipeline
