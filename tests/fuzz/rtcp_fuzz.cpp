/// @file
/// libFuzzer target: the server's media port input path. Every datagram of an input goes to a
/// real ReportListener::handle (what its thread does with a datagram read from the socket:
/// peek_cname, the replay and epoch checks, SRTCP unprotect with the receiver's key,
/// parse_receiver_report, latching), and the parse functions also see the raw bytes.
///
/// Two receivers are registered with fixed keys, so inputs made of genuine reports
/// authenticate: "rx-cm" (AES-CM-HMAC-SHA1-80) and "rx-gcm" (AES-GCM). An input is a header
/// (flags; a replay floor) and records (fuzz_support.hpp): a tag byte (the source port)
/// and a datagram. Traps when:
/// - a datagram is counted other than exactly once (accepted, unknown, rejected, stale or
///   malformed);
/// - a receiver's link (address, reports, position, loss figures) moves without an accepted
///   report, or an accepted report is one that a fresh session with the receiver's keys does
///   not authenticate, whose clear text does not parse with the receiver's CNAME and SSRC, or
///   whose figures are not the ones stored;
/// - the same datagram is accepted twice, a report at or before the replay floor is accepted,
///   or a receiver's accepted report SSRCs (start epochs) go back;
/// - a parsed report's fields are out of bounds (CNAME empty, over 255 bytes or outside the
///   packet; a cumulative loss beyond 24 bits) or do not survive write_receiver_report.

#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/logging.hpp"
#include "loa/pipeline/endpoint.hpp"
#include "loa/pipeline/receiver_link.hpp"
#include "loa/pipeline/report_listener.hpp"
#include "loa/pipeline/rtcp.hpp"
#include "loa/pipeline/srtp.hpp"
#include "loa/pipeline/ssrc.hpp"

namespace {

using namespace loa::pipeline;
using loa::fuzz::require;

constexpr const char* kTarget = "rtcp_fuzz";
constexpr std::size_t kMaxDatagram = 1500;      ///< what the listener's socket read takes
constexpr std::uint32_t kStart = 1'800'000'000; ///< the receivers' report SSRC in the seeds
constexpr std::uint8_t kFloorFlag = 1;          ///< header flag: the receivers have a floor
constexpr std::uint8_t kRekeyedFlag = 2;        ///< header flag: rx-cm was given a new key

std::vector<std::uint8_t> key_of(std::size_t length, std::uint8_t first) {
    std::vector<std::uint8_t> key(length);
    for (std::size_t i = 0; i < length; ++i)
        key[i] = static_cast<std::uint8_t>(first + i);
    return key;
}

/// A receiver of the harness: its spec and, after a rekey, its previous key.
struct Receiver {
    ReceiverSpec spec;
    std::vector<std::uint8_t> previous_key;
};

const std::vector<std::uint8_t> kCmKey = key_of(30, 0x01);
const std::vector<std::uint8_t> kCmNewKey = key_of(30, 0x41);
const std::vector<std::uint8_t> kGcmKey = key_of(28, 0x81);

std::uint32_t read32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           p[3];
}

/// What a link holds, to tell whether a datagram moved it.
struct LinkState {
    std::uint64_t address, reports, position;
    std::int64_t last_report_ms;
    std::uint32_t fraction_lost, jitter;
    std::int32_t cumulative_lost;
    bool operator==(const LinkState&) const = default;
};

LinkState state_of(const ReceiverLink& link) {
    return {link.address.load(),        link.reports.load(),       link.report_position.load(),
            link.last_report_ms.load(), link.fraction_lost.load(), link.jitter.load(),
            link.cumulative_lost.load()};
}

std::uint64_t counted(const ReportStats& s) {
    return s.accepted + s.unknown_receiver + s.rejected + s.stale_ssrc + s.malformed;
}

/// A parsed report's fields are within bounds and survive writing and parsing again.
void check_report(const ReceiverReportView& view, std::span<const std::uint8_t> packet) {
    const auto* first = reinterpret_cast<const char*>(packet.data());
    require(!view.cname.empty() && view.cname.size() <= 255, kTarget,
            "a parsed CNAME is 1 to 255 bytes");
    require(view.cname.data() >= first &&
                view.cname.data() + view.cname.size() <= first + packet.size(),
            kTarget, "a parsed CNAME lies inside the packet");
    if (view.report)
        require(view.report->cumulative_lost >= -(1 << 23) &&
                    view.report->cumulative_lost < (1 << 23),
                kTarget, "a cumulative loss fits in 24 signed bits");
    ReceiverReport again{view.ssrc, std::string(view.cname), view.report};
    std::array<std::uint8_t, kMaxReceiverReportSize> out{};
    std::size_t n = write_receiver_report(out, again);
    require(n > 0, kTarget, "a parsed report can be written again");
    auto reread = parse_receiver_report(std::span<const std::uint8_t>(out.data(), n));
    require(reread && reread->ssrc == view.ssrc && reread->cname == view.cname &&
                reread->report.has_value() == view.report.has_value(),
            kTarget, "a written report parses to the same SSRC, CNAME and block");
    if (view.report) {
        const auto &a = *view.report, &b = *reread->report;
        require(a.source_ssrc == b.source_ssrc && a.fraction_lost == b.fraction_lost &&
                    a.cumulative_lost == b.cumulative_lost &&
                    a.highest_sequence == b.highest_sequence && a.jitter == b.jitter,
                kTarget, "a written report block parses to the same figures");
    }
}

/// The parse functions on the raw bytes, as an attacker sends them.
void check_raw(std::span<const std::uint8_t> packet) {
    if (auto cname = peek_cname(packet)) {
        const auto* first = reinterpret_cast<const char*>(packet.data());
        require(cname->data() >= first && cname->data() + cname->size() <= first + packet.size(),
                kTarget, "a peeked CNAME lies inside the packet");
    }
    if (auto view = parse_receiver_report(packet))
        check_report(*view, packet);
}

/// The clear text of `packet` if a fresh session (no replay state) with one of `keys`
/// authenticates it.
std::optional<std::vector<std::uint8_t>>
authenticate(SrtpProfile profile, const std::vector<std::vector<std::uint8_t>>& keys,
             std::span<const std::uint8_t> packet) {
    for (const auto& key : keys) {
        if (key.empty())
            continue;
        auto session = SrtpSession::inbound(profile, key);
        require(static_cast<bool>(session), kTarget, "the harness's keys fit their profiles");
        alignas(16) std::array<std::uint8_t, kMaxDatagram> copy{};
        std::memcpy(copy.data(), packet.data(), packet.size());
        std::size_t len = packet.size();
        if (session->unprotect_rtcp(copy.data(), len))
            return std::vector<std::uint8_t>(copy.begin(), copy.begin() + static_cast<long>(len));
    }
    return std::nullopt;
}

/// One input's world: a listener with two receivers, and what has been accepted so far.
class Harness {
public:
    Harness(std::uint8_t flags, std::uint8_t floor_index) : listener_(-1, clock_) {
        receivers_[0].spec = {"rx-cm", 0, SrtpProfile::aes_cm_128_hmac_sha1_80, kCmKey, {}};
        receivers_[1].spec = {"rx-gcm", 0, SrtpProfile::aead_aes_128_gcm, kGcmKey, {}};
        if ((flags & kFloorFlag) != 0)
            floor_ = ReportPosition{kStart, floor_index};
        for (std::size_t i = 0; i < receivers_.size(); ++i)
            require(
                static_cast<bool>(listener_.add_receiver(receivers_[i].spec, &links_[i], floor_)),
                kTarget, "the harness's receivers register");
        if ((flags & kRekeyedFlag) != 0) {
            require(static_cast<bool>(listener_.rekey_receiver("rx-cm", kCmNewKey)), kTarget,
                    "the harness's rekey is taken");
            receivers_[0].previous_key = kCmKey;
            receivers_[0].spec.key = kCmNewKey;
        }
    }

    void datagram(std::uint8_t tag, std::span<const std::uint8_t> bytes) {
        check_raw(bytes);
        alignas(16) std::array<std::uint8_t, kMaxDatagram> buffer{};
        std::memcpy(buffer.data(), bytes.data(), bytes.size());
        sockaddr_in from = Endpoint(0x0a000001U + (tag & 3U), 6000 + tag).to_sockaddr();
        std::array<LinkState, 2> before{state_of(links_[0]), state_of(links_[1])};
        ReportStats stats_before = listener_.stats();
        listener_.handle(buffer.data(), bytes.size(), from);
        ReportStats stats = listener_.stats();
        require(counted(stats) == counted(stats_before) + 1, kTarget,
                "every datagram is counted exactly once");
        bool accepted = stats.accepted == stats_before.accepted + 1;
        require(!accepted || peek_cname(bytes) == receivers_[0].spec.id ||
                    peek_cname(bytes) == receivers_[1].spec.id,
                kTarget, "an accepted report names a registered receiver");
        for (std::size_t i = 0; i < links_.size(); ++i) {
            bool named = accepted && peek_cname(bytes) == receivers_[i].spec.id;
            if (!named) {
                require(state_of(links_[i]) == before[i], kTarget,
                        "a link moves only with an accepted report of its receiver");
                continue;
            }
            accepted_report(i, bytes, Endpoint(from), before[i]);
        }
    }

private:
    /// `packet` was accepted for receiver `i`: it must be genuine, new, and what the link says.
    void accepted_report(std::size_t i, std::span<const std::uint8_t> packet, Endpoint from,
                         const LinkState& before) {
        const Receiver& r = receivers_[i];
        auto clear = authenticate(r.spec.profile, {r.spec.key, r.previous_key}, packet);
        require(clear.has_value(), kTarget,
                "an accepted report authenticates under its receiver's key");
        // Once a report under the new key is in, the previous key opens nothing more.
        if (!r.previous_key.empty() && authenticate(r.spec.profile, {r.spec.key}, packet))
            receivers_[i].previous_key.clear();
        auto view = parse_receiver_report(*clear);
        require(view && view->cname == r.spec.id, kTarget,
                "an accepted report parses and names its receiver");
        check_report(*view, *clear);
        std::uint32_t ssrc = read32(packet.data() + 4);
        require(view->ssrc == ssrc, kTarget, "an accepted report's SSRC is its header's");
        bool aead = r.spec.profile == SrtpProfile::aead_aes_128_gcm;
        std::size_t at = aead ? packet.size() - 4 : packet.size() - 10 - 4;
        std::uint32_t index = read32(packet.data() + at) & 0x7fffffff;

        require(seen_.insert(std::vector<std::uint8_t>(packet.begin(), packet.end())).second,
                kTarget, "no datagram is accepted twice");
        auto last = last_ssrc_.find(i);
        if (last == last_ssrc_.end() && floor_)
            require(epoch_newer(ssrc, floor_->ssrc) ||
                        (ssrc == floor_->ssrc && index > floor_->index),
                    kTarget, "nothing at or before the replay floor is accepted");
        if (last != last_ssrc_.end())
            require(ssrc == last->second || epoch_newer(ssrc, last->second), kTarget,
                    "a receiver's report SSRCs never go back");
        last_ssrc_[i] = ssrc;

        LinkState now = state_of(links_[i]);
        require(now.address == from.packed(), kTarget, "an accepted report latches its source");
        require(now.reports == before.reports + 1, kTarget, "an accepted report is counted");
        require(now.position == ReportPosition{ssrc, index}.packed(), kTarget,
                "the link keeps the accepted report's position");
        if (view->report)
            require(now.fraction_lost == view->report->fraction_lost &&
                        now.cumulative_lost == view->report->cumulative_lost &&
                        now.jitter == view->report->jitter,
                    kTarget, "the link keeps the accepted report's figures");
        else
            require(now.fraction_lost == before.fraction_lost &&
                        now.cumulative_lost == before.cumulative_lost &&
                        now.jitter == before.jitter,
                    kTarget, "a report without a block leaves the figures");
    }

    loa::common::ManualClock clock_;
    ReportListener listener_;
    std::array<Receiver, 2> receivers_;
    std::array<ReceiverLink, 2> links_;
    std::optional<ReportPosition> floor_;
    std::set<std::vector<std::uint8_t>> seen_;
    std::map<std::size_t, std::uint32_t> last_ssrc_;
};

// ---- seeds: genuine reports, protected with the harness's keys ----

/// A receiver's outgoing reports for one start (one SSRC), as its MediaLink sends them.
class Reporter {
public:
    Reporter(SrtpProfile profile, const std::vector<std::uint8_t>& key, std::uint32_t ssrc,
             std::string cname)
        : session_(std::move(SrtpSession::outbound(profile, key, ssrc)).value()), ssrc_(ssrc),
          cname_(std::move(cname)) {}

    std::vector<std::uint8_t> next(std::optional<ReceptionReport> block = std::nullopt) {
        std::array<std::uint8_t, kMaxReceiverReportSize + kSrtpMaxTrailer> buffer{};
        std::size_t len = write_receiver_report(buffer, {ssrc_, cname_, block});
        if (len == 0 || !session_.protect_rtcp(buffer.data(), len, buffer.size()))
            std::abort();
        return {buffer.begin(), buffer.begin() + static_cast<long>(len)};
    }

private:
    SrtpSession session_;
    std::uint32_t ssrc_;
    std::string cname_;
};

ReceptionReport block(std::uint8_t fraction, std::int32_t lost, std::uint32_t jitter) {
    return {0x12345678, fraction, lost, 70000, jitter};
}

/// An input: the header, then each datagram from the source port `6000 + tag`.
std::vector<std::uint8_t> input(std::uint8_t flags, std::uint8_t floor_index,
                                const std::vector<std::vector<std::uint8_t>>& datagrams,
                                std::uint8_t first_tag = 0) {
    std::vector<std::uint8_t> out{flags, floor_index};
    std::uint8_t tag = first_tag;
    for (const auto& d : datagrams)
        loa::fuzz::append_record(out, tag++, d);
    return out;
}

void write_seeds(const std::filesystem::path& dir) {
    using loa::fuzz::write_seed;
    auto cm = SrtpProfile::aes_cm_128_hmac_sha1_80;
    auto gcm = SrtpProfile::aead_aes_128_gcm;
    {
        Reporter r(cm, kCmKey, kStart, "rx-cm");
        auto first = r.next();
        auto second = r.next(block(12, 300, 480));
        auto third = r.next(block(0, -2, 96));
        write_seed(dir, "cm_reports", input(0, 0, {first, second, third}));
        write_seed(dir, "cm_replayed", input(0, 0, {first, second, first, second}));
        write_seed(dir, "cm_floor", input(kFloorFlag, 1, {first, second, third}));
        auto forged = second;
        forged.back() ^= 1;
        auto moved = third;
        moved[12] ^= 0x40; // the report block, under the authentication tag
        write_seed(dir, "cm_forged", input(0, 0, {forged, moved, first}));
    }
    {
        Reporter older(cm, kCmKey, kStart, "rx-cm");
        Reporter newer(cm, kCmKey, kStart + 60, "rx-cm");
        auto a = older.next(block(1, 1, 1));
        auto b = newer.next(block(2, 2, 2));
        auto c = older.next(block(3, 3, 3));
        write_seed(dir, "cm_restart_then_stale", input(0, 0, {a, b, c}, 1));
    }
    {
        Reporter before(cm, kCmKey, kStart, "rx-cm");
        Reporter after(cm, kCmNewKey, kStart, "rx-cm");
        auto old_key = before.next(block(5, 10, 20));
        auto new_key = after.next(block(6, 11, 21));
        write_seed(dir, "cm_rekeyed", input(kRekeyedFlag, 0, {old_key, new_key}));
    }
    {
        Reporter r(gcm, kGcmKey, kStart, "rx-gcm");
        auto first = r.next();
        auto second = r.next(block(255, 0x7fffff, 0xffffffff));
        auto third = r.next(block(0, -0x800000, 0));
        write_seed(dir, "gcm_reports", input(kFloorFlag, 0, {first, second, third, second}, 2));
    }
    {
        Reporter stranger(cm, kCmKey, kStart, "rx-other");
        std::array<std::uint8_t, kMaxReceiverReportSize> clear{};
        std::size_t n = write_receiver_report(clear, {kStart, "rx-cm", block(9, 9, 9)});
        std::vector<std::uint8_t> unprotected(clear.begin(), clear.begin() + static_cast<long>(n));
        write_seed(dir, "unknown_and_clear", input(0, 0, {stranger.next(), unprotected}));
        write_seed(dir, "short", input(0, 0, {{0x81, 0xca, 0x00, 0x01, 0x00}}));
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    loa::common::init_logging("off"); // latching and restarts are logged at info
    if (auto dir = loa::fuzz::seed_folder()) {
        write_seeds(*dir);
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    std::span<const std::uint8_t> input(data, size);
    Harness harness(data[0], data[1]);
    for (const auto& record : loa::fuzz::records(input.subspan(2), 16, kMaxDatagram))
        harness.datagram(record.tag, record.bytes);
    return 0;
}
