#pragma once
/// @file
/// What the libFuzzer targets share: a trap that names the broken invariant, the framing of an
/// input that carries several datagrams, and the writing of a target's own seed corpus.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loa::fuzz {

/// A broken invariant is a bug: say which, and stop for libFuzzer (it keeps the input).
inline void require(bool holds, const char* target, const char* invariant) {
    if (holds)
        return;
    std::fprintf(stderr, "%s: invariant broken: %s\n", target, invariant);
    __builtin_trap();
}

/// One record of a framed input: a tag byte for the harness, then a datagram.
struct Record {
    std::uint8_t tag = 0;
    std::span<const std::uint8_t> bytes;
};

/// Splits an input into records: a tag byte, a 16-bit big-endian length, that many bytes (the
/// last record takes what is left if it is shorter). At most `max_records`, each cut to
/// `max_bytes`: a datagram never exceeds what the socket read would give.
inline std::vector<Record> records(std::span<const std::uint8_t> input, std::size_t max_records,
                                   std::size_t max_bytes) {
    std::vector<Record> out;
    std::size_t at = 0;
    while (at + 3 <= input.size() && out.size() < max_records) {
        Record r;
        r.tag = input[at];
        std::size_t len = (std::size_t{input[at + 1]} << 8) | input[at + 2];
        at += 3;
        len = std::min({len, input.size() - at, max_bytes});
        r.bytes = input.subspan(at, len);
        at += len;
        out.push_back(r);
    }
    return out;
}

/// Appends a record in the framing that records() reads (for seeds).
inline void append_record(std::vector<std::uint8_t>& out, std::uint8_t tag,
                          std::span<const std::uint8_t> bytes) {
    out.push_back(tag);
    out.push_back(static_cast<std::uint8_t>(bytes.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(bytes.size()));
    out.insert(out.end(), bytes.begin(), bytes.end());
}

/// The folder named by LOA_FUZZ_WRITE_SEEDS, if set: a target then writes its seed corpus
/// there and exits, so that seeds made of genuine protected packets can be made again.
inline std::optional<std::filesystem::path> seed_folder() {
    const char* dir = std::getenv("LOA_FUZZ_WRITE_SEEDS");
    if (dir == nullptr || *dir == '\0')
        return std::nullopt;
    std::filesystem::create_directories(dir);
    return std::filesystem::path(dir);
}

inline void write_seed(const std::filesystem::path& dir, const std::string& name,
                       std::string_view bytes) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        std::fprintf(stderr, "cannot write the seed %s\n", (dir / name).c_str());
        std::exit(1);
    }
}

inline void write_seed(const std::filesystem::path& dir, const std::string& name,
                       const std::vector<std::uint8_t>& bytes) {
    write_seed(dir, name,
               std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

} // namespace loa::fuzz
