#include "loa/clients/media_link.hpp"

#include <array>
#include <cmath>
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

} // namespace

MediaLink::MediaLink(const ReceiverSettings& settings, Player& player, const common::Clock& clock)
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
    std::ifstream in(settings.state_dir + "/" + settings.id + ".server-epoch");
    if (std::uint64_t stored = 0; in >> stored) {
        epoch_ = static_cast<std::uint32_t>(stored);
        epoch_seen_ = *epoch_;
    }
}

void MediaLink::remember_epoch(std::uint32_t epoch) {
    std::string path = settings_.state_dir + "/" + settings_.id + ".server-epoch";
    std::ofstream out(path + ".tmp", std::ios::trunc);
    out << epoch << "\n";
    out.close();
    std::filesystem::rename(path + ".tmp", path);
}

bool MediaLink::accept_epoch(std::uint32_t ssrc) {
    std::uint32_t epoch = pipeline::epoch_of(ssrc, owner_);
    if (epoch_ && epoch != *epoch_ && !pipeline::epoch_newer(epoch, *epoch_)) {
        stale_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    return true;
}

void MediaLink::on_datagram(std::uint8_t* data, std::size_t len) {
    auto clear = pipeline::parse_rtp(std::span<const std::uint8_t>(data, len));
    if (!clear) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    std::uint32_t ssrc = clear->header.ssrc;
    if (!accept_epoch(ssrc))
        return;
    if (!inbound_.unprotect_rtp(data, len)) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    auto packet = pipeline::parse_rtp(std::span<const std::uint8_t>(data, len));
    if (!packet)
        return;
    std::uint32_t epoch = pipeline::epoch_of(ssrc, owner_);
    auto now = clock_.steady_now();
    if (!have_media_ || ssrc != remote_ssrc_) {
        if (have_media_ && ssrc != remote_ssrc_) {
            inbound_.remove_stream(remote_ssrc_);
            log()->info("the server restarted (epoch {}); following its new stream", epoch);
        }
        // Continue the local timeline from where it was, plus the time that passed.
        auto gap = have_media_
                       ? std::chrono::duration_cast<std::chrono::microseconds>(now - last_arrival_)
                       : std::chrono::microseconds(0);
        std::uint32_t resume_at =
            last_local_timestamp_ + static_cast<std::uint32_t>(gap.count() * 48 / 1000);
        timestamp_offset_ = resume_at - packet->header.timestamp;
        // Sequence numbers keep their gaps (the jitter buffer needs them to conceal losses)
        // and continue after the last one handed to the player.
        sequence_offset_ =
            static_cast<std::uint16_t>(next_local_sequence_ - packet->header.sequence);
        remote_ssrc_ = ssrc;
        base_sequence_ = max_sequence_ = packet->header.sequence;
        cycles_ = received_ = expected_prior_ = received_prior_ = 0;
        --base_sequence_;
        if (!epoch_ || *epoch_ != epoch) {
            epoch_ = epoch;
            epoch_seen_ = epoch;
            remember_epoch(epoch);
        }
    }
    have_media_ = true;
    track(packet->header.sequence, packet->header.timestamp);
    last_arrival_ = now;
    received_total_.fetch_add(1, std::memory_order_relaxed);
    forward(data, len, packet->header.sequence, packet->header.timestamp);
}

void MediaLink::track(std::uint16_t sequence, std::uint32_t timestamp) {
    auto delta = static_cast<std::uint16_t>(sequence - max_sequence_);
    if (delta < 0x8000) {
        if (sequence < max_sequence_)
            cycles_ += 0x10000;
        max_sequence_ = sequence;
    }
    ++received_;
    std::uint32_t extended_max = cycles_ + max_sequence_;
    std::int64_t expected = static_cast<std::int64_t>(extended_max) - base_sequence_;
    lost_.store(expected - received_, std::memory_order_relaxed);
    auto arrival = std::chrono::duration_cast<std::chrono::microseconds>(
                       clock_.steady_now().time_since_epoch())
                       .count() *
                   48 / 1000;
    std::int64_t transit = arrival - static_cast<std::int64_t>(timestamp);
    if (received_ > 1) {
        double d = std::abs(static_cast<double>(transit - last_transit_));
        jitter_ += (d - jitter_) / 16.0;
    }
    last_transit_ = transit;
    jitter_units_.store(static_cast<std::uint32_t>(jitter_), std::memory_order_relaxed);
}

void MediaLink::forward(std::uint8_t* data, std::size_t len, std::uint16_t sequence,
                        std::uint32_t timestamp) {
    pipeline::RtpHeader local;
    local.marker = (data[1] & 0x80) != 0;
    local.sequence = static_cast<std::uint16_t>(sequence + sequence_offset_);
    if (static_cast<std::int16_t>(local.sequence - next_local_sequence_) >= 0)
        next_local_sequence_ = static_cast<std::uint16_t>(local.sequence + 1);
    local.timestamp = timestamp + timestamp_offset_;
    local.ssrc = 1;
    last_local_timestamp_ = local.timestamp;
    // Only the fixed header is rewritten; the server never sends CSRCs or extensions.
    pipeline::write_rtp_header(std::span<std::uint8_t, pipeline::kRtpHeaderSize>(data, 12), local);
    player_.push(data, len);
}

void MediaLink::send_report() {
    pipeline::ReceiverReport rr;
    rr.ssrc = report_ssrc_;
    rr.cname = settings_.id;
    if (have_media_) {
        pipeline::ReceptionReport block;
        block.source_ssrc = remote_ssrc_;
        std::uint32_t extended_max = cycles_ + max_sequence_;
        std::uint32_t expected = extended_max - base_sequence_;
        std::uint32_t expected_interval = expected - expected_prior_;
        std::uint32_t received_interval = received_ - received_prior_;
        expected_prior_ = expected;
        received_prior_ = received_;
        std::int64_t lost_interval =
            static_cast<std::int64_t>(expected_interval) - received_interval;
        block.fraction_lost =
            expected_interval == 0 || lost_interval <= 0
                ? 0
                : static_cast<std::uint8_t>((lost_interval << 8) / expected_interval);
        block.cumulative_lost =
            static_cast<std::int32_t>(std::clamp<std::int64_t>(lost_.load(), -0x800000, 0x7fffff));
        block.highest_sequence = extended_max;
        block.jitter = static_cast<std::uint32_t>(jitter_);
        rr.report = block;
    }
    std::array<std::uint8_t, pipeline::kMaxReceiverReportSize + pipeline::kSrtpMaxTrailer> buffer{};
    std::size_t len = pipeline::write_receiver_report(buffer, rr);
    if (len == 0 || !reports_.protect_rtcp(buffer.data(), len, buffer.size()))
        return;
    sockaddr_in to = settings_.server.to_sockaddr();
    if (::sendto(socket_.fd(), buffer.data(), len, 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof to) == static_cast<ssize_t>(len))
        reports_sent_.fetch_add(1, std::memory_order_relaxed);
}

void MediaLink::run(const std::atomic<bool>& stop) {
    std::array<std::uint8_t, 2048> buffer{};
    while (!stop.load(std::memory_order_relaxed)) {
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
    return s;
}

} // namespace loa::clients
