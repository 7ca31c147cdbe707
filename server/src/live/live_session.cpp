#include "loa/server/live/live_session.hpp"

#include <filesystem>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <thread>

#include "loa/common/logging.hpp"
#include "loa/pipeline/source.hpp"

namespace loa::server {
namespace {

auto log() {
    static auto logger = common::logger("live");
    return logger;
}

/// How long ICE may take to gather the server's candidates, and the recording to close.
constexpr auto kGatherTimeout = std::chrono::seconds(5);
constexpr auto kCloseTimeout = std::chrono::seconds(2);
/// Decoding's share of the steady delay the voice is played out at, on top of the jitter
/// buffer's latency.
constexpr int kDecodeMarginMs = 20;

/// The receiving pipeline: webrtcbin's audio pad is linked to `depay` when it appears. One
/// branch decodes (in-band FEC and concealment for what the network lost) into the feed, the
/// other keeps the Opus packets as they came, in Ogg. The feed's sink is synchronised to the
/// clock: the jitter buffer lets packets go at once while none is missing and holds them up to
/// its latency when one is, so the voice would come in bursts; played out at a steady delay
/// (the pipeline's latency) it reaches the program source as evenly as it was spoken.
std::string describe(int jitter_ms) {
    return "webrtcbin name=rtc bundle-policy=max-bundle latency=" + std::to_string(jitter_ms) +
           " rtpopusdepay name=depay ! tee name=split "
           "split. ! queue max-size-time=200000000 leaky=downstream ! "
           "opusdec use-inband-fec=true plc=true ! audioconvert ! audioresample ! " +
           pipeline::kFeedCaps +
           " ! appsink name=pcm sync=true max-buffers=10 drop=true "
           "split. ! queue ! opusparse ! oggmux max-delay=500000000 max-page-delay=500000000 ! "
           "filesink name=record sync=false async=false buffer-mode=unbuffered";
}

} // namespace

struct LiveSession::Pipeline {
    GstElement* pipeline = nullptr;
    GstElement* webrtc = nullptr;
    GstElement* depay = nullptr;
    GstBus* bus = nullptr;
    ~Pipeline() {
        if (pipeline != nullptr)
            gst_element_set_state(pipeline, GST_STATE_NULL);
        for (GstElement* e : {webrtc, depay})
            if (e != nullptr)
                gst_object_unref(e);
        if (bus != nullptr)
            gst_object_unref(bus);
        if (pipeline != nullptr)
            gst_object_unref(pipeline);
    }
};

LiveSession::LiveSession(LiveSessionSettings settings) : settings_(std::move(settings)) {}

LiveSession::~LiveSession() {
    finish();
}

common::Result<std::string> LiveSession::answer(const std::string& offer) {
    if (auto checked = pipeline::check_audio_offer(offer); !checked)
        return checked.error();
    auto launched = pipeline::launch(describe(settings_.jitter_ms));
    if (!launched)
        return launched.error();
    auto built = std::make_unique<Pipeline>();
    built->pipeline = *launched;
    built->bus = gst_element_get_bus(built->pipeline);
    built->webrtc = gst_bin_get_by_name(GST_BIN(built->pipeline), "rtc");
    built->depay = gst_bin_get_by_name(GST_BIN(built->pipeline), "depay");
    GstElement* record = gst_bin_get_by_name(GST_BIN(built->pipeline), "record");
    g_object_set(record, "location", settings_.recording.c_str(), nullptr);
    // The recording is closed once its end has reached the file.
    GstPad* record_pad = gst_element_get_static_pad(record, "sink");
    gst_pad_add_probe(
        record_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        +[](GstPad*, GstPadProbeInfo* info, gpointer closed) -> GstPadProbeReturn {
            if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS)
                static_cast<std::atomic<bool>*>(closed)->store(true);
            return GST_PAD_PROBE_OK;
        },
        &recording_closed_, nullptr);
    gst_object_unref(record_pad);
    gst_object_unref(record);

    GstElement* pcm = gst_bin_get_by_name(GST_BIN(built->pipeline), "pcm");
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = [](GstAppSink* sink, gpointer self) -> GstFlowReturn {
        auto* session = static_cast<LiveSession*>(self);
        GstSample* sample = gst_app_sink_pull_sample(sink);
        if (sample == nullptr)
            return GST_FLOW_EOS;
        GstBuffer* buffer = gst_sample_get_buffer(sample);
        GstMapInfo map;
        if (buffer != nullptr && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
            session->recorded_ = true;
            session->feed_->push(map.data, map.size);
            gst_buffer_unmap(buffer, &map);
        }
        gst_sample_unref(sample);
        return GST_FLOW_OK;
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(pcm), &callbacks, this, nullptr);
    gst_object_unref(pcm);
    pipeline::meter_pad(built->pipeline, "pcm", "sink", level_, 1);

    g_signal_connect(built->webrtc, "pad-added",
                     G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer depay) {
                         if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
                             return;
                         GstPad* sink = gst_element_get_static_pad(GST_ELEMENT(depay), "sink");
                         if (!gst_pad_is_linked(sink) && gst_pad_link(pad, sink) != GST_PAD_LINK_OK)
                             log()->warn("the speaker's audio could not be linked");
                         gst_object_unref(sink);
                     }),
                     built->depay);
    // opusdec announces 120 ms of latency with FEC on (its longest packet); the jitter
    // buffer already holds the next packet when it declares one lost, so its latency and a
    // margin for decoding are the delay (as the receivers' Player does).
    gst_pipeline_set_latency(GST_PIPELINE(built->pipeline),
                             static_cast<GstClockTime>(settings_.jitter_ms + kDecodeMarginMs) *
                                 GST_MSECOND);
    if (gst_element_set_state(built->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        return common::make_error(common::Errc::media_error, "the live pipeline did not start");
    auto peer = std::make_unique<pipeline::WebRtcPeer>(built->webrtc, settings_.ice);
    auto answer = peer->answer(offer, kGatherTimeout);
    std::lock_guard lock(mutex_);
    pipeline_ = std::move(built);
    peer_ = std::move(peer);
    return answer;
}

std::string LiveSession::recording() const {
    std::lock_guard lock(mutex_);
    return settings_.recording;
}

void LiveSession::move_recording(const std::string& path) {
    std::lock_guard lock(mutex_);
    std::error_code error;
    std::filesystem::rename(settings_.recording, path, error); // filesink writes on through its fd
    if (error)
        log()->warn("the recording {} stays where it is: {}", settings_.recording, error.message());
    else
        settings_.recording = path;
}

pipeline::IceState LiveSession::ice_state() const {
    std::lock_guard lock(mutex_);
    return peer_ ? peer_->ice_state() : pipeline::IceState::fresh;
}

std::string LiveSession::take_error() {
    std::lock_guard lock(mutex_);
    if (!pipeline_)
        return {};
    std::string out;
    while (GstMessage* msg = gst_bus_pop_filtered(pipeline_->bus, GST_MESSAGE_ERROR)) {
        GError* err = nullptr;
        gst_message_parse_error(msg, &err, nullptr);
        if (out.empty())
            out = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))) + ": " +
                  (err != nullptr ? err->message : "unknown error");
        g_clear_error(&err);
        gst_message_unref(msg);
    }
    return out;
}

bool LiveSession::finish() {
    std::unique_ptr<Pipeline> closing;
    std::unique_ptr<pipeline::WebRtcPeer> peer;
    {
        std::lock_guard lock(mutex_);
        if (finished_)
            return recorded_;
        finished_ = true;
        closing = std::move(pipeline_);
        peer = std::move(peer_);
    }
    if (!closing)
        return false;
    // The end of the stream, sent where the speaker's audio enters: the recording's last
    // pages are written before the pipeline stops.
    GstPad* sink = gst_element_get_static_pad(closing->depay, "sink");
    gst_pad_send_event(sink, gst_event_new_eos());
    gst_object_unref(sink);
    auto until = std::chrono::steady_clock::now() + kCloseTimeout;
    while (!recording_closed_ && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!recording_closed_)
        log()->warn("the recording {} did not close within {} s", recording(),
                    kCloseTimeout.count());
    peer.reset();
    closing.reset();
    return recorded_;
}

} // namespace loa::server
