#include "wav.hpp"

#include <cmath>
#include <cstring>
#include <fstream>

#include "process.hpp"

namespace loa::test {

Wav read_wav(const std::string& path) {
    Wav wav;
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0)
        return wav;
    std::size_t at = 12;
    int bits = 0;
    while (at + 8 <= bytes.size()) {
        std::uint32_t size = 0;
        std::memcpy(&size, &bytes[at + 4], 4);
        std::string id(&bytes[at], 4);
        std::size_t body = at + 8;
        if (id == "fmt " && body + 16 <= bytes.size()) {
            std::uint16_t channels = 0, bits_per_sample = 0;
            std::uint32_t rate = 0;
            std::memcpy(&channels, &bytes[body + 2], 2);
            std::memcpy(&rate, &bytes[body + 4], 4);
            std::memcpy(&bits_per_sample, &bytes[body + 14], 2);
            wav.channels = channels;
            wav.rate = static_cast<int>(rate);
            bits = bits_per_sample;
        } else if (id == "data" && bits == 16 && wav.channels > 0) {
            // A writer killed before finishing leaves size 0: read what is there.
            std::size_t end = size == 0 || body + size > bytes.size() ? bytes.size() : body + size;
            std::size_t frames = (end - body) / (2U * static_cast<std::size_t>(wav.channels));
            wav.samples.resize(frames);
            for (std::size_t f = 0; f < frames; ++f) {
                float sum = 0;
                for (int c = 0; c < wav.channels; ++c) {
                    std::int16_t s = 0;
                    std::memcpy(&s, &bytes[body + (f * wav.channels + c) * 2], 2);
                    sum += static_cast<float>(s) / 32768.0F;
                }
                wav.samples[f] = sum / static_cast<float>(wav.channels);
            }
            return wav;
        }
        at = body + size + (size & 1U);
    }
    return wav;
}

double tone_power(const Wav& wav, std::size_t begin, std::size_t end, double frequency) {
    end = std::min(end, wav.samples.size());
    if (begin >= end || wav.rate == 0)
        return 0;
    double w = 2 * M_PI * frequency / wav.rate;
    double coeff = 2 * std::cos(w);
    double s1 = 0, s2 = 0;
    for (std::size_t i = begin; i < end; ++i) {
        double s0 = wav.samples[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    double n = static_cast<double>(end - begin);
    return power / (n * n);
}

double dominant_frequency(const Wav& wav, double begin_s, double end_s,
                          const std::vector<double>& candidates) {
    auto begin = static_cast<std::size_t>(std::max(0.0, begin_s) * wav.rate);
    auto end = static_cast<std::size_t>(std::max(0.0, end_s) * wav.rate);
    double best = 0, best_power = -1;
    for (double f : candidates) {
        double p = tone_power(wav, begin, end, f);
        if (p > best_power) {
            best_power = p;
            best = f;
        }
    }
    return best;
}

double rms(const Wav& wav, double begin_s, double end_s) {
    auto begin = static_cast<std::size_t>(std::max(0.0, begin_s) * wav.rate);
    auto end = std::min(wav.samples.size(), static_cast<std::size_t>(end_s * wav.rate));
    if (begin >= end)
        return 0;
    double sum = 0;
    for (std::size_t i = begin; i < end; ++i)
        sum += static_cast<double>(wav.samples[i]) * wav.samples[i];
    return std::sqrt(sum / static_cast<double>(end - begin));
}

namespace {

/// The first window of `window` samples, stepped by a quarter of it from `from_s`, in which
/// `frequency` has more than `ratio` times the power of `other` and at least `floor`; its
/// start in samples, or -1.
long first_window(const Wav& wav, double frequency, double other, double from_s, std::size_t window,
                  double ratio, double floor) {
    if (wav.rate == 0)
        return -1;
    for (auto at = static_cast<std::size_t>(from_s * wav.rate); at + window <= wav.samples.size();
         at += window / 4) {
        double p = tone_power(wav, at, at + window, frequency);
        if (p > ratio * tone_power(wav, at, at + window, other) && p > floor)
            return static_cast<long>(at);
    }
    return -1;
}

} // namespace

double first_time_dominant(const Wav& wav, double frequency, double other, double from_s) {
    std::size_t window = static_cast<std::size_t>(wav.rate) / 10;
    long at = first_window(wav, frequency, other, from_s, window, 4, 1e-5);
    return at < 0 ? -1 : static_cast<double>(at) / wav.rate;
}

double onset(const Wav& wav, double frequency, double other, double from_s) {
    std::size_t window = static_cast<std::size_t>(wav.rate) / 50;
    long at = first_window(wav, frequency, other, from_s, window, 1, 1e-4);
    return at < 0 ? -1 : static_cast<double>(at + static_cast<long>(window / 2)) / wav.rate;
}

void write_tone_wav(const std::string& path, double frequency, double seconds) {
    constexpr int kRate = 48000;
    auto samples = static_cast<std::uint32_t>(seconds * kRate);
    std::ofstream out(path, std::ios::binary);
    auto put32 = [&](std::uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
    auto put16 = [&](std::uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
    out.write("RIFF", 4);
    put32(36 + samples * 2);
    out.write("WAVEfmt ", 8);
    put32(16);
    put16(1); // PCM
    put16(1); // mono
    put32(kRate);
    put32(kRate * 2);
    put16(2);
    put16(16);
    out.write("data", 4);
    put32(samples * 2);
    for (std::uint32_t i = 0; i < samples; ++i) {
        double v = 0.5 * std::sin(2 * M_PI * frequency * i / kRate);
        put16(static_cast<std::uint16_t>(static_cast<std::int16_t>(v * 32767)));
    }
}

bool decode_ogg_opus(const std::string& ogg, const std::string& wav, const std::string& log) {
    Process decoder({"/usr/bin/gst-launch-1.0", "-q", "filesrc", "location=" + ogg, "!", "oggdemux",
                     "!", "opusdec", "!", "audioconvert", "!", "audioresample", "!",
                     "audio/x-raw,format=S16LE,rate=48000,channels=1", "!", "wavenc", "!",
                     "filesink", "location=" + wav},
                    log);
    return decoder.wait(std::chrono::seconds(30)) == 0;
}

} // namespace loa::test
