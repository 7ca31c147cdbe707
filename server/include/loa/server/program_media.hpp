#pragma once
/// @file
/// The audio of programs on disk: uploads validated (GStreamer decodes them to the end) and
/// stored once under their content hash, bulletins rendered to Vietnamese speech once and
/// cached under the hash of what was said and how; and the source that plays each program.

#include <chrono>
#include <string>

#include "loa/common/result.hpp"
#include "loa/pipeline/source.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/settings.hpp"

namespace loa::server {

/// A stored piece of audio.
struct StoredAudio {
    std::string path; ///< under the media directory, named by content hash
    std::chrono::milliseconds duration{0};
};

/// The media directory.
class ProgramMedia {
public:
    /// Creates `dir` if needed; throws if it cannot. Live programs play from `live_inputs`.
    explicit ProgramMedia(std::string dir, std::vector<LiveInput> live_inputs = {});

    /// Validates an audio file and stores a copy under its SHA-256 (an identical upload is
    /// stored once). An undecodable file is refused with GStreamer's reason.
    common::Result<StoredAudio> store_file(const std::string& path) const;
    /// Speaks `text` with espeak-ng, or returns the rendering made before for the same text,
    /// voice and rate.
    common::Result<StoredAudio> speak(const std::string& text, const std::string& voice,
                                      int rate_wpm) const;
    /// The source that plays `program`, starting `offset` into it (files and bulletins only).
    /// Relays and live inputs have no media and play their URL or the configured capture
    /// device of their live input (an input no longer configured is an error).
    common::Result<pipeline::SourceSpec> source_for(const schedules::Program& program,
                                                    std::chrono::milliseconds offset) const;

    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
    std::vector<LiveInput> live_inputs_;
};

} // namespace loa::server
