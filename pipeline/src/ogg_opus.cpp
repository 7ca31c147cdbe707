#include "loa/pipeline/ogg_opus.hpp"

#include <array>
#include <cassert>

namespace loa::pipeline {
namespace {

constexpr std::uint8_t kBeginningOfStream = 0x02;
constexpr std::size_t kPageHeader = 27;
constexpr std::size_t kCrcOffset = 22;
[[maybe_unused]] constexpr std::size_t kMaxSegments = 255; // checked by an assert only

constexpr std::array<std::uint32_t, 256> crc_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t r = i << 24;
        for (int bit = 0; bit < 8; ++bit)
            r = (r & 0x80000000U) != 0 ? (r << 1) ^ 0x04c11db7U : r << 1;
        table[i] = r;
    }
    return table;
}

constexpr auto kCrcTable = crc_table();

void put_le(std::string& out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out += static_cast<char>((value >> (8 * i)) & 0xff);
}

void put_le_at(std::string& out, std::size_t at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i)
        out[at + static_cast<std::size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xff);
}

std::span<const std::uint8_t> bytes_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

} // namespace

std::uint32_t ogg_crc(std::span<const std::uint8_t> bytes) {
    std::uint32_t crc = 0;
    for (std::uint8_t b : bytes)
        crc = (crc << 8) ^ kCrcTable[((crc >> 24) & 0xff) ^ b];
    return crc;
}

OggOpusWriter::OggOpusWriter(std::uint32_t serial, int channels)
    : serial_(serial), channels_(channels) {}

std::string OggOpusWriter::headers() {
    std::string head = "OpusHead";
    head += static_cast<char>(1); // version
    head += static_cast<char>(channels_);
    put_le(head, kPreSkip, 2);
    put_le(head, 48000, 4);       // the rate the source was encoded from
    put_le(head, 0, 2);           // output gain
    head += static_cast<char>(0); // mapping family 0: mono or stereo, no table
    std::string tags = "OpusTags";
    constexpr std::string_view kVendor = "loa";
    put_le(tags, kVendor.size(), 4);
    tags += kVendor;
    put_le(tags, 0, 4); // no comments
    return write_page(bytes_of(head), kBeginningOfStream) + write_page(bytes_of(tags), 0);
}

std::string OggOpusWriter::page(std::span<const std::uint8_t> packet, std::uint32_t samples) {
    granule_ += samples;
    return write_page(packet, 0);
}

std::string OggOpusWriter::write_page(std::span<const std::uint8_t> packet, std::uint8_t flags) {
    // Lacing: 255s, then the remainder (0 when the size is a multiple of 255).
    std::size_t segments = packet.size() / 255 + 1;
    assert(segments <= kMaxSegments); // an Opus packet is at most 1275 bytes
    std::string out;
    out.reserve(kPageHeader + segments + packet.size());
    out += "OggS";
    out += static_cast<char>(0); // version
    out += static_cast<char>(flags);
    put_le(out, granule_, 8);
    put_le(out, serial_, 4);
    put_le(out, sequence_++, 4);
    put_le(out, 0, 4); // CRC, computed over the page with this field zero
    out += static_cast<char>(segments);
    for (std::size_t i = 0; i + 1 < segments; ++i)
        out += static_cast<char>(255);
    out += static_cast<char>(packet.size() % 255);
    out.append(reinterpret_cast<const char*>(packet.data()), packet.size());
    put_le_at(out, kCrcOffset, ogg_crc(bytes_of(out)));
    return out;
}

} // namespace loa::pipeline
