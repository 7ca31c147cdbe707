#include "loa/clients/live_sender.hpp"

#include <filesystem>
#include <gst/gst.h>

#include "loa/pipeline/source.hpp"

namespace loa::clients {
namespace {

using common::Errc;
using common::make_error;

/// How long ICE may take to gather this side's candidates.
constexpr auto kGatherTimeout = std::chrono::seconds(5);

} // namespace

common::Result<std::string> describe_live_input(const std::string& from) {
    if (from.starts_with("tone:")) {
        double hz = 0;
        try {
            std::size_t used = 0;
            hz = std::stod(from.substr(5), &used);
            if (used != from.size() - 5)
                hz = 0;
        } catch (const std::exception&) {
            hz = 0;
        }
        if (hz < 20 || hz > 20000)
            return make_error(Errc::invalid_argument,
                              "\"" + from + "\": a test tone is tone:HZ, from 20 to 20000");
        return "audiotestsrc is-live=true wave=sine volume=0.5 freq=" + std::to_string(hz);
    }
    if (from.starts_with("ticks:")) {
        int ms = 0;
        try {
            std::size_t used = 0;
            ms = std::stoi(from.substr(6), &used);
            if (used != from.size() - 6)
                ms = 0;
        } catch (const std::exception&) {
            ms = 0;
        }
        if (ms < 100 || ms > 10000)
            return make_error(Errc::invalid_argument,
                              "\"" + from + "\": ticks are ticks:MS, from 100 to 10000 ms apart");
        return "audiotestsrc is-live=true wave=ticks freq=1000 volume=0.8 samplesperbuffer=240 "
               "tick-interval=" +
               std::to_string(static_cast<std::int64_t>(ms) * 1000000);
    }
    if (from.starts_with("alsa:")) {
        auto device = from.substr(5);
        if (!pipeline::valid_alsa_device(device))
            return make_error(Errc::invalid_argument,
                              "\"" + device + "\" is not a capture device name such as hw:1,0");
        return std::string("alsasrc name=mic"); // the device is set on the element
    }
    std::error_code error;
    if (from.empty() || !std::filesystem::is_regular_file(from, error))
        return make_error(Errc::invalid_argument,
                          "\"" + from + "\" is not a file (or alsa:DEVICE, tone:HZ, ticks:MS)");
    // A file is read as fast as it decodes: clocksync paces it to real time.
    return std::string("uridecodebin name=file ! audioconvert ! clocksync");
}

struct LiveSender::Pipeline {
    GstElement* pipeline = nullptr;
    GstElement* webrtc = nullptr;
    GstBus* bus = nullptr;
    ~Pipeline() {
        if (pipeline != nullptr)
            gst_element_set_state(pipeline, GST_STATE_NULL);
        if (webrtc != nullptr)
            gst_object_unref(webrtc);
        if (bus != nullptr)
            gst_object_unref(bus);
        if (pipeline != nullptr)
            gst_object_unref(pipeline);
    }
};

LiveSender::LiveSender(LiveSenderSettings settings) : settings_(std::move(settings)) {}

LiveSender::~LiveSender() {
    stop();
}

common::Result<std::string> LiveSender::offer() {
    auto head = describe_live_input(settings_.from);
    if (!head)
        return head.error();
    auto launched = pipeline::launch(
        *head +
        " ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! opusenc "
        "frame-size=20 inband-fec=true packet-loss-percentage=10 bitrate=" +
        std::to_string(settings_.bitrate_kbps * 1000) +
        " ! rtpopuspay name=pay pt=111 ! "
        "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111 ! "
        "webrtcbin name=rtc bundle-policy=max-bundle");
    if (!launched)
        return launched.error();
    pipeline_ = std::make_unique<Pipeline>();
    pipeline_->pipeline = *launched;
    pipeline_->bus = gst_element_get_bus(*launched);
    pipeline_->webrtc = gst_bin_get_by_name(GST_BIN(*launched), "rtc");
    if (GstElement* file = gst_bin_get_by_name(GST_BIN(*launched), "file")) {
        gchar* uri = gst_filename_to_uri(settings_.from.c_str(), nullptr);
        g_object_set(file, "uri", uri, nullptr);
        g_free(uri);
        gst_object_unref(file);
    }
    if (GstElement* mic = gst_bin_get_by_name(GST_BIN(*launched), "mic")) {
        g_object_set(mic, "device", settings_.from.substr(5).c_str(), nullptr);
        gst_object_unref(mic);
    }
    // webrtcbin never ends its stream: a file's end is seen where it leaves the payloader.
    GstElement* pay = gst_bin_get_by_name(GST_BIN(*launched), "pay");
    GstPad* pad = gst_element_get_static_pad(pay, "src");
    gst_pad_add_probe(
        pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        +[](GstPad*, GstPadProbeInfo* info, gpointer finished) -> GstPadProbeReturn {
            if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS)
                static_cast<std::atomic<bool>*>(finished)->store(true);
            return GST_PAD_PROBE_OK;
        },
        &finished_, nullptr);
    gst_object_unref(pad);
    gst_object_unref(pay);
    if (gst_element_set_state(*launched, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        return make_error(Errc::media_error, "the sending pipeline did not start");
    peer_ = std::make_unique<pipeline::WebRtcPeer>(pipeline_->webrtc,
                                                   pipeline::IceSettings{settings_.addresses});
    return peer_->offer(kGatherTimeout);
}

common::Result<void> LiveSender::accept(const std::string& answer) {
    if (!peer_)
        return make_error(Errc::invalid_argument, "no offer was made");
    return peer_->accept(answer);
}

std::int64_t LiveSender::base_time_ns() const {
    return pipeline_ ? static_cast<std::int64_t>(gst_element_get_base_time(pipeline_->pipeline))
                     : 0;
}

pipeline::IceState LiveSender::ice_state() const {
    return peer_ ? peer_->ice_state() : pipeline::IceState::fresh;
}

void LiveSender::read_bus() {
    if (!pipeline_)
        return;
    while (GstMessage* msg = gst_bus_pop_filtered(pipeline_->bus, GST_MESSAGE_ERROR)) {
        if (error_.empty()) {
            GError* err = nullptr;
            gst_message_parse_error(msg, &err, nullptr);
            error_ = err != nullptr ? err->message : "unknown error";
            g_clear_error(&err);
        }
        gst_message_unref(msg);
    }
}

bool LiveSender::finished() const {
    return finished_;
}

std::string LiveSender::take_error() {
    read_bus();
    return std::exchange(error_, {});
}

void LiveSender::stop() {
    peer_.reset();
    pipeline_.reset();
}

} // namespace loa::clients
