#include "loa/clients/media_link.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>

#include "loa/common/logging.hpp"
#include "loa/common/persistent_counter.hpp"
#include "loa/pipeline/rtcp.hpp"
#include "loa/pipeline/rtp.hpp"
#include "loa/pipeline/ssrc.hpp"

namespace loa::clients {
namespace {

auto log() {
    static auto logger = common::logger("receiver");
    return logger;
}

constexpr auto kSilentReportEvery = std::chrono::seconds(1);
constexpr auto kMediaFresh = std::chrono::seconds(1);
constexpr auto kSaveStateEvery = std::chrono::seconds(30);
/// After this long without media, the rollover counter may have been lost: search it again.
constexpr auto kRecoverAfterSilence = std::chrono::seconds(2);
/// At most one rollover-counter search per this interval (each costs many authentications).
constexpr auto kRecoveryInterval = std::chrono::milliseconds(200);

template <class T> T must(common::Result<T> r, const std::string& what) {
    if (!r)
        throw std::runtime_error(what + ": " + r.error().message);
    return std::move(r).value();
}

std::uint32_t unix_seconds(const common::Clock& clock) {
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(clock.system_now().time_since_epoch())
            .count());
}

/// How many sequence-number wraps a stream of `epoch` can have made by now (50 packets/s since
/// the epoch, which is never later than the server start's Unix time), with a margin.
std::uint32_t max_rollover(std::uint32_t epoch, std::uint32_t now) {
    constexpr std::uint32_t kAtLeast = 64; // a day of uptime, whatever the clocks say
    auto elapsed = static_cast<std::int32_t>(now - epoch);
    std::uint32_t wraps = elapsed > 0 ? static_cast<std::uint32_t>(elapsed) * 50U / 65536U + 2 : 0;
    return std::clamp<std::uint32_t>(wraps, kAtLeast, 0xffff);
}

} // namespace

MediaLink::MediaLink(const ReceiverSettings& settings, RtpSink& player, const common::Clock& clock)
    : settings_(settings), player_(player), clock_(clock),
      owner_(settings.group.empty() ? settings.id : settings.group),
      socket_(must(pipeline::UdpSocket::bind_any(0), "cannot open the media socket")),
      inbound_(must(pipeline::SrtpSession::inbound(settings.profile, settings.group.empty()
                                                                         ? settings.key
                                                                         : settings.group_key),
                    "media key")),
      // A fresh report SSRC every start: (key, SSRC, SRTCP index) is never reused.
      report_ssrc_(
          must(common::advance_persistent_counter(
                   settings.state_dir + "/" + settings.id + ".report-epoch", unix_seconds(clock)),
               "cannot keep the receiver's state in " + settings.state_dir)),
      reports_(must(pipeline::SrtpSession::outbound(settings.profile, settings.key, report_ssrc_),
                    "key")) {
    // "EPOCH INDEX": the newest server start seen and the last packet played from it.
    std::ifstream in(state_path());
    std::uint64_t epoch = 0;
    if (in >> epoch) {
        epoch_ = static_cast<std::uint32_t>(epoch);
        epoch_seen_ = *epoch_;
        floor_epoch_ = *epoch_;
        in >> floor_index_;
        saved_index_ = last_index_ = floor_index_;
    }
}

std::string MediaLink::state_path() const {
    return settings_.state_dir + "/" + settings_.id + ".server-epoch";
}

void MediaLink::move_server() {
    owner_ = settings_.group.empty() ? settings_.id : settings_.group;
    inbound_ =
        must(pipeline::SrtpSession::inbound(
                 settings_.profile, settings_.group.empty() ? settings_.key : settings_.group_key),
             "media key");
    // The same report SSRC under a new key: (key, SSRC, index) is still never reused.
    reports_ = must(pipeline::SrtpSession::outbound(settings_.profile, settings_.key, report_ssrc_),
                    "key");
    {
        std::lock_guard lock(key_mutex_);
        next_inbound_.reset();
        offered_key_.reset();
        key_offered_ = false;
    }
    epoch_.reset();
    remote_ssrc_ = 0;
    last_index_ = floor_index_ = saved_index_ = 0;
    floor_epoch_ = 0;
    std::error_code error;
    std::filesystem::remove(state_path(), error);
    moved_ = true;
}

void MediaLink::save_state() {
    if (!epoch_)
        return;
    auto written = common::write_file_durably(state_path(), std::to_string(*epoch_) + " " +
                                                                std::to_string(last_index_) + "\n");
    last_save_ = clock_.steady_now();
    if (written) {
        saved_index_ = last_index_;
        return;
    }
    // Never fatal: playing on matters more. Only replay protection across a restart suffers.
    if (state_write_failures_.fetch_add(1, std::memory_order_relaxed) % 100 == 0)
        log()->warn("cannot save the receiver's state: {}", written.error().message);
}

bool MediaLink::verify(std::uint8_t* data, std::size_t& len, std::uint32_t ssrc) {
    auto now = clock_.steady_now();
    bool new_stream =
        !have_media_ || ssrc != remote_ssrc_ || now - last_arrival_ > kRecoverAfterSilence;
    bool may_recover = new_stream && now - last_recovery_ >= kRecoveryInterval;
    // AES-GCM decrypts in place before it finds a tag wrong: keep the packet for a second try.
    alignas(16) std::array<std::uint8_t, kMaxDatagram> copy;
    std::size_t copy_len = len;
    if (may_recover)
        std::memcpy(copy.data(), data, len);
    if (next_inbound_ && !may_recover)
        std::memcpy(copy.data(), data, len);
    if (inbound_.unprotect_rtp(data, len))
        return true;
    if (next_inbound_) {
        std::memcpy(data, copy.data(), copy_len);
        len = copy_len;
        if (verify_with_next_key(data, len))
            return true;
        std::memcpy(data, copy.data(), copy_len);
        len = copy_len;
    }
    if (!may_recover)
        return false;
    // The stream may have wrapped its sequence numbers before we joined (or while we were cut
    // off): find its rollover counter.
    last_recovery_ = now;
    if (have_media_ && ssrc == remote_ssrc_ && epoch_) {
        // The search starts this stream's replay window afresh, as a restart of this receiver
        // does: what it played of this server start is refused by the floor from now on.
        floor_index_ = floor_epoch_ == *epoch_ ? std::max(floor_index_, last_index_) : last_index_;
        floor_epoch_ = *epoch_;
    }
    std::uint32_t max_roc = max_rollover(pipeline::epoch_of(ssrc, owner_), unix_seconds(clock_));
    if (!inbound_.recover_rtp(copy.data(), copy_len, max_roc))
        return false;
    std::memcpy(data, copy.data(), copy_len);
    len = copy_len;
    return true;
}

void MediaLink::install_key(std::vector<std::uint8_t> key) {
    std::lock_guard lock(key_mutex_);
    offered_key_ = std::move(key);
    key_offered_.store(true, std::memory_order_release);
}

void MediaLink::take_new_key() {
    std::optional<std::vector<std::uint8_t>> key;
    {
        std::lock_guard lock(key_mutex_);
        key.swap(offered_key_);
        key_offered_.store(false, std::memory_order_relaxed);
    }
    if (!key)
        return;
    auto session = pipeline::SrtpSession::inbound(settings_.profile, *key);
    if (!session) {
        log()->error("the new key does not fit: {}", session.error().message);
        return;
    }
    if (!settings_.group.empty()) { // the media key is the group's: only reports change
        if (auto reports = pipeline::SrtpSession::outbound(settings_.profile, *key, report_ssrc_))
            reports_ = std::move(reports).value();
        return;
    }
    next_inbound_.emplace(std::move(session).value());
    next_key_ = std::move(*key);
    log()->info("a new key is ready");
}

bool MediaLink::verify_with_next_key(std::uint8_t* data, std::size_t& len) {
    if (!next_inbound_->unprotect_rtp(data, len))
        return false;
    // The server has switched: so do we, reports included (a new key, so SRTCP indexes may
    // start again).
    inbound_ = std::move(*next_inbound_);
    next_inbound_.reset();
    if (auto reports = pipeline::SrtpSession::outbound(settings_.profile, next_key_, report_ssrc_))
        reports_ = std::move(reports).value();
    log()->info("switched to the new key");
    return true;
}

bool MediaLink::receiving() const {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   clock_.steady_now().time_since_epoch())
                   .count();
    return now - last_media_ms_.load(std::memory_order_relaxed) < 1000;
}

void MediaLink::on_datagram(std::uint8_t* data, std::size_t len) {
    if (len > kMaxDatagram) { // verify() keeps a copy of this size
        rejected_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    auto clear = pipeline::parse_rtp(std::span<const std::uint8_t>(data, len));
    if (!clear) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    std::uint32_t ssrc = clear->header.ssrc;
    std::uint32_t epoch = pipeline::epoch_of(ssrc, owner_);
    if (epoch_ && epoch != *epoch_ && !pipeline::epoch_newer(epoch, *epoch_)) {
        stale_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (!verify(data, len, ssrc)) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    auto packet = pipeline::parse_rtp(std::span<const std::uint8_t>(data, len));
    if (!packet)
        return;
    std::uint16_t sequence = packet->header.sequence;
    std::uint64_t index = inbound_.packet_index(ssrc, sequence).value_or(sequence);
    if (epoch == floor_epoch_ && index <= floor_index_) {
        // Played before this receiver restarted: a replay (libsrtp's window starts empty).
        rejected_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (!have_media_ || ssrc != remote_ssrc_ || moved_) {
        follow(ssrc, sequence, packet->header.timestamp);
        moved_ = false;
    }
    auto now = clock_.steady_now();
    auto arrival = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch());
    stats_.on_packet(sequence, packet->header.timestamp, arrival.count() * 48 / 1000);
    lost_.store(stats_.cumulative_lost(), std::memory_order_relaxed);
    jitter_units_.store(static_cast<std::uint32_t>(stats_.jitter()), std::memory_order_relaxed);
    last_index_ = std::max(last_index_, index);
    last_arrival_ = now;
    have_media_ = true;
    received_total_.fetch_add(1, std::memory_order_relaxed);
    last_media_ms_.store(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count(),
        std::memory_order_relaxed);
    auto offset = static_cast<std::size_t>(packet->payload.data() - data);
    forward(data, offset, packet->payload.size(), packet->header.marker, sequence,
            packet->header.timestamp);
}

void MediaLink::follow(std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t timestamp) {
    std::uint32_t epoch = pipeline::epoch_of(ssrc, owner_);
    auto now = clock_.steady_now();
    if (have_media_) {
        inbound_.remove_stream(remote_ssrc_);
        log()->info("the server restarted (epoch {}); following its new stream", epoch);
    }
    // Continue the local timeline from where it was, plus the time that passed; sequence
    // numbers keep their gaps (the jitter buffer conceals them) and continue after the last
    // one handed to the player.
    auto gap = have_media_
                   ? std::chrono::duration_cast<std::chrono::microseconds>(now - last_arrival_)
                   : std::chrono::microseconds(0);
    std::uint32_t resume_at =
        last_local_timestamp_ + static_cast<std::uint32_t>(gap.count() * 48 / 1000);
    timestamp_offset_ = resume_at - timestamp;
    sequence_offset_ = static_cast<std::uint16_t>(next_local_sequence_ - sequence);
    remote_ssrc_ = ssrc;
    stats_.reset(sequence);
    if (!epoch_ || *epoch_ != epoch) {
        epoch_ = epoch;
        epoch_seen_ = epoch;
        last_index_ = 0;
        save_state();
    }
}

void MediaLink::forward(std::uint8_t* data, std::size_t payload_offset, std::size_t payload_size,
                        bool marker, std::uint16_t sequence, std::uint32_t timestamp) {
    pipeline::RtpHeader local;
    local.marker = marker;
    local.sequence = static_cast<std::uint16_t>(sequence + sequence_offset_);
    if (static_cast<std::int16_t>(local.sequence - next_local_sequence_) >= 0)
        next_local_sequence_ = static_cast<std::uint16_t>(local.sequence + 1);
    local.timestamp = timestamp + timestamp_offset_;
    local.ssrc = 1;
    last_local_timestamp_ = local.timestamp;
    // A plain 12-byte header in front of the payload: CSRCs, extensions and padding dropped.
    if (payload_offset != pipeline::kRtpHeaderSize)
        std::memmove(data + pipeline::kRtpHeaderSize, data + payload_offset, payload_size);
    pipeline::write_rtp_header(std::span<std::uint8_t, pipeline::kRtpHeaderSize>(data, 12), local);
    player_.push(data, pipeline::kRtpHeaderSize + payload_size);
}

void MediaLink::send_report() {
    pipeline::ReceiverReport rr;
    rr.ssrc = report_ssrc_;
    rr.cname = settings_.id;
    if (have_media_)
        rr.report = stats_.next_report(remote_ssrc_);
    alignas(16)
        std::array<std::uint8_t, pipeline::kMaxReceiverReportSize + pipeline::kSrtpMaxTrailer>
            buffer{};
    std::size_t len = pipeline::write_receiver_report(buffer, rr);
    if (len == 0 || !reports_.protect_rtcp(buffer.data(), len, buffer.size()))
        return;
    sockaddr_in to = settings_.server.to_sockaddr();
    if (::sendto(socket_.fd(), buffer.data(), len, 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof to) == static_cast<ssize_t>(len))
        reports_sent_.fetch_add(1, std::memory_order_relaxed);
}

void MediaLink::run(const std::atomic<bool>& stop) {
    alignas(16) std::array<std::uint8_t, kMaxDatagram> buffer{};
    while (!stop.load(std::memory_order_relaxed)) {
        if (key_offered_.load(std::memory_order_acquire))
            take_new_key();
        auto now = clock_.steady_now();
        // While media flows, report every interval; once it stops (server restart, network
        // gap), report every second so that the server latches us again quickly.
        bool fresh = have_media_ && now - last_arrival_ < kMediaFresh;
        auto due = last_report_ +
                   (fresh ? std::chrono::seconds(settings_.report_interval_s) : kSilentReportEvery);
        if (last_report_ == std::chrono::steady_clock::time_point{} || now >= due) {
            send_report();
            last_report_ = now;
        }
        if (last_index_ != saved_index_ && now - last_save_ >= kSaveStateEvery)
            save_state();
        pollfd p{socket_.fd(), POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        for (int i = 0; i < 64; ++i) {
            ssize_t n = ::recv(socket_.fd(), buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n < 0)
                break;
            on_datagram(buffer.data(), static_cast<std::size_t>(n));
        }
    }
    save_state();
}

LinkStats MediaLink::stats() const {
    LinkStats s;
    s.received = received_total_.load(std::memory_order_relaxed);
    s.rejected = rejected_.load(std::memory_order_relaxed);
    s.stale = stale_.load(std::memory_order_relaxed);
    s.lost = lost_.load(std::memory_order_relaxed);
    s.jitter_ms = jitter_units_.load(std::memory_order_relaxed) / 48.0;
    s.reports_sent = reports_sent_.load(std::memory_order_relaxed);
    s.server_epoch = epoch_seen_.load(std::memory_order_relaxed);
    s.state_write_failures = state_write_failures_.load(std::memory_order_relaxed);
    return s;
}

} // namespace loa::clients
