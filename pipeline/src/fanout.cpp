#include "loa/pipeline/fanout.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <poll.h>

#include "loa/common/logging.hpp"

namespace loa::pipeline {
namespace {

auto log() {
    static auto logger = common::logger("fanout");
    return logger;
}

constexpr int kSendRetries = 3;
constexpr int kWritableWaitMs = 2;

} // namespace

FanOutShard::FanOutShard(int socket_fd, std::size_t batch)
    : fd_(socket_fd), batch_(batch), buffers_(batch), messages_(batch), iovecs_(batch),
      addresses_(batch), pending_links_(batch) {
    for (std::size_t i = 0; i < batch_; ++i) {
        messages_[i] = {};
        messages_[i].msg_hdr.msg_iov = &iovecs_[i];
        messages_[i].msg_hdr.msg_iovlen = 1;
        messages_[i].msg_hdr.msg_name = &addresses_[i];
        messages_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    }
}

std::uint32_t FanOutShard::add(std::uint32_t channel, RtpStream stream,
                               std::optional<SrtpSession> session, ReceiverLink* link,
                               std::shared_ptr<ReceiverLink> owner) {
    std::lock_guard lock(changes_mutex_);
    // Adds are applied in the order they are queued, so the index is known now: a removed
    // receiver's (its removal is applied: nothing queued before can touch it), or a new one.
    std::uint32_t index = 0;
    if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
    } else {
        index = added_.fetch_add(1, std::memory_order_relaxed);
    }
    Change change{Change::Kind::add, index, channel,
                  Receiver{stream, std::move(session), link, std::move(owner)}, std::nullopt};
    changes_.push_back(std::move(change));
    changes_pending_.store(true, std::memory_order_release);
    return index;
}

void FanOutShard::queue_change(Change change) {
    std::lock_guard lock(changes_mutex_);
    changes_.push_back(std::move(change));
    changes_pending_.store(true, std::memory_order_release);
}

void FanOutShard::move(std::uint32_t index, std::uint32_t channel) {
    queue_change({Change::Kind::move, index, channel, std::nullopt, std::nullopt});
}

void FanOutShard::remove(std::uint32_t index) {
    queue_change({Change::Kind::remove, index, 0, std::nullopt, std::nullopt});
}

void FanOutShard::rekey(std::uint32_t index, SrtpSession session) {
    queue_change({Change::Kind::rekey, index, 0, std::nullopt, std::move(session)});
}

std::size_t FanOutShard::receivers() const {
    std::lock_guard lock(changes_mutex_);
    return added_.load(std::memory_order_relaxed) - free_.size();
}

void FanOutShard::apply_changes() {
    std::vector<Change> changes;
    {
        std::lock_guard lock(changes_mutex_);
        changes.swap(changes_);
        changes_pending_.store(false, std::memory_order_relaxed);
    }
    for (auto& change : changes)
        apply(change);
    if (freed_.empty())
        return;
    std::lock_guard lock(changes_mutex_);
    free_.insert(free_.end(), freed_.begin(), freed_.end());
    freed_.clear();
}

void FanOutShard::apply(Change& change) {
    auto index = change.index;
    if (change.kind == Change::Kind::add) {
        if (by_channel_.size() <= change.channel)
            by_channel_.resize(change.channel + 1);
        by_channel_[change.channel].push_back(index);
        if (index < receivers_.size()) { // a removed receiver's place
            channel_of_[index] = change.channel;
            receivers_[index] = std::move(*change.receiver);
        } else {
            channel_of_.push_back(change.channel);
            receivers_.push_back(std::move(*change.receiver));
        }
        return;
    }
    if (index >= receivers_.size() || channel_of_[index] == kRemoved)
        return;
    if (change.kind == Change::Kind::rekey) {
        receivers_[index].session = std::move(change.session);
        return;
    }
    if (change.kind == Change::Kind::move && channel_of_[index] == change.channel)
        return;
    auto& from = by_channel_[channel_of_[index]];
    from.erase(std::remove(from.begin(), from.end(), index), from.end());
    if (change.kind == Change::Kind::remove) {
        channel_of_[index] = kRemoved;
        receivers_[index].session.reset();
        receivers_[index].link = nullptr;
        receivers_[index].owner.reset();
        freed_.push_back(index);
        return;
    }
    if (by_channel_.size() <= change.channel)
        by_channel_.resize(change.channel + 1);
    by_channel_[change.channel].push_back(index);
    channel_of_[index] = change.channel;
    receivers_[index].stream.rebase();
}

bool FanOutShard::stage(Receiver& r, const Delivery& delivery, std::size_t slot) {
    if (delivery.kind == Delivery::Kind::packet) {
        iovecs_[slot].iov_base = const_cast<std::uint8_t*>(delivery.bytes.data());
        iovecs_[slot].iov_len = delivery.size;
        return true;
    }
    auto& buffer = buffers_[slot];
    RtpHeader header = r.stream.next(delivery.channel_timestamp, delivery.program);
    write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize>(buffer.data(), kRtpHeaderSize),
                     header);
    std::memcpy(buffer.data() + kRtpHeaderSize, delivery.bytes.data(), delivery.size);
    std::size_t len = kRtpHeaderSize + delivery.size;
    if (r.session && !r.session->protect_rtp(buffer.data(), len, buffer.size())) {
        protect_failures_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    iovecs_[slot].iov_base = buffer.data();
    iovecs_[slot].iov_len = len;
    return true;
}

void FanOutShard::send(const Delivery& delivery) {
    if (changes_pending_.load(std::memory_order_acquire))
        apply_changes();
    if (delivery.program_now != nullptr &&
        delivery.program_now->load(std::memory_order_acquire) != delivery.program) {
        superseded_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (delivery.channel >= by_channel_.size())
        return;
    for (std::uint32_t index : by_channel_[delivery.channel]) {
        Receiver& r = receivers_[index];
        Endpoint to = Endpoint::from_packed(r.link->address.load(std::memory_order_relaxed));
        if (!to.known()) {
            // Still advance its numbering so that its sequence never jumps back later.
            if (delivery.kind == Delivery::Kind::frame)
                (void)r.stream.next(delivery.channel_timestamp, delivery.program);
            not_latched_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (!stage(r, delivery, pending_))
            continue;
        addresses_[pending_] = to.to_sockaddr();
        pending_links_[pending_] = r.link;
        if (++pending_ == batch_)
            flush();
    }
    flush();
}

void FanOutShard::flush() {
    std::size_t done = 0;
    std::size_t refused = 0; // destinations the kernel refused, skipped
    int retries = 0;
    while (done < pending_) {
        int n = ::sendmmsg(fd_, &messages_[done], static_cast<unsigned>(pending_ - done), 0);
        if (n > 0) {
            for (std::size_t i = done; i < done + static_cast<std::size_t>(n); ++i)
                pending_links_[i]->packets_sent.fetch_add(1, std::memory_order_relaxed);
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (errno == EINTR)
            continue;
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && retries++ < kSendRetries) {
            pollfd p{fd_, POLLOUT, 0};
            ::poll(&p, 1, kWritableWaitMs);
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            // This destination is refused (e.g. unreachable, filtered); skip it, keep the rest.
            ++refused;
            ++done;
            continue;
        }
        break;
    }
    sent_.fetch_add(done - refused, std::memory_order_relaxed);
    send_drops_.fetch_add(pending_ - done + refused, std::memory_order_relaxed);
    pending_ = 0;
}

FanOutStats FanOutShard::stats() const {
    FanOutStats s;
    s.packets_sent = sent_.load(std::memory_order_relaxed);
    s.send_drops = send_drops_.load(std::memory_order_relaxed);
    s.protect_failures = protect_failures_.load(std::memory_order_relaxed);
    s.not_latched = not_latched_.load(std::memory_order_relaxed);
    s.superseded = superseded_.load(std::memory_order_relaxed);
    s.receivers = receivers();
    s.places = size();
    return s;
}

FanOut::FanOut(int socket_fd, unsigned shards, std::size_t batch) {
    if (shards == 0)
        shards = std::max(1U, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < shards; ++i)
        workers_.push_back(std::make_unique<Worker>(socket_fd, batch));
}

FanOut::~FanOut() {
    stop();
}

ReceiverHandle FanOut::add_receiver(std::uint32_t channel, RtpStream stream,
                                    std::optional<SrtpSession> session, ReceiverLink* link,
                                    std::shared_ptr<ReceiverLink> owner) {
    auto shard = static_cast<std::uint32_t>(next_.fetch_add(1) % workers_.size());
    auto index =
        workers_[shard]->shard.add(channel, stream, std::move(session), link, std::move(owner));
    return {shard, index};
}

void FanOut::move_receiver(ReceiverHandle receiver, std::uint32_t channel) {
    if (receiver.shard < workers_.size())
        workers_[receiver.shard]->shard.move(receiver.index, channel);
}

void FanOut::remove_receiver(ReceiverHandle receiver) {
    if (receiver.shard < workers_.size())
        workers_[receiver.shard]->shard.remove(receiver.index);
}

void FanOut::rekey_receiver(ReceiverHandle receiver, SrtpSession session) {
    if (receiver.shard < workers_.size())
        workers_[receiver.shard]->shard.rekey(receiver.index, std::move(session));
}

void FanOut::start() {
    if (running_.exchange(true))
        return;
    for (auto& worker : workers_) {
        Worker* w = worker.get();
        w->thread = std::thread([w] {
            for (;;) {
                bool got = w->queue.pop_with(std::chrono::milliseconds(500),
                                             [w](const Delivery& d) { w->shard.send(d); });
                if (!got && w->queue.closed())
                    return;
                if (!got) // idle: removals are applied (and their links let go) all the same
                    w->shard.settle();
            }
        });
    }
    log()->info("fan-out started: {} shard(s)", workers_.size());
}

void FanOut::stop() {
    if (!running_.exchange(false))
        return;
    for (auto& worker : workers_)
        worker->queue.close();
    for (auto& worker : workers_)
        if (worker->thread.joinable())
            worker->thread.join();
}

FanOutStats FanOut::stats() const {
    FanOutStats total;
    for (const auto& worker : workers_) {
        FanOutStats s = worker->shard.stats();
        total.packets_sent += s.packets_sent;
        total.send_drops += s.send_drops;
        total.protect_failures += s.protect_failures;
        total.not_latched += s.not_latched;
        total.queue_drops += worker->queue_drops.load(std::memory_order_relaxed);
        total.queue_depth = std::max(total.queue_depth, worker->queue.size());
        total.superseded += s.superseded;
        total.receivers += s.receivers;
        total.places += s.places;
    }
    return total;
}

} // namespace loa::pipeline
