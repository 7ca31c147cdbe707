/// @file
/// libFuzzer target: the receiver's media path. Every datagram of an input goes to a real
/// MediaLink::on_datagram (what its run loop does with a datagram from the media socket: the
/// epoch check, SRTP unprotect with the receiver's key, the rollover-counter search after a
/// silence, the replay floor across its own restarts, RTP parsing and renumbering into one
/// stream), with a recorder in place of the GStreamer player and a manual clock.
///
/// The receiver "r1" has a fixed key (or, with a header flag, the group key of channel "ch1"),
/// so inputs made of genuine packets authenticate. Every packet the seeds protect carries, in
/// its encrypted payload, a mark and the SSRC, packet index and timestamp it was sent with: a
/// packet that reaches the player without them was never sent. An input is a header (flags;
/// the replay floor a previous run of the receiver saved) and records (fuzz_support.hpp): a
/// tag byte (how far the clock moves first, in 10 ms) and a datagram. Traps when:
/// - a packet handed to the player is not a plain RTP header (version 2, no padding, CSRC or
///   extension; SSRC 1) in front of a payload that the sender encrypted;
/// - a sent packet (SSRC, index) is played twice, one at or below the saved floor is played,
///   or one of an older server start (epoch) than one already followed is played;
/// - the renumbering breaks: within a server start the local sequence number and timestamp
///   are the sent ones plus a constant; a new start continues at the next local sequence
///   number and at the last local timestamp plus the time that passed;
/// - the counters disagree with what the player was given.

#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "loa/clients/media_link.hpp"
#include "loa/clients/player.hpp"
#include "loa/clients/receiver_settings.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/logging.hpp"
#include "loa/pipeline/rtp.hpp"
#include "loa/pipeline/srtp.hpp"
#include "loa/pipeline/ssrc.hpp"

namespace {

namespace fs = std::filesystem;
using namespace loa::pipeline;
using loa::fuzz::require;

constexpr const char* kTarget = "media_fuzz";
constexpr std::uint32_t kStart = 1'799'999'000; ///< the server start of the seeds (epoch)
constexpr std::uint8_t kFloorFlag = 1;          ///< header flag: a saved state of kStart
constexpr std::uint8_t kGroupFlag = 2;          ///< header flag: group key mode
constexpr std::array<std::uint8_t, 4> kMark{'L', 'O', 'A', '!'};
/// An Opus TOC byte, the mark, the sent SSRC, 48-bit index and timestamp.
constexpr std::size_t kPayloadSize = 1 + 4 + 4 + 6 + 4;

std::vector<std::uint8_t> key_of(std::size_t length, std::uint8_t first) {
    std::vector<std::uint8_t> key(length);
    for (std::size_t i = 0; i < length; ++i)
        key[i] = static_cast<std::uint8_t>(first + i);
    return key;
}

const std::vector<std::uint8_t> kKey = key_of(30, 0x11);
const std::vector<std::uint8_t> kGroupKey = key_of(30, 0x61);
constexpr auto kProfile = SrtpProfile::aes_cm_128_hmac_sha1_80;

std::uint64_t read_be(const std::uint8_t* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
        v = (v << 8) | p[i];
    return v;
}

void write_be(std::uint8_t* p, std::uint64_t v, std::size_t n) {
    for (std::size_t i = n; i-- > 0; v >>= 8)
        p[i] = static_cast<std::uint8_t>(v);
}

/// What a sent payload says about its packet.
struct Sent {
    std::uint32_t ssrc;
    std::uint64_t index;
    std::uint32_t timestamp;
};

/// Stands in for the player: checks each packet it is given against what was sent and what
/// was played before.
class Recorder final : public loa::clients::RtpSink {
public:
    Recorder(const loa::common::ManualClock& clock, std::string owner,
             std::optional<std::pair<std::uint32_t, std::uint64_t>> floor)
        : clock_(clock), owner_(std::move(owner)), floor_(floor) {
        if (floor_)
            epoch_ = floor_->first;
    }

    void push(const std::uint8_t* packet, std::size_t len) override {
        ++pushed_;
        auto local = parse_rtp(std::span<const std::uint8_t>(packet, len));
        require(local && packet[0] == 0x80 && local->header.ssrc == 1 &&
                    local->payload.data() == packet + kRtpHeaderSize,
                kTarget, "the player gets a plain 12-byte RTP header with SSRC 1");
        require(local->payload.size() == kPayloadSize &&
                    std::memcmp(local->payload.data() + 1, kMark.data(), kMark.size()) == 0,
                kTarget, "the player gets only payloads that the sender encrypted");
        const std::uint8_t* p = local->payload.data() + 5;
        Sent sent{static_cast<std::uint32_t>(read_be(p, 4)), read_be(p + 4, 6),
                  static_cast<std::uint32_t>(read_be(p + 10, 4))};
        check_replay(sent);
        check_numbering(sent, local->header);
    }

    std::uint64_t pushed() const { return pushed_; }
    std::optional<std::uint32_t> epoch() const { return epoch_; }

private:
    void check_replay(const Sent& sent) {
        require(played_.insert({sent.ssrc, sent.index}).second, kTarget,
                "no sent packet is played twice");
        std::uint32_t epoch = epoch_of(sent.ssrc, owner_);
        if (floor_ && epoch == floor_->first)
            require(sent.index > floor_->second, kTarget,
                    "nothing at or below the saved floor is played");
        if (epoch_)
            require(epoch == *epoch_ || epoch_newer(epoch, *epoch_), kTarget,
                    "nothing of an older server start is played");
        epoch_ = epoch;
    }

    void check_numbering(const Sent& sent, const RtpHeader& local) {
        auto now = clock_.steady_now();
        auto sequence = static_cast<std::uint16_t>(sent.index);
        if (remote_ && *remote_ == sent.ssrc) {
            require(static_cast<std::uint16_t>(local.sequence - sequence) == sequence_offset_ &&
                        local.timestamp - sent.timestamp == timestamp_offset_,
                    kTarget, "within a server start, local numbers are the sent ones shifted");
        } else {
            auto gap =
                remote_ ? std::chrono::duration_cast<std::chrono::microseconds>(now - last_arrival_)
                        : std::chrono::microseconds(0);
            auto resume_at = last_timestamp_ + static_cast<std::uint32_t>(gap.count() * 48 / 1000);
            require(local.sequence == next_sequence_ && local.timestamp == resume_at, kTarget,
                    "a new server start continues the local sequence and timeline");
            remote_ = sent.ssrc;
            sequence_offset_ = static_cast<std::uint16_t>(local.sequence - sequence);
            timestamp_offset_ = local.timestamp - sent.timestamp;
        }
        if (static_cast<std::int16_t>(local.sequence - next_sequence_) >= 0)
            next_sequence_ = static_cast<std::uint16_t>(local.sequence + 1);
        last_timestamp_ = local.timestamp;
        last_arrival_ = now;
    }

    const loa::common::ManualClock& clock_;
    std::string owner_;
    std::optional<std::pair<std::uint32_t, std::uint64_t>> floor_;
    std::uint64_t pushed_ = 0;
    std::set<std::pair<std::uint32_t, std::uint64_t>> played_;
    std::optional<std::uint32_t> epoch_;
    std::optional<std::uint32_t> remote_;
    std::uint16_t sequence_offset_ = 0;
    std::uint32_t timestamp_offset_ = 0;
    std::uint16_t next_sequence_ = 0;
    std::uint32_t last_timestamp_ = 0;
    std::chrono::steady_clock::time_point last_arrival_{};
};

fs::path g_state; ///< the receiver's state folder (made once, emptied before every input)

/// Whether a datagram names a server start over a day older than the clock: unless it
/// verifies at once, the receiver searches its rollover counter through up to 65,536
/// authentications (by design: the longer a start has run, the more its counter may have
/// wrapped; at most one search per 200 ms). Most mutated SSRCs do, and the fuzzer would spend
/// its time there, so the harness leaves such datagrams out; the seeds' starts are minutes old.
bool costly_search(std::span<const std::uint8_t> datagram,
                   const loa::clients::ReceiverSettings& settings,
                   const loa::common::ManualClock& clock) {
    if (datagram.size() < kRtpHeaderSize)
        return false;
    auto ssrc = static_cast<std::uint32_t>(read_be(datagram.data() + 8, 4));
    std::uint32_t epoch = epoch_of(ssrc, settings.group.empty() ? settings.id : settings.group);
    auto now = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(clock.system_now().time_since_epoch())
            .count());
    return static_cast<std::int32_t>(now - epoch) > 86400;
}

/// One input: a receiver started afresh (with the saved state the header asks for).
void run_input(std::uint8_t flags, std::uint16_t floor_index, std::span<const std::uint8_t> body) {
    loa::clients::ReceiverSettings settings;
    settings.id = "r1";
    settings.key = kKey;
    if ((flags & kGroupFlag) != 0) {
        settings.group = "ch1";
        settings.group_key = kGroupKey;
    }
    settings.server = Endpoint(0x7f000001, 9); // reports go out from run() only: never here
    settings.state_dir = g_state.string();
    std::error_code ec;
    fs::remove(g_state / "r1.report-epoch", ec);
    fs::remove(g_state / "r1.server-epoch", ec);
    std::optional<std::pair<std::uint32_t, std::uint64_t>> floor;
    if ((flags & kFloorFlag) != 0) {
        floor.emplace(kStart, floor_index);
        loa::fuzz::write_seed(g_state, "r1.server-epoch",
                              std::to_string(kStart) + " " + std::to_string(floor_index) + "\n");
    }
    loa::common::ManualClock clock;
    Recorder player(clock, settings.group.empty() ? settings.id : settings.group, floor);
    loa::clients::MediaLink link(settings, player, clock);
    for (const auto& record : loa::fuzz::records(body, 16, loa::clients::MediaLink::kMaxDatagram)) {
        clock.advance(std::chrono::milliseconds(10) * record.tag);
        if (costly_search(record.bytes, settings, clock))
            continue;
        alignas(16) std::array<std::uint8_t, loa::clients::MediaLink::kMaxDatagram> buffer{};
        std::memcpy(buffer.data(), record.bytes.data(), record.bytes.size());
        link.on_datagram(buffer.data(), record.bytes.size());
        auto stats = link.stats();
        require(stats.received == player.pushed(), kTarget,
                "every packet counted as received is played, and only those");
        if (player.epoch())
            require(stats.server_epoch == *player.epoch(), kTarget,
                    "the epoch followed is the one of the packets played");
    }
}

// ---- seeds: genuine packets, protected with the harness's keys ----

/// A server start's stream to r1 (or to channel ch1's group), as the fan-out sends it.
class Sender {
public:
    Sender(std::uint32_t epoch, const std::string& owner, const std::vector<std::uint8_t>& key)
        : ssrc_(ssrc_for(epoch, owner)),
          session_(std::move(SrtpSession::outbound(kProfile, key, ssrc_)).value()) {}

    /// Packet `sequence` (48-bit index: the rollover counter is counted by the caller),
    /// optionally with CSRCs, a header extension and padding around the payload.
    std::vector<std::uint8_t> packet(std::uint64_t index, bool decorated = false) {
        std::array<std::uint8_t, 256> p{};
        auto sequence = static_cast<std::uint16_t>(index);
        auto timestamp = static_cast<std::uint32_t>(index * 960);
        write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize>(p.data(), kRtpHeaderSize),
                         {kOpusPayloadType, index % 50 == 0, sequence, timestamp, ssrc_});
        std::size_t at = kRtpHeaderSize;
        if (decorated) {
            p[0] |= 0x20 | 0x10 | 2; // padding, an extension, two CSRCs
            write_be(&p[at], 0xdecafbad, 4);
            write_be(&p[at + 4], 0x0badcafe, 4);
            write_be(&p[at + 8], 0xbede0001, 4); // one word of extension
            write_be(&p[at + 12], 0x10aa0000, 4);
            at += 16;
        }
        p[at] = 0xf8;
        std::memcpy(&p[at + 1], kMark.data(), kMark.size());
        write_be(&p[at + 5], ssrc_, 4);
        write_be(&p[at + 9], index, 6);
        write_be(&p[at + 15], timestamp, 4);
        at += kPayloadSize;
        if (decorated) {
            p[at] = p[at + 1] = 0;
            p[at + 2] = 3;
            at += 3;
        }
        if (!session_.protect_rtp(p.data(), at, p.size()))
            std::abort();
        return {p.begin(), p.begin() + static_cast<long>(at)};
    }

private:
    std::uint32_t ssrc_;
    SrtpSession session_;
};

/// An input: the header, then each datagram `advance` x 10 ms after the one before.
std::vector<std::uint8_t> input(std::uint8_t flags, std::uint16_t floor_index,
                                const std::vector<std::vector<std::uint8_t>>& datagrams,
                                std::uint8_t advance = 2) {
    std::vector<std::uint8_t> out{flags, static_cast<std::uint8_t>(floor_index >> 8),
                                  static_cast<std::uint8_t>(floor_index)};
    for (const auto& d : datagrams)
        loa::fuzz::append_record(out, advance, d);
    return out;
}

void write_seeds(const fs::path& dir) {
    using loa::fuzz::write_seed;
    Sender start(kStart, "r1", kKey);
    std::vector<std::vector<std::uint8_t>> stream;
    for (std::uint64_t i = 100; i < 105; ++i)
        stream.push_back(start.packet(i));
    write_seed(dir, "stream", input(0, 0, stream));
    write_seed(dir, "replayed", input(0, 0, {stream[0], stream[1], stream[2], stream[0]}));
    write_seed(dir, "floor", input(kFloorFlag, 101, stream));
    write_seed(dir, "silence", input(0, 0, {stream[0], stream[1], stream[2]}, 250));
    {
        Sender newer(kStart + 100, "r1", kKey);
        write_seed(
            dir, "restart_then_stale",
            input(0, 0, {stream[0], stream[1], newer.packet(7), newer.packet(8), stream[2]}));
    }
    {
        auto tampered = stream[1];
        tampered[14] ^= 1;
        Sender forger(kStart, "r1", key_of(30, 0x42));
        write_seed(dir, "forged", input(0, 0, {tampered, forger.packet(101), stream[1]}));
    }
    {
        Sender decorated(kStart, "r1", kKey);
        write_seed(dir, "csrc_extension_padding",
                   input(0, 0, {decorated.packet(1, true), decorated.packet(2, true)}));
    }
    {
        Sender group(kStart, "ch1", kGroupKey);
        write_seed(dir, "group", input(kGroupFlag, 0, {group.packet(1), group.packet(2)}));
    }
    {
        // 70,000 packets went out before the receiver listened: rollover counter 1.
        Sender wrapped(kStart + 5, "r1", kKey);
        for (std::uint64_t i = 0; i < 70000; ++i)
            wrapped.packet(i);
        write_seed(dir, "wrapped", input(0, 0, {wrapped.packet(70000), wrapped.packet(70001)}));
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    loa::common::init_logging("off"); // restarts and state-file failures are logged
    if (auto dir = loa::fuzz::seed_folder()) {
        write_seeds(*dir);
        std::exit(0);
    }
    std::string root = (fs::temp_directory_path() / "loa-fuzz-media-XXXXXX").string();
    if (mkdtemp(root.data()) == nullptr) {
        std::perror("media_fuzz: mkdtemp");
        std::abort();
    }
    g_state = root;
    std::atexit([] {
        std::error_code ec;
        fs::remove_all(g_state, ec);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3)
        return 0;
    std::span<const std::uint8_t> input(data, size);
    run_input(data[0], static_cast<std::uint16_t>((data[1] << 8) | data[2]), input.subspan(3));
    return 0;
}
