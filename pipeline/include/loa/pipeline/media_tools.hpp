#pragma once
/// @file
/// Offline media work for programs: checking that an uploaded file really decodes (and how
/// long it is), and rendering a text bulletin to speech.

#include <chrono>
#include <string>

#include "loa/common/result.hpp"

namespace loa::pipeline {

/// What decoding a file found.
struct AudioInfo {
    std::chrono::milliseconds duration{0};
};

/// Decodes `path` to the end with GStreamer (headers are not trusted) and measures its
/// duration. Fails with a clear message for anything that is not decodable audio.
common::Result<AudioInfo> probe_audio(const std::string& path,
                                      std::chrono::seconds timeout = std::chrono::seconds(120));

/// How a bulletin is spoken.
struct SpeechSettings {
    std::string voice = "vi"; ///< an espeak-ng voice; Vietnamese by default
    int rate_wpm = 150;       ///< words per minute, 80-450
};

/// Speaks `text` (UTF-8, at most 20,000 characters) into a 48 kHz mono WAV at `wav_path`
/// with espeak-ng (GStreamer's espeak element).
common::Result<AudioInfo> render_speech(const std::string& text, const SpeechSettings& settings,
                                        const std::string& wav_path);

} // namespace loa::pipeline
