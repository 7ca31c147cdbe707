#pragma once
/// @file
/// One speaker's voice coming in over WebRTC: webrtcbin answers the speaker's offer, the Opus
/// it receives is decoded once into a PcmFeed (which the broadcast's program source encodes
/// for the channels like any source) and, as it arrived, written to an Ogg Opus recording.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loa/common/result.hpp"
#include "loa/pipeline/level_meter.hpp"
#include "loa/pipeline/pcm_feed.hpp"
#include "loa/pipeline/webrtc.hpp"

using GstElement = struct _GstElement; // NOLINT: GStreamer's own spelling

namespace loa::server {

/// How a session receives.
struct LiveSessionSettings {
    pipeline::IceSettings ice; ///< where ICE gathers (LiveSettings::addresses, ports)
    int jitter_ms = 60;        ///< webrtcbin's jitter buffer
    std::string recording;     ///< the Ogg Opus file to write (made by the server)
};

/// The receiving side of one live broadcast. Thread-safe.
class LiveSession {
public:
    explicit LiveSession(LiveSessionSettings settings);
    LiveSession(const LiveSession&) = delete;
    LiveSession& operator=(const LiveSession&) = delete;
    ~LiveSession();

    /// Builds the pipeline and answers `offer` (checked first); the answer carries the
    /// server's ICE candidates. Within a few seconds at most.
    common::Result<std::string> answer(const std::string& offer);
    /// Where the decoded voice goes.
    const std::shared_ptr<pipeline::PcmFeed>& feed() const { return feed_; }
    /// The connection's state now.
    pipeline::IceState ice_state() const;
    /// The recording's file.
    std::string recording() const;
    /// Moves the recording (while it is written) to `path`, in the same folder.
    void move_recording(const std::string& path);
    /// The level of the voice as received.
    const pipeline::LevelMeter& level() const { return level_; }
    /// An error the pipeline reported since the last call ("" if none).
    std::string take_error();
    /// Closes the recording (its last pages written) and stops; idempotent. True if the
    /// recording holds audio.
    bool finish();

private:
    struct Pipeline;
    LiveSessionSettings settings_;
    std::shared_ptr<pipeline::PcmFeed> feed_ = std::make_shared<pipeline::PcmFeed>();
    pipeline::LevelMeter level_{-50.0}; ///< sound: a voice, not a line's hiss
    mutable std::mutex mutex_;
    std::unique_ptr<Pipeline> pipeline_;
    std::unique_ptr<pipeline::WebRtcPeer> peer_;
    std::atomic<bool> recorded_{false};
    std::atomic<bool> recording_closed_{false};
    bool finished_ = false;
};

} // namespace loa::server
