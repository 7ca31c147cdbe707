#include "loa/pipeline/webrtc.hpp"

#include <arpa/inet.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <optional>
#include <strings.h>
#include <thread>

#include "loa/common/logging.hpp"
#include "loa/pipeline/source.hpp"

namespace loa::pipeline {
namespace {

using common::Errc;
using common::make_error;

auto log() {
    static auto logger = common::logger("webrtc");
    return logger;
}

// webrtcbin's public types (gst/webrtc/*.h), stable since GStreamer 1.14, spelled out here so
// that the plugins-bad development package is not needed to build.
struct SessionDescription { // GstWebRTCSessionDescription
    int type;               // GstWebRTCSDPType
    GstSDPMessage* sdp;
};
constexpr int kSdpOffer = 1;
constexpr int kSdpAnswer = 3;
constexpr int kReceiveOnly = 3; // GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY
constexpr int kGatheringComplete = 2;

GType description_type() {
    return g_type_from_name("GstWebRTCSessionDescription");
}

/// A session description webrtcbin's signals take, from SDP text.
common::Result<SessionDescription*> make_description(int type, const std::string& text) {
    GstSDPMessage* sdp = nullptr;
    if (gst_sdp_message_new_from_text(text.c_str(), &sdp) != GST_SDP_OK) {
        if (sdp != nullptr)
            gst_sdp_message_free(sdp);
        return make_error(Errc::invalid_argument, "the SDP cannot be parsed");
    }
    GType boxed = description_type();
    if (boxed == 0) {
        gst_sdp_message_free(sdp);
        return make_error(Errc::media_error, "webrtcbin is not loaded");
    }
    SessionDescription local{type, sdp};
    auto* copy = static_cast<SessionDescription*>(g_boxed_copy(boxed, &local));
    gst_sdp_message_free(sdp);
    return copy;
}

/// Waits for webrtcbin's answer to one request; its reply (owned by the promise) or the error.
common::Result<const GstStructure*> wait(GstPromise* promise, const char* what) {
    if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED)
        return make_error(Errc::media_error, std::string(what) + ": webrtcbin did not answer");
    const GstStructure* reply = gst_promise_get_reply(promise);
    if (reply != nullptr && gst_structure_has_field(reply, "error")) {
        GError* error = nullptr;
        gst_structure_get(reply, "error", G_TYPE_ERROR, &error, nullptr);
        std::string reason = error != nullptr ? error->message : "unknown error";
        g_clear_error(&error);
        return make_error(Errc::invalid_argument, std::string(what) + ": " + reason);
    }
    return reply;
}

/// Applies a description (local or remote) and waits until webrtcbin has taken it.
common::Result<void> apply(GstElement* webrtc, const char* signal, SessionDescription* desc) {
    GstPromise* promise = gst_promise_new();
    g_signal_emit_by_name(webrtc, signal, desc, promise);
    auto done = wait(promise, signal);
    gst_promise_unref(promise);
    if (!done)
        return done.error();
    return {};
}

const char* attribute(const GstSDPMessage* sdp, const GstSDPMedia* media, const char* key) {
    const char* value = gst_sdp_media_get_attribute_val(media, key);
    return value != nullptr ? value : gst_sdp_message_get_attribute_val(sdp, key);
}

IceState ice_state_of(int value) {
    switch (value) {
    case 1:
        return IceState::checking;
    case 2:
        return IceState::connected;
    case 3:
        return IceState::completed;
    case 4:
        return IceState::failed;
    case 5:
        return IceState::disconnected;
    case 6:
        return IceState::closed;
    default:
        return IceState::fresh;
    }
}

} // namespace

const char* to_string(IceState state) {
    switch (state) {
    case IceState::fresh:
        return "new";
    case IceState::checking:
        return "checking";
    case IceState::connected:
        return "connected";
    case IceState::completed:
        return "completed";
    case IceState::failed:
        return "failed";
    case IceState::disconnected:
        return "disconnected";
    case IceState::closed:
        return "closed";
    }
    return "new";
}

common::Result<AudioOffer> check_audio_offer(const std::string& text) {
    if (text.empty())
        return make_error(Errc::invalid_argument, "the SDP offer is empty");
    if (text.size() > kMaxOfferBytes)
        return make_error(Errc::invalid_argument, "the SDP offer is larger than " +
                                                      std::to_string(kMaxOfferBytes) + " bytes");
    if (!text.starts_with("v=0"))
        return make_error(Errc::invalid_argument, "the SDP offer must begin with v=0");
    ensure_gstreamer();
    GstSDPMessage* sdp = nullptr;
    if (gst_sdp_message_new_from_text(text.c_str(), &sdp) != GST_SDP_OK || sdp == nullptr) {
        if (sdp != nullptr)
            gst_sdp_message_free(sdp);
        return make_error(Errc::invalid_argument, "the SDP offer cannot be parsed");
    }
    auto fail = [&](const std::string& why) {
        gst_sdp_message_free(sdp);
        return make_error(Errc::invalid_argument, "the SDP offer " + why);
    };
    if (gst_sdp_message_medias_len(sdp) != 1)
        return fail("must have exactly one media section (audio), not " +
                    std::to_string(gst_sdp_message_medias_len(sdp)));
    const GstSDPMedia* media = gst_sdp_message_get_media(sdp, 0);
    if (std::string(gst_sdp_media_get_media(media)) != "audio")
        return fail("must send audio, not " + std::string(gst_sdp_media_get_media(media)));
    std::string proto = gst_sdp_media_get_proto(media);
    if (proto.find("SAVP") == std::string::npos || proto.find("TLS") == std::string::npos)
        return fail("must use DTLS-SRTP (UDP/TLS/RTP/SAVPF), not " + proto);
    if (gst_sdp_media_get_attribute_val(media, "recvonly") != nullptr ||
        gst_sdp_media_get_attribute_val(media, "inactive") != nullptr)
        return fail("must send (sendonly or sendrecv)");
    if (attribute(sdp, media, "ice-ufrag") == nullptr ||
        attribute(sdp, media, "ice-pwd") == nullptr)
        return fail("has no ICE credentials (a=ice-ufrag, a=ice-pwd)");
    if (attribute(sdp, media, "fingerprint") == nullptr)
        return fail("has no DTLS fingerprint (a=fingerprint)");
    std::optional<int> payload;
    for (guint i = 0; i < gst_sdp_media_attributes_len(media) && !payload; ++i) {
        const GstSDPAttribute* a = gst_sdp_media_get_attribute(media, i);
        if (a->key == nullptr || a->value == nullptr || std::string(a->key) != "rtpmap")
            continue;
        std::string value = a->value; // "111 opus/48000/2"
        auto space = value.find(' ');
        if (space == std::string::npos || value.size() < space + 11 ||
            strncasecmp(value.c_str() + space + 1, "opus/48000", 10) != 0)
            continue;
        try {
            payload = std::stoi(value.substr(0, space));
        } catch (const std::exception&) {
            continue;
        }
    }
    if (!payload || *payload < 96 || *payload > 127)
        return fail("does not offer Opus at 48 kHz (a=rtpmap:PT opus/48000/2)");
    gst_sdp_message_free(sdp);
    return AudioOffer{*payload};
}

WebRtcPeer::WebRtcPeer(GstElement* webrtcbin, const IceSettings& settings) : webrtc_(webrtcbin) {
    state_handler_ =
        g_signal_connect(webrtc_, "notify::ice-connection-state",
                         G_CALLBACK(+[](GstElement* element, GParamSpec*, gpointer self) {
                             int value = 0;
                             g_object_get(element, "ice-connection-state", &value, nullptr);
                             static_cast<WebRtcPeer*>(self)->state_.store(ice_state_of(value));
                         }),
                         this);
    GObject* ice = nullptr;
    g_object_get(webrtc_, "ice-agent", &ice, nullptr);
    if (ice == nullptr) {
        log()->warn("webrtcbin has no ICE agent to configure");
        return;
    }
    configure_ice(ice, settings);
    g_object_unref(ice);
}

void WebRtcPeer::configure_ice(GObject* ice, const IceSettings& settings) {
    auto has = [](GObject* object, const char* property) {
        return g_object_class_find_property(G_OBJECT_GET_CLASS(object), property) != nullptr;
    };
    // UDP only: the voice is real-time, and ICE-TCP pairs only slow the checks down.
    if (has(ice, "ice-tcp"))
        g_object_set(ice, "ice-tcp", FALSE, nullptr);
    if (settings.port_min != 0 && has(ice, "min-rtp-port"))
        g_object_set(ice, "min-rtp-port", static_cast<guint>(settings.port_min), "max-rtp-port",
                     static_cast<guint>(settings.port_max), nullptr);
    if (has(ice, "agent")) {
        GObject* agent = nullptr;
        g_object_get(ice, "agent", &agent, nullptr);
        if (agent != nullptr) {
            // No UPnP discovery (multicast SSDP that delays gathering), and checks that ride
            // out a lossy mobile link: 7 retransmissions (RFC 8445's Rc) instead of 3.
            if (has(agent, "upnp"))
                g_object_set(agent, "upnp", FALSE, nullptr);
            if (has(agent, "stun-max-retransmissions"))
                g_object_set(agent, "stun-max-retransmissions", 7U, nullptr);
            g_object_unref(agent);
        }
    }
    if (settings.addresses.empty())
        return;
    if (g_signal_lookup("add-local-ip-address", G_OBJECT_TYPE(ice)) == 0) {
        log()->warn("this webrtcbin cannot be limited to addresses; ICE uses every interface");
        return;
    }
    for (const auto& address : settings.addresses) {
        gboolean added = FALSE;
        g_signal_emit_by_name(ice, "add-local-ip-address", address.c_str(), &added);
        if (!added)
            log()->warn("ICE refused local address {}", address);
    }
}

WebRtcPeer::~WebRtcPeer() {
    if (state_handler_ != 0)
        g_signal_handler_disconnect(webrtc_, state_handler_);
}

common::Result<std::string> WebRtcPeer::answer(const std::string& offer_text,
                                               std::chrono::milliseconds timeout) {
    auto offered = check_audio_offer(offer_text);
    if (!offered)
        return offered.error();
    // Without a transceiver of our own, webrtcbin answers an audio offer as inactive.
    std::string caps_text =
        "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=" +
        std::to_string(offered->opus_payload);
    GstCaps* caps = gst_caps_from_string(caps_text.c_str());
    GObject* transceiver = nullptr;
    g_signal_emit_by_name(webrtc_, "add-transceiver", kReceiveOnly, caps, &transceiver);
    gst_caps_unref(caps);
    if (transceiver == nullptr)
        return make_error(Errc::media_error, "webrtcbin refused a receiving transceiver");
    g_object_unref(transceiver);

    auto remote = make_description(kSdpOffer, offer_text);
    if (!remote)
        return remote.error();
    auto applied = apply(webrtc_, "set-remote-description", *remote);
    g_boxed_free(description_type(), *remote);
    if (!applied)
        return applied.error();

    GstPromise* promise = gst_promise_new();
    g_signal_emit_by_name(webrtc_, "create-answer", nullptr, promise);
    auto reply = wait(promise, "create-answer");
    SessionDescription* answer = nullptr;
    if (reply && *reply != nullptr)
        gst_structure_get(*reply, "answer", description_type(), &answer, nullptr);
    gst_promise_unref(promise);
    if (!reply)
        return reply.error();
    if (answer == nullptr)
        return make_error(Errc::media_error, "webrtcbin made no answer");
    auto local = apply(webrtc_, "set-local-description", answer);
    g_boxed_free(description_type(), answer);
    if (!local)
        return local.error();
    if (auto gathered = wait_for_candidates(timeout); !gathered)
        return gathered.error();
    return local_description();
}

common::Result<std::string> WebRtcPeer::offer(std::chrono::milliseconds timeout) {
    GstPromise* promise = gst_promise_new();
    g_signal_emit_by_name(webrtc_, "create-offer", nullptr, promise);
    auto reply = wait(promise, "create-offer");
    SessionDescription* offer = nullptr;
    if (reply && *reply != nullptr)
        gst_structure_get(*reply, "offer", description_type(), &offer, nullptr);
    gst_promise_unref(promise);
    if (!reply)
        return reply.error();
    if (offer == nullptr)
        return make_error(Errc::media_error, "webrtcbin made no offer");
    auto local = apply(webrtc_, "set-local-description", offer);
    g_boxed_free(description_type(), offer);
    if (!local)
        return local.error();
    if (auto gathered = wait_for_candidates(timeout); !gathered)
        return gathered.error();
    return local_description();
}

common::Result<void> WebRtcPeer::accept(const std::string& answer_text) {
    auto remote = make_description(kSdpAnswer, answer_text);
    if (!remote)
        return remote.error();
    auto applied = apply(webrtc_, "set-remote-description", *remote);
    g_boxed_free(description_type(), *remote);
    return applied;
}

common::Result<void> WebRtcPeer::wait_for_candidates(std::chrono::milliseconds timeout) {
    // Host candidates come within milliseconds; the bound is for a machine without any.
    auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int state = 0;
        g_object_get(webrtc_, "ice-gathering-state", &state, nullptr);
        if (state == kGatheringComplete)
            return {};
        if (std::chrono::steady_clock::now() >= until)
            return make_error(Errc::media_error, "ICE found no complete set of candidates within " +
                                                     std::to_string(timeout.count()) + " ms");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

common::Result<std::string> WebRtcPeer::local_description() {
    SessionDescription* desc = nullptr;
    g_object_get(webrtc_, "local-description", &desc, nullptr);
    if (desc == nullptr || desc->sdp == nullptr)
        return make_error(Errc::media_error, "webrtcbin has no local description");
    gchar* text = gst_sdp_message_as_text(desc->sdp);
    std::string out = text != nullptr ? text : "";
    g_free(text);
    g_boxed_free(description_type(), desc);
    if (out.find("a=candidate:") == std::string::npos)
        return make_error(Errc::media_error, "ICE found no candidate (no usable local address)");
    return out;
}

} // namespace loa::pipeline
