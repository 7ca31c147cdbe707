// Per-packet cost of the building blocks, with Google Benchmark. The level meter (a receiver's
// proof of play) measures the 20 ms of audio one packet carries: compare it with protecting
// that packet (a receiver unprotects each one), measured in the same run.
#include <benchmark/benchmark.h>
#include <cstring>

#include "loa/common/secret.hpp"
#include "loa/pipeline/level_meter.hpp"
#include "loa/pipeline/rtp.hpp"
#include "loa/pipeline/srtp.hpp"

using namespace loa::pipeline;

namespace {

void protect(benchmark::State& state, SrtpProfile profile) {
    std::vector<std::uint8_t> key(srtp_master_length(profile));
    loa::common::random_bytes(key.data(), key.size());
    auto session = SrtpSession::outbound(profile, key, 1);
    std::array<std::uint8_t, 256> packet{};
    RtpStream stream(1, 0, 0);
    std::uint32_t ts = 0;
    for (auto _ : state) {
        write_rtp_header(std::span<std::uint8_t, kRtpHeaderSize>(packet.data(), kRtpHeaderSize),
                         stream.next(ts += 960, 1));
        std::size_t len = kRtpHeaderSize + 80;
        benchmark::DoNotOptimize(session->protect_rtp(packet.data(), len, packet.size()));
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_RtpHeader(benchmark::State& state) {
    std::array<std::uint8_t, kRtpHeaderSize> header{};
    RtpStream stream(1, 0, 0);
    std::uint32_t ts = 0;
    for (auto _ : state) {
        write_rtp_header(header, stream.next(ts += 960, 1));
        benchmark::DoNotOptimize(header);
    }
}

void BM_LevelMeter20ms(benchmark::State& state) {
    LevelMeter meter(-60);
    std::vector<std::int16_t> audio(960); // 20 ms at 48 kHz, mono
    for (std::size_t i = 0; i < audio.size(); ++i)
        audio[i] = static_cast<std::int16_t>((i * 7919) % 20000 - 10000);
    std::int64_t now = 0;
    for (auto _ : state) {
        meter.feed(audio.data(), audio.size(), 1, now += 20'000'000);
        benchmark::DoNotOptimize(meter.totals());
    }
    state.SetItemsProcessed(state.iterations());
}

} // namespace

BENCHMARK(BM_RtpHeader);
BENCHMARK(BM_LevelMeter20ms);
BENCHMARK_CAPTURE(protect, aes_cm_128_hmac_sha1_80, SrtpProfile::aes_cm_128_hmac_sha1_80);
BENCHMARK_CAPTURE(protect, aead_aes_128_gcm, SrtpProfile::aead_aes_128_gcm);
BENCHMARK_MAIN();
