#include "loa/pipeline/rtcp.hpp"

#include <cstring>

namespace loa::pipeline {
namespace {

constexpr std::uint8_t kReceiverReportType = 201;
constexpr std::uint8_t kSdesType = 202;
constexpr std::uint8_t kCnameItem = 1;

void put16(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}
std::uint32_t get32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           p[3];
}

std::size_t write_report_block(std::uint8_t* p, const ReceptionReport& r) {
    put32(p, r.source_ssrc);
    std::uint32_t lost = static_cast<std::uint32_t>(r.cumulative_lost) & 0xffffff;
    put32(p + 4, (std::uint32_t{r.fraction_lost} << 24) | lost);
    put32(p + 8, r.highest_sequence);
    put32(p + 12, r.jitter);
    put32(p + 16, 0); // LSR: receivers never see sender reports
    put32(p + 20, 0); // DLSR
    return 24;
}

ReceptionReport read_report_block(const std::uint8_t* p) {
    ReceptionReport r;
    r.source_ssrc = get32(p);
    std::uint32_t word = get32(p + 4);
    r.fraction_lost = static_cast<std::uint8_t>(word >> 24);
    std::uint32_t lost = word & 0xffffff;
    r.cumulative_lost = (lost & 0x800000) != 0 ? static_cast<std::int32_t>(lost | 0xff000000)
                                               : static_cast<std::int32_t>(lost);
    r.highest_sequence = get32(p + 8);
    r.jitter = get32(p + 12);
    return r;
}

std::optional<std::string_view> read_cname(const std::uint8_t* p, std::size_t len) {
    // One chunk: SSRC, then items until END (type 0).
    std::size_t at = 4;
    while (at + 2 <= len && p[at] != 0) {
        std::size_t item_len = p[at + 1];
        if (at + 2 + item_len > len)
            return std::nullopt;
        if (p[at] == kCnameItem)
            return std::string_view(reinterpret_cast<const char*>(p + at + 2), item_len);
        at += 2 + item_len;
    }
    return std::nullopt;
}

} // namespace

std::size_t write_receiver_report(std::span<std::uint8_t> out, const ReceiverReport& report) {
    std::size_t rr_len = 8 + (report.report ? 24 : 0);
    std::size_t cname_len = report.cname.size();
    if (cname_len > 255)
        return 0;
    std::size_t sdes_body = 4 + 2 + cname_len + 1; // SSRC, item header, text, END
    std::size_t sdes_len = 4 + ((sdes_body + 3) & ~std::size_t{3});
    if (out.size() < rr_len + sdes_len)
        return 0;
    std::uint8_t* p = out.data();
    std::memset(p, 0, rr_len + sdes_len);
    p[0] = static_cast<std::uint8_t>(0x80 | (report.report ? 1 : 0));
    p[1] = kReceiverReportType;
    put16(p + 2, static_cast<std::uint32_t>(rr_len / 4 - 1));
    put32(p + 4, report.ssrc);
    if (report.report)
        write_report_block(p + 8, *report.report);
    std::uint8_t* s = p + rr_len;
    s[0] = 0x81; // one chunk
    s[1] = kSdesType;
    put16(s + 2, static_cast<std::uint32_t>(sdes_len / 4 - 1));
    put32(s + 4, report.ssrc);
    s[8] = kCnameItem;
    s[9] = static_cast<std::uint8_t>(cname_len);
    std::memcpy(s + 10, report.cname.data(), cname_len); // NOLINT: SDES text is not NUL-ended
    return rr_len + sdes_len;
}

std::optional<ReceiverReportView> parse_receiver_report(std::span<const std::uint8_t> packet) {
    ReceiverReportView result;
    bool seen_rr = false;
    std::size_t at = 0;
    while (at + 4 <= packet.size()) {
        const std::uint8_t* p = packet.data() + at;
        if ((p[0] >> 6) != 2)
            return std::nullopt;
        std::size_t len = 4 * (std::size_t{static_cast<std::uint16_t>((p[2] << 8) | p[3])} + 1);
        if (at + len > packet.size())
            return std::nullopt;
        unsigned count = p[0] & 0x1f;
        if (p[1] == kReceiverReportType && len >= 8 + 24 * count) {
            result.ssrc = get32(p + 4);
            if (count > 0)
                result.report = read_report_block(p + 8);
            seen_rr = true;
        } else if (p[1] == kSdesType && count >= 1 && len >= 8) {
            if (auto cname = read_cname(p + 4, len - 4))
                result.cname = *cname;
        }
        at += len;
    }
    if (!seen_rr || result.cname.empty() || at != packet.size())
        return std::nullopt;
    return result;
}

std::optional<std::string_view> peek_cname(std::span<const std::uint8_t> srtcp_packet) {
    // Walk the compound until the SRTCP trailer: stop at the first SDES chunk found.
    std::size_t at = 0;
    while (at + 8 <= srtcp_packet.size()) {
        const std::uint8_t* p = srtcp_packet.data() + at;
        if ((p[0] >> 6) != 2)
            return std::nullopt;
        std::size_t len = 4 * (std::size_t{static_cast<std::uint16_t>((p[2] << 8) | p[3])} + 1);
        if (at + len > srtcp_packet.size())
            return std::nullopt;
        if (p[1] == kSdesType && (p[0] & 0x1f) >= 1)
            return read_cname(p + 4, len - 4);
        at += len;
    }
    return std::nullopt;
}

} // namespace loa::pipeline
