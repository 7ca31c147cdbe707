// Fan-out throughput per core, in receiver-packets per second, for plain RTP, group key,
// per-receiver AES-GCM and per-receiver AES-CM-HMAC-SHA1-80, each as a ratio to a bare sendmmsg
// loop sending the same packets measured in the same run; per-receiver keys also against
// GStreamer's own `tee ! srtpenc ! udpsink` per receiver; and resident memory per receiver.
//
// usage: loa_fanout_bench [--receivers 1000,10000,20000] [--seconds 1.5] [--gst-max 1000]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

#include "bench_support.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/fanout.hpp"
#include "loa/pipeline/report_listener.hpp"
#include "loa/pipeline/udp_socket.hpp"

using namespace loa::pipeline;
using loa::bench::seconds_since;

double gst_tee_srtpenc_rate(int receivers, int frames, std::uint16_t sink_port,
                            double* cpu_seconds);

namespace {

constexpr std::size_t kOpusBytes = 80; // 32 kbps, 20 ms
constexpr std::size_t kBatch = 64;

enum class Mode { bare, plain, group, gcm, cm };

/// Packets per second on one core, and where the time went per packet.
struct Measurement {
    double rate = 0;
    double user_us = 0;   ///< user-space CPU per packet
    double kernel_us = 0; ///< kernel CPU per packet (on loopback this includes receiving)
};

Measurement measure(std::uint64_t packets, std::chrono::steady_clock::time_point start,
                    loa::bench::CpuTime cpu_start) {
    auto cpu = loa::bench::thread_cpu();
    double n = static_cast<double>(packets);
    return {n / seconds_since(start), (cpu.user - cpu_start.user) * 1e6 / n,
            (cpu.system - cpu_start.system) * 1e6 / n};
}

const char* name(Mode m) {
    switch (m) {
    case Mode::bare:
        return "bare sendmmsg";
    case Mode::plain:
        return "plain RTP";
    case Mode::group:
        return "group key";
    case Mode::gcm:
        return "per-receiver AES-GCM";
    case Mode::cm:
        return "per-receiver AES-CM-SHA1-80";
    }
    return "?";
}

std::vector<std::uint8_t> random_key(SrtpProfile p) {
    std::vector<std::uint8_t> key(srtp_master_length(p));
    loa::common::random_bytes(key.data(), key.size());
    return key;
}

/// The same packets as the fan-out sends, through sendmmsg alone.
Measurement bare_rate(int fd, int receivers, const Endpoint& sink, double seconds) {
    std::vector<std::array<std::uint8_t, 128>> buffers(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    std::vector<iovec> iov(kBatch);
    sockaddr_in to = sink.to_sockaddr();
    for (std::size_t i = 0; i < kBatch; ++i) {
        iov[i] = {buffers[i].data(), kRtpHeaderSize + kOpusBytes + 10};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &to;
        msgs[i].msg_hdr.msg_namelen = sizeof to;
    }
    std::uint64_t sent = 0;
    auto cpu = loa::bench::thread_cpu();
    auto start = std::chrono::steady_clock::now();
    while (seconds_since(start) < seconds) {
        for (int r = 0; r < receivers; r += static_cast<int>(kBatch)) {
            auto n = static_cast<unsigned>(std::min<int>(kBatch, receivers - r));
            int done = ::sendmmsg(fd, msgs.data(), n, 0);
            sent += done > 0 ? static_cast<std::uint64_t>(done) : 0;
        }
    }
    return measure(sent, start, cpu);
}

struct Fleet {
    std::vector<std::unique_ptr<ReceiverLink>> links;
    std::unique_ptr<FanOutShard> shard;
};

Fleet make_fleet(Mode mode, int fd, int receivers, const Endpoint& sink) {
    Fleet f;
    f.shard = std::make_unique<FanOutShard>(fd, kBatch);
    SrtpProfile profile =
        mode == Mode::gcm ? SrtpProfile::aead_aes_128_gcm : SrtpProfile::aes_cm_128_hmac_sha1_80;
    for (int i = 0; i < receivers; ++i) {
        auto link = std::make_unique<ReceiverLink>();
        link->address = sink.packed();
        std::optional<SrtpSession> session;
        auto ssrc = static_cast<std::uint32_t>(i + 1);
        if (mode == Mode::gcm || mode == Mode::cm)
            session.emplace(
                std::move(SrtpSession::outbound(profile, random_key(profile), ssrc)).value());
        f.shard->add(0, RtpStream(ssrc, 0, 0), std::move(session), link.get());
        f.links.push_back(std::move(link));
    }
    return f;
}

Measurement fanout_rate(Mode mode, int fd, int receivers, const Endpoint& sink, double seconds) {
    Fleet fleet = make_fleet(mode, fd, receivers, sink);
    Delivery d;
    d.channel = 0;
    d.size = static_cast<std::uint16_t>(kOpusBytes);
    std::memset(d.bytes.data(), 0x5a, kOpusBytes);
    std::optional<SrtpSession> group;
    RtpStream group_stream(7, 0, 0);
    if (mode == Mode::group)
        group.emplace(
            std::move(SrtpSession::outbound(SrtpProfile::aes_cm_128_hmac_sha1_80,
                                            random_key(SrtpProfile::aes_cm_128_hmac_sha1_80), 7))
                .value());
    std::uint64_t frames = 0;
    std::uint64_t before = fleet.shard->stats().packets_sent;
    auto cpu = loa::bench::thread_cpu();
    auto start = std::chrono::steady_clock::now();
    while (seconds_since(start) < seconds) {
        d.channel_timestamp += 960;
        if (group) {
            // What the router does once per frame in group mode.
            PacketBuffer packet{};
            write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize>(packet.data(), kRtpHeaderSize),
                             group_stream.next(d.channel_timestamp, 1));
            std::memset(packet.data() + kRtpHeaderSize, 0x5a, kOpusBytes);
            std::size_t len = kRtpHeaderSize + kOpusBytes;
            group->protect_rtp(packet.data(), len, packet.size());
            Delivery g;
            g.kind = Delivery::Kind::packet;
            g.channel = 0;
            g.size = static_cast<std::uint16_t>(len);
            std::memcpy(g.bytes.data(), packet.data(), len);
            fleet.shard->send(g);
        } else {
            fleet.shard->send(d);
        }
        ++frames;
    }
    auto stats = fleet.shard->stats();
    if (stats.send_drops > 0)
        std::fprintf(stderr, "  (%s: %llu send drops)\n", name(mode),
                     static_cast<unsigned long long>(stats.send_drops));
    return measure(stats.packets_sent - before + stats.send_drops, start, cpu);
}

/// Resident bytes per receiver with everything the server keeps per receiver: its link, RTP
/// numbering and outbound SRTP context in a shard, its inbound SRTCP context in the listener.
double bytes_per_receiver(int fd, int receivers, const Endpoint& sink) {
    loa::common::ManualClock clock;
    std::uint64_t before = loa::bench::resident_bytes();
    {
        auto listener = std::make_unique<ReportListener>(fd, clock);
        Fleet fleet;
        fleet.shard = std::make_unique<FanOutShard>(fd, kBatch);
        for (int i = 0; i < receivers; ++i) {
            auto key = random_key(SrtpProfile::aes_cm_128_hmac_sha1_80);
            auto link = std::make_unique<ReceiverLink>();
            link->address = sink.packed();
            std::string id = "receiver-" + std::to_string(i);
            (void)listener->add_receiver(
                ReceiverSpec{id, 0, SrtpProfile::aes_cm_128_hmac_sha1_80, key, std::nullopt},
                link.get());
            fleet.shard->add(0, RtpStream(static_cast<std::uint32_t>(i), 0, 0),
                             std::move(SrtpSession::outbound(SrtpProfile::aes_cm_128_hmac_sha1_80,
                                                             key, static_cast<std::uint32_t>(i)))
                                 .value(),
                             link.get());
            fleet.links.push_back(std::move(link));
        }
        std::uint64_t after = loa::bench::resident_bytes();
        return static_cast<double>(after - before) / receivers;
    }
}

std::vector<int> parse_list(const std::string& text) {
    std::vector<int> out;
    std::stringstream s(text);
    for (std::string item; std::getline(s, item, ',');)
        out.push_back(std::stoi(item));
    return out;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<int> counts{1000, 10000, 20000};
    double seconds = 1.5;
    int gst_max = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--receivers")
            counts = parse_list(argv[i + 1]);
        else if (flag == "--seconds")
            seconds = std::stod(argv[i + 1]);
        else if (flag == "--gst-max")
            gst_max = std::stoi(argv[i + 1]);
    }
    auto sender = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
    auto sink_socket = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0")); // never read: drops
    Endpoint sink(0x7f000001, sink_socket->local_port());

    std::printf("Fan-out, one core, %zu-byte Opus frames, batches of %zu, loopback\n", kOpusBytes,
                kBatch);
    std::printf("%-9s %-30s %14s %8s %9s %9s %9s\n", "receivers", "mode", "packets/s/core",
                "vs bare", "vs GSt", "user us", "kernel us");
    auto row = [](int n, const char* mode, const Measurement& m, double bare, const char* vs_gst) {
        std::printf("%-9d %-30s %14.0f %8.2f %9s %9.3f %9.3f\n", n, mode, m.rate, m.rate / bare,
                    vs_gst, m.user_us, m.kernel_us);
    };
    for (int n : counts) {
        Measurement bare = bare_rate(sender->fd(), n, sink, seconds);
        row(n, name(Mode::bare), bare, bare.rate, "");
        Measurement gst;
        if (n <= gst_max) {
            int frames = std::max(20, 200000 / n);
            double cpu = 0;
            gst.rate = gst_tee_srtpenc_rate(n, frames, sink_socket->local_port(), &cpu);
            double packets = static_cast<double>(frames) * n;
            gst.user_us = cpu * 1e6 / packets; // process CPU, user + kernel together
            if (gst.rate > 0)
                row(n, "GStreamer tee!srtpenc!udpsink", gst, bare.rate, "1.0x");
        }
        for (Mode m : {Mode::plain, Mode::group, Mode::gcm, Mode::cm}) {
            Measurement r = fanout_rate(m, sender->fd(), n, sink, seconds);
            char vs_gst[32] = "";
            if (gst.rate > 0 && (m == Mode::gcm || m == Mode::cm))
                std::snprintf(vs_gst, sizeof vs_gst, "%.1fx", r.rate / gst.rate);
            row(n, name(m), r, bare.rate, vs_gst);
            if (m == Mode::gcm)
                std::printf("%-9d %-30s %14.0f receivers/core at 50 packets/s\n", n,
                            "  per-receiver AES-GCM", r.rate / 50);
        }
    }
    int most = *std::max_element(counts.begin(), counts.end());
    std::printf(
        "\nMemory: %.0f bytes resident per receiver (0 -> %d receivers, per-receiver keys)\n",
        bytes_per_receiver(sender->fd(), most, sink), most);
    return 0;
}
