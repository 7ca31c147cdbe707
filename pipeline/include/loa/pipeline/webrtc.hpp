#pragma once
/// @file
/// WebRTC audio through GStreamer's webrtcbin: the offer and answer (without trickle: each
/// side's description carries all its ICE candidates), the checks an offer from outside passes
/// before webrtcbin sees it, and the connection's state. Used by the server's live broadcasts
/// (the answering side) and by `loactl live` (the offering side).
///
/// Only GStreamer's core and SDP libraries are needed at build time: the session descriptions
/// webrtcbin's signals take are made through their registered boxed type.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "loa/common/result.hpp"

using GstElement = struct _GstElement; // NOLINT: GStreamer's own spelling
using GObject = struct _GObject;       // NOLINT: GLib's own spelling

namespace loa::pipeline {

/// The largest SDP offer accepted from a caller.
inline constexpr std::size_t kMaxOfferBytes = std::size_t{16} * 1024;

/// What an acceptable offer sends.
struct AudioOffer {
    int opus_payload = 111; ///< the payload type the offer gives Opus
};

/// Checks an SDP offer from a caller: at most kMaxOfferBytes, parsed by GStreamer's SDP
/// parser, exactly one media section, audio, offering Opus at 48 kHz, sending (sendonly or
/// sendrecv), with ICE credentials and a DTLS fingerprint. The error says what is wrong.
common::Result<AudioOffer> check_audio_offer(const std::string& sdp);

/// The ICE connection's state, as webrtcbin reports it.
enum class IceState { fresh, checking, connected, completed, failed, disconnected, closed };

/// "new", "checking", "connected", "completed", "failed", "disconnected", "closed".
const char* to_string(IceState state);

/// Where ICE gathers this side's candidates.
struct IceSettings {
    /// The local IP addresses offered (empty: every interface libnice finds, which excludes
    /// loopback).
    std::vector<std::string> addresses;
    /// The UDP ports used, inclusive (0: any ephemeral port), for a firewall's rule.
    std::uint16_t port_min = 0, port_max = 0;
};

/// One webrtcbin element of a pipeline the caller owns and has set playing. Any thread; the
/// calls that wait do so for webrtcbin's own threads.
class WebRtcPeer {
public:
    /// `webrtcbin` is borrowed: the pipeline owns it. ICE uses UDP only, without UPnP, with
    /// checks retransmitted 7 times (lossy links).
    WebRtcPeer(GstElement* webrtcbin, const IceSettings& settings);
    WebRtcPeer(const WebRtcPeer&) = delete;
    WebRtcPeer& operator=(const WebRtcPeer&) = delete;
    ~WebRtcPeer();

    /// The answering side: receives one Opus stream. Adds a receive-only transceiver, applies
    /// the offer (checked with check_audio_offer), and returns the answer once ICE has gathered
    /// its candidates, within `timeout`.
    common::Result<std::string> answer(const std::string& offer, std::chrono::milliseconds timeout);
    /// The offering side: the offer for what the pipeline sends into webrtcbin, with its
    /// candidates, within `timeout`.
    common::Result<std::string> offer(std::chrono::milliseconds timeout);
    /// The offering side: applies the answer to our offer.
    common::Result<void> accept(const std::string& answer);
    /// The ICE connection's state now.
    IceState ice_state() const { return state_.load(); }

private:
    static void configure_ice(GObject* ice, const IceSettings& settings);
    common::Result<void> wait_for_candidates(std::chrono::milliseconds timeout);
    common::Result<std::string> local_description();

    GstElement* webrtc_;
    unsigned long state_handler_ = 0;
    std::atomic<IceState> state_{IceState::fresh};
};

} // namespace loa::pipeline
