#pragma once
/// @file
/// The speaking side of a live broadcast, as `loactl live` and the tests run it: a file, a
/// capture device or a test tone, encoded to Opus and sent over WebRTC (webrtcbin) to the
/// server that answered its offer (live.start, docs/live.md).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loa/common/result.hpp"
#include "loa/pipeline/webrtc.hpp"

namespace loa::clients {

/// What to send, and from where.
struct LiveSenderSettings {
    /// A file (played once, in real time), "alsa:DEVICE" (a capture device, checked with
    /// pipeline::valid_alsa_device), "tone:HZ" (a test tone) or "ticks:MS" (a tick every MS
    /// milliseconds, to measure the delay to the loudspeakers).
    std::string from;
    /// The local addresses ICE offers (empty: every interface but loopback).
    std::vector<std::string> addresses;
    int bitrate_kbps = 32;
};

/// One speaker's WebRTC connection. Not thread-safe: use it from one thread.
class LiveSender {
public:
    explicit LiveSender(LiveSenderSettings settings);
    LiveSender(const LiveSender&) = delete;
    LiveSender& operator=(const LiveSender&) = delete;
    ~LiveSender();

    /// Builds the pipeline and returns the offer, with this side's ICE candidates.
    common::Result<std::string> offer();
    /// Applies the server's answer: audio flows once ICE and DTLS have connected.
    common::Result<void> accept(const std::string& answer);
    /// The connection's state now.
    pipeline::IceState ice_state() const;
    /// The monotonic time (ns) at which the pipeline's running time was zero: a live input's
    /// sample at running time t was captured at base + t.
    std::int64_t base_time_ns() const;
    /// Whether the file has been sent to its end.
    bool finished() const;
    /// An error the pipeline reported since the last call ("" if none).
    std::string take_error();
    /// Stops sending; idempotent.
    void stop();

private:
    struct Pipeline;
    void read_bus();
    LiveSenderSettings settings_;
    std::unique_ptr<Pipeline> pipeline_;
    std::unique_ptr<pipeline::WebRtcPeer> peer_;
    std::atomic<bool> finished_{false};
    std::string error_;
};

/// The pipeline description of what a sender reads `from` (before the encoder), or an error
/// naming what is wrong with `from`.
common::Result<std::string> describe_live_input(const std::string& from);

} // namespace loa::clients
