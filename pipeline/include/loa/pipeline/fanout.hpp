#pragma once
/// @file
/// Fan-out: turns each channel's frames into one RTP/SRTP packet per receiver and sends them in
/// sendmmsg batches. Receivers are sharded over worker threads; each shard owns its receivers'
/// SRTP contexts, so libsrtp needs no locks. Nothing here allocates once running.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <sys/socket.h>
#include <thread>
#include <vector>

#include "loa/common/result.hpp"
#include "loa/pipeline/bounded_queue.hpp"
#include "loa/pipeline/opus_frame.hpp"
#include "loa/pipeline/receiver_link.hpp"
#include "loa/pipeline/rtp.hpp"
#include "loa/pipeline/srtp.hpp"

namespace loa::pipeline {

constexpr std::size_t kMaxPacketSize = kRtpHeaderSize + OpusFrame::kMaxSize + kSrtpMaxTrailer;

/// Storage for one packet. libsrtp reads headers through 32-bit pointers, so packets start on
/// an aligned address (x86 forgives misalignment, the ARM boards of receivers may not).
struct alignas(16) PacketBuffer {
    std::array<std::uint8_t, kMaxPacketSize> bytes;
    std::uint8_t* data() { return bytes.data(); }
    const std::uint8_t* data() const { return bytes.data(); }
    static constexpr std::size_t size() { return kMaxPacketSize; }
};

/// One unit of work for the shards: a channel's frame to packetise per receiver, or a packet
/// already protected with the channel's group key, to send as it is.
struct Delivery {
    enum class Kind : std::uint8_t { frame, packet };
    Kind kind = Kind::frame;
    std::uint32_t channel = 0;
    std::uint32_t channel_timestamp = 0; ///< the channel's media clock, 48 kHz samples
    std::uint32_t program = 0;           ///< changes when the channel's source changes
    /// What the channel plays now (set by the router): a delivery of an older program still
    /// queued when the channel switched is superseded and skipped, so a switch (an emergency)
    /// never waits behind frames of what it replaces. nullptr: always sent.
    const std::atomic<std::uint32_t>* program_now = nullptr;
    std::uint16_t size = 0;
    PacketBuffer bytes; ///< Opus payload or a whole SRTP packet
};

/// Counters of one shard (read from any thread).
struct FanOutStats {
    std::uint64_t packets_sent = 0;
    std::uint64_t send_drops = 0; ///< the socket refused (buffer full, unreachable)
    std::uint64_t protect_failures = 0;
    std::uint64_t not_latched = 0; ///< receiver's address not known yet
    std::uint64_t queue_drops = 0; ///< shard too slow: a delivery was refused
    std::size_t queue_depth = 0;   ///< deliveries waiting now, in the fullest shard's queue
    std::uint64_t superseded = 0;  ///< deliveries skipped: their channel had switched since
    std::size_t receivers = 0;     ///< receivers sent to (removals queued not counted)
    std::size_t places = 0;        ///< receivers' places held: removed ones are taken again
};

/// Where a receiver lives in the fan-out: its shard and its place there.
struct ReceiverHandle {
    std::uint32_t shard = 0;
    std::uint32_t index = 0;
};

/// The receivers of one worker thread. Public so that benchmarks can drive it directly.
class FanOutShard {
public:
    /// `socket_fd` is the server's media socket; `batch` how many packets per sendmmsg.
    FanOutShard(int socket_fd, std::size_t batch);

    /// Adds a receiver with its outbound SRTP session (nullopt: plain RTP, benchmarks only,
    /// or a receiver of a group-key channel). Any thread; applied before the next delivery.
    /// `owner`, if given, keeps `link` alive until the receiver's removal is applied. Returns
    /// the receiver's index in this shard: a removed receiver's, once its removal is applied.
    std::uint32_t add(std::uint32_t channel, RtpStream stream, std::optional<SrtpSession> session,
                      ReceiverLink* link, std::shared_ptr<ReceiverLink> owner = nullptr);
    /// Moves a receiver to another channel (any thread); applied before the next delivery, and
    /// its next packet carries the marker of a program change.
    void move(std::uint32_t index, std::uint32_t channel);
    /// Stops sending to a receiver for good (any thread). Its link is not touched again once
    /// the next delivery has been handled; then its session and its share of the link are
    /// dropped and its index given to the next receiver added. Its index must not be used
    /// again by the caller.
    void remove(std::uint32_t index);
    /// Replaces a receiver's SRTP session (a new key) from its next packet on (any thread);
    /// its RTP numbering continues.
    void rekey(std::uint32_t index, SrtpSession session);
    /// Sends one delivery to every receiver of its channel.
    void send(const Delivery& delivery);
    /// Applies the changes queued, as the next delivery would (the shard's thread, idle).
    void settle() {
        if (changes_pending_.load(std::memory_order_acquire))
            apply_changes();
    }
    /// Counters so far.
    FanOutStats stats() const;
    /// Indices handed out so far: the receivers of this shard, and the removed ones whose
    /// index is not taken again yet.
    std::size_t size() const { return added_.load(std::memory_order_relaxed); }
    /// Receivers this shard sends to, once the changes queued are applied.
    std::size_t receivers() const;

private:
    struct Receiver {
        RtpStream stream;
        std::optional<SrtpSession> session;
        ReceiverLink* link;
        std::shared_ptr<ReceiverLink> owner; ///< keeps `link` alive, if the caller asked
    };
    /// A change asked for from another thread, applied by the shard's own.
    struct Change {
        enum class Kind : std::uint8_t { add, move, remove, rekey } kind;
        std::uint32_t index = 0;
        std::uint32_t channel = 0;
        std::optional<Receiver> receiver;   ///< add
        std::optional<SrtpSession> session; ///< rekey
    };
    static constexpr std::uint32_t kRemoved = 0xffffffffU;
    bool stage(Receiver& r, const Delivery& delivery, std::size_t slot);
    void flush();
    void queue_change(Change change);
    void apply_changes();
    void apply(Change& change);

    int fd_;
    std::size_t batch_;
    std::vector<Receiver> receivers_;
    std::vector<std::uint32_t> channel_of_;
    std::vector<std::vector<std::uint32_t>> by_channel_;
    mutable std::mutex changes_mutex_;
    std::vector<Change> changes_;
    std::vector<std::uint32_t> free_;  ///< removed receivers' indices (changes_mutex_)
    std::vector<std::uint32_t> freed_; ///< removals applied by the last apply_changes()
    std::atomic<bool> changes_pending_{false};
    std::atomic<std::uint32_t> added_{0};
    std::vector<PacketBuffer> buffers_;
    std::vector<mmsghdr> messages_;
    std::vector<iovec> iovecs_;
    std::vector<sockaddr_in> addresses_;
    std::vector<ReceiverLink*> pending_links_;
    std::size_t pending_ = 0;
    std::atomic<std::uint64_t> sent_{0}, send_drops_{0}, protect_failures_{0}, not_latched_{0},
        superseded_{0};
};

/// Shards plus their threads and queues.
class FanOut {
public:
    /// `shards` = 0 means one per core.
    FanOut(int socket_fd, unsigned shards, std::size_t batch = 64);
    FanOut(const FanOut&) = delete;
    FanOut& operator=(const FanOut&) = delete;
    ~FanOut();

    /// Adds a receiver; any thread, applied before the next delivery. The shard is chosen
    /// round-robin.
    ReceiverHandle add_receiver(std::uint32_t channel, RtpStream stream,
                                std::optional<SrtpSession> session, ReceiverLink* link,
                                std::shared_ptr<ReceiverLink> owner = nullptr);
    /// Moves a receiver to another channel; any thread, applied before the next delivery.
    void move_receiver(ReceiverHandle receiver, std::uint32_t channel);
    /// Stops sending to a receiver for good; any thread. The handle is dead from then on.
    void remove_receiver(ReceiverHandle receiver);
    /// Gives a receiver a new SRTP session (key) from its next packet on; any thread.
    void rekey_receiver(ReceiverHandle receiver, SrtpSession session);
    void start();
    void stop();
    /// Queues a delivery for every shard: `fill` writes it once per shard. Never blocks.
    template <class Fill> void deliver(Fill&& fill) {
        for (auto& worker : workers_)
            if (!worker->queue.push_with(fill))
                worker->queue_drops.fetch_add(1, std::memory_order_relaxed);
    }
    /// Counters summed over shards.
    FanOutStats stats() const;
    unsigned shard_count() const { return static_cast<unsigned>(workers_.size()); }

private:
    struct Worker {
        Worker(int fd, std::size_t batch) : shard(fd, batch), queue(256) {}
        FanOutShard shard;
        BoundedQueue<Delivery> queue;
        std::thread thread;
        std::atomic<std::uint64_t> queue_drops{0};
    };
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<std::size_t> next_{0};
    std::atomic<bool> running_{false};
};

} // namespace loa::pipeline
