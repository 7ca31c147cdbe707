#pragma once
/// @file
/// The audio of programs on disk: uploads validated (GStreamer decodes them to the end) and
/// stored once under their content hash, bulletins rendered to Vietnamese speech once and
/// cached under the hash of what was said and how; and the source that plays each program.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "loa/common/result.hpp"
#include "loa/pipeline/source.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/app/settings.hpp"

namespace loa::server {

/// A stored piece of audio.
struct StoredAudio {
    std::string path; ///< under the media directory, named by content hash
    std::chrono::milliseconds duration{0};
};

/// What media work is for: it decides whether it may wait its turn and where it is kept.
enum class MediaUse {
    program,   ///< a program's audio: kept in the media directory
    preview,   ///< a bulletin heard before it is saved: kept among the last kMaxPreviews
    emergency, ///< an emergency's source: never refused for want of a media worker
};

/// The media directory.
class ProgramStore {
public:
    /// Creates `dir` if needed; throws if it cannot. Live programs play from `live_inputs`.
    explicit ProgramStore(std::string dir, std::vector<LiveInput> live_inputs = {});

    /// Media jobs (decoding an upload, speaking a bulletin) at once; more are refused with a
    /// "busy" error, except an emergency's, so that they never hold every worker that also
    /// serves receivers' hellos and operators' messages.
    static constexpr int kMaxJobs = 2;
    /// Bulletins rendered for previews that are kept (the oldest go first).
    static constexpr std::size_t kMaxPreviews = 64;

    /// Validates an audio file and stores a copy under its SHA-256 (an identical upload is
    /// stored once). An undecodable file is refused with GStreamer's reason.
    common::Result<StoredAudio> store_file(const std::string& path,
                                           MediaUse use = MediaUse::program) const;
    /// Speaks `text` with espeak-ng, or returns the rendering made before for the same text,
    /// voice and rate (a preview's becomes the program's).
    common::Result<StoredAudio> speak(const std::string& text, const std::string& voice,
                                      int rate_wpm, MediaUse use = MediaUse::program) const;
    /// The source that plays `program`, starting `offset` into it (files and bulletins only).
    /// Relays and live inputs have no media and play their URL or the configured capture
    /// device of their live input (an input no longer configured is an error).
    common::Result<pipeline::SourceSpec> source_for(const schedules::Program& program,
                                                    std::chrono::milliseconds offset) const;

    const std::string& dir() const { return dir_; }
    /// Where a program's stored audio is: `stored` (schedules::Program::media) is its file's name
    /// in this store's folder. Rows from before keeping names alone held a whole path, whose
    /// name is taken, so that a state folder restored or moved elsewhere still plays.
    std::string media_path(const std::string& stored) const;

private:
    /// A place among kMaxJobs, or none when they are all taken (an emergency takes one anyway).
    std::optional<std::shared_ptr<void>> start_job(MediaUse use) const;
    /// Removes the oldest previews beyond kMaxPreviews.
    void trim_previews() const;

    std::string dir_;
    std::vector<LiveInput> live_inputs_;
    mutable std::shared_ptr<std::atomic<int>> jobs_ = std::make_shared<std::atomic<int>>(0);
};

} // namespace loa::server
