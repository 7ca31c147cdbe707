#pragma once
/// @file
/// Test helpers: reading WAV files the receivers write and measuring their tones.

#include <cstdint>
#include <string>
#include <vector>

namespace loa::test {

/// A decoded 16-bit PCM WAV file, channels mixed down to mono.
struct Wav {
    int rate = 0;
    int channels = 0;
    std::vector<float> samples; ///< -1..1

    double seconds() const { return rate == 0 ? 0 : static_cast<double>(samples.size()) / rate; }
};

/// Reads a PCM16 WAV; an empty Wav (rate 0) if the file is missing or has no audio.
Wav read_wav(const std::string& path);

/// Power of `frequency` in samples [begin, end) (Goertzel), normalised by length.
double tone_power(const Wav& wav, std::size_t begin, std::size_t end, double frequency);

/// The frequency among `candidates` with the most power in [begin_s, end_s) seconds.
double dominant_frequency(const Wav& wav, double begin_s, double end_s,
                          const std::vector<double>& candidates);

/// Root-mean-square level in [begin_s, end_s) seconds.
double rms(const Wav& wav, double begin_s, double end_s);

/// Where `frequency` takes over from `other` (or from silence), to about 5 ms: the centre of
/// the first 20 ms window, from `from_s` on, in which it is the stronger; -1 if never.
double onset(const Wav& wav, double frequency, double other, double from_s);

/// Decodes an Ogg Opus file into a 48 kHz mono 16-bit WAV with GStreamer (gst-launch-1.0:
/// filesrc ! oggdemux ! opusdec, so nothing but Ogg Opus passes); gst-launch's output goes to
/// `log`. False if it failed or took over 30 s.
bool decode_ogg_opus(const std::string& ogg, const std::string& wav, const std::string& log);

/// Writes a 48 kHz mono 16-bit WAV of a sine at `frequency` lasting `seconds`.
void write_tone_wav(const std::string& path, double frequency, double seconds);

/// The first time (seconds) at which `frequency` dominates `other` over a 100 ms window,
/// searching from `from_s`; -1 if never.
double first_time_dominant(const Wav& wav, double frequency, double other, double from_s);

} // namespace loa::test
