#include "loa/pipeline/report_listener.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

#include "loa/common/logging.hpp"
#include "loa/pipeline/rtcp.hpp"
#include "loa/pipeline/ssrc.hpp"

namespace loa::pipeline {
namespace {

auto log() {
    static auto logger = common::logger("reports");
    return logger;
}

constexpr std::size_t kMaxDatagram = 1500;

std::uint32_t read32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           p[3];
}

} // namespace

ReportListener::ReportListener(int socket_fd, const common::Clock& clock,
                               std::chrono::seconds latch_lifetime)
    : fd_(socket_fd), clock_(clock), latch_lifetime_(latch_lifetime) {}

ReportListener::~ReportListener() {
    stop();
}

common::Result<void> ReportListener::add_receiver(const ReceiverSpec& spec, ReceiverLink* link,
                                                  std::optional<ReportPosition> floor) {
    auto session = SrtpSession::inbound(spec.profile, spec.key);
    if (!session)
        return common::make_error(session.error().code,
                                  "receiver " + spec.id + ": " + session.error().message);
    std::lock_guard lock(mutex_);
    if (by_cname_.contains(spec.id))
        return common::make_error(common::Errc::already_exists,
                                  "receiver " + spec.id + " is listed twice");
    by_cname_.emplace(spec.id, entries_.size());
    bool aead = spec.profile == SrtpProfile::aead_aes_128_gcm;
    entries_.push_back(Entry{spec.id,
                             std::move(session).value(),
                             std::nullopt,
                             {},
                             spec.address,
                             spec.profile,
                             link,
                             std::nullopt,
                             floor,
                             aead ? 16U : 10U,
                             aead});
    if (floor)
        link->report_position.store(floor->packed(), std::memory_order_relaxed);
    return {};
}

void ReportListener::remove_receiver(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = by_cname_.find(id);
    if (it == by_cname_.end())
        return;
    auto index = it->second;
    by_cname_.erase(it);
    // The last entry takes the removed one's place: nothing of a removed receiver is kept, and
    // its session and link are never touched again once this returns.
    if (index + 1 != entries_.size()) {
        entries_[index] = std::move(entries_.back());
        by_cname_[entries_[index].id] = index;
    }
    entries_.pop_back();
}

std::size_t ReportListener::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

common::Result<void> ReportListener::rekey_receiver(const std::string& id,
                                                    const std::vector<std::uint8_t>& key) {
    std::lock_guard lock(mutex_);
    auto it = by_cname_.find(id);
    if (it == by_cname_.end())
        return common::make_error(common::Errc::not_found, "no receiver " + id);
    Entry& entry = entries_[it->second];
    auto session = SrtpSession::inbound(entry.profile, key);
    if (!session)
        return common::make_error(session.error().code,
                                  "receiver " + id + ": " + session.error().message);
    entry.previous.emplace(std::move(entry.session));
    entry.previous_until = clock_.steady_now() + kPreviousKeyGrace;
    entry.session = std::move(session).value();
    return {};
}

bool ReportListener::unprotect(Entry& entry, std::uint8_t* data, std::size_t& len) {
    if (!entry.previous)
        return entry.session.unprotect_rtcp(data, len);
    // A failed AEAD check may leave the buffer decrypted: try the keys on copies.
    std::array<std::uint8_t, 1500> copy{};
    if (len > copy.size())
        return false;
    for (SrtpSession* session : {&entry.session, &*entry.previous}) {
        std::memcpy(copy.data(), data, len);
        std::size_t n = len;
        if (session->unprotect_rtcp(copy.data(), n)) {
            std::memcpy(data, copy.data(), n);
            len = n;
            if (session == &entry.session) {
                // The receiver has switched: whoever still holds the old key is locked out.
                entry.previous.reset();
                log()->info("receiver {} reports under its new key; the previous one is dropped",
                            entry.id);
            }
            return true;
        }
    }
    return false;
}

bool ReportListener::replayed(const Entry& entry, std::uint32_t ssrc, std::uint32_t index) const {
    // Only until this start has accepted a report: from then on libsrtp's window decides.
    if (entry.ssrc || !entry.floor)
        return false;
    if (ssrc == entry.floor->ssrc)
        return index <= entry.floor->index;
    return !epoch_newer(ssrc, entry.floor->ssrc);
}

void ReportListener::handle(std::uint8_t* data, std::size_t len, const sockaddr_in& from) {
    auto cname = peek_cname(std::span<const std::uint8_t>(data, len));
    if (!cname || len < 8) {
        malformed_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    std::lock_guard lock(mutex_);
    auto it = by_cname_.find(*cname);
    if (it == by_cname_.end()) {
        unknown_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    Entry& entry = entries_[it->second];
    std::uint32_t ssrc = read32(data + 4);
    // A receiver's SSRC is its start epoch: a report from an older start is a replay.
    if (entry.ssrc && ssrc != *entry.ssrc && !epoch_newer(ssrc, *entry.ssrc)) {
        stale_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    // The SRTCP index is in the clear: before the authentication tag (RFC 3711), or last,
    // after the tag, with AEAD (RFC 7714).
    if (len < 8 + 4 + entry.tag_length) {
        malformed_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    std::size_t at = entry.aead ? len - 4 : len - entry.tag_length - 4;
    std::uint32_t index = read32(data + at) & 0x7fffffff;
    if (replayed(entry, ssrc, index)) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (!unprotect(entry, data, len)) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    auto report = parse_receiver_report(std::span<const std::uint8_t>(data, len));
    if (!report || report->cname != entry.id) {
        malformed_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (entry.ssrc && *entry.ssrc != ssrc) {
        entry.session.remove_stream(*entry.ssrc);
        if (entry.previous)
            entry.previous->remove_stream(*entry.ssrc);
        log()->info("receiver {} restarted (report SSRC {:08x})", entry.id, ssrc);
    }
    entry.ssrc = ssrc;
    ReceiverLink& link = *entry.link;
    link.report_position.store(ReportPosition{ssrc, index}.packed(), std::memory_order_relaxed);
    Endpoint source(from);
    if (link.address.exchange(source.packed(), std::memory_order_relaxed) != source.packed()) {
        latched_.fetch_add(1, std::memory_order_relaxed);
        log()->info("receiver {} latched at {}", entry.id, source.to_string());
    }
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        clock_.steady_now().time_since_epoch());
    link.last_report_ms.store(now.count(), std::memory_order_relaxed);
    link.reports.fetch_add(1, std::memory_order_relaxed);
    if (report->report) {
        link.fraction_lost.store(report->report->fraction_lost, std::memory_order_relaxed);
        link.cumulative_lost.store(report->report->cumulative_lost, std::memory_order_relaxed);
        link.jitter.store(report->report->jitter, std::memory_order_relaxed);
    }
    accepted_.fetch_add(1, std::memory_order_relaxed);
}

void ReportListener::expire() {
    auto now = clock_.steady_now();
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    std::lock_guard lock(mutex_);
    for (const auto& [id, index] : by_cname_) {
        Entry& entry = entries_[index];
        if (entry.previous && now >= entry.previous_until) {
            entry.previous.reset();
            log()->info("receiver {}: its previous key is past its grace and dropped", entry.id);
        }
        ReceiverLink& link = *entry.link;
        std::int64_t last = link.last_report_ms.load(std::memory_order_relaxed);
        if (last == 0 || now_ms.count() - last < latch_lifetime_.count())
            continue;
        std::uint64_t fallback = entry.fixed ? entry.fixed->packed() : 0;
        std::uint64_t was = link.address.exchange(fallback, std::memory_order_relaxed);
        if (was == fallback)
            continue;
        expired_.fetch_add(1, std::memory_order_relaxed);
        log()->info("receiver {}: no report for {} s; its address {} is forgotten", entry.id,
                    latch_lifetime_.count() / 1000, Endpoint::from_packed(was).to_string());
    }
}

void ReportListener::start() {
    if (running_.exchange(true))
        return;
    thread_ = std::thread([this] { run(); });
}

void ReportListener::stop() {
    if (!running_.exchange(false))
        return;
    if (thread_.joinable())
        thread_.join();
}

void ReportListener::run() {
    std::array<std::uint8_t, kMaxDatagram> buffer{};
    auto next_expiry = clock_.steady_now();
    while (running_.load(std::memory_order_relaxed)) {
        if (clock_.steady_now() >= next_expiry) {
            expire();
            next_expiry = clock_.steady_now() + std::chrono::seconds(1);
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0)
            continue;
        for (int i = 0; i < 64; ++i) {
            sockaddr_in from{};
            socklen_t from_len = sizeof from;
            ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n < 0)
                break;
            if (from.sin_family == AF_INET)
                handle(buffer.data(), static_cast<std::size_t>(n), from);
        }
    }
}

ReportStats ReportListener::stats() const {
    ReportStats s;
    s.accepted = accepted_.load(std::memory_order_relaxed);
    s.unknown_receiver = unknown_.load(std::memory_order_relaxed);
    s.rejected = rejected_.load(std::memory_order_relaxed);
    s.stale_ssrc = stale_.load(std::memory_order_relaxed);
    s.malformed = malformed_.load(std::memory_order_relaxed);
    s.latched = latched_.load(std::memory_order_relaxed);
    s.expired = expired_.load(std::memory_order_relaxed);
    return s;
}

} // namespace loa::pipeline
