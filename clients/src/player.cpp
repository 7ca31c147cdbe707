#include "loa/clients/player.hpp"

#include <cstring>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <stdexcept>

#include "loa/pipeline/source.hpp"

namespace loa::clients {
namespace {

constexpr int kDecodeMarginMs = 5;

} // namespace

struct Player::Impl {
    GstElement* pipeline = nullptr;
    GstElement* appsrc = nullptr;
    GstElement* jitterbuffer = nullptr;
    GstElement* volume = nullptr;
    GstBus* bus = nullptr;
    ~Impl() {
        if (pipeline != nullptr) {
            gst_element_set_state(pipeline, GST_STATE_NULL);
            gst_object_unref(pipeline);
        }
        for (GstElement* e : {appsrc, jitterbuffer, volume})
            if (e != nullptr)
                gst_object_unref(e);
        if (bus != nullptr)
            gst_object_unref(bus);
    }
};

std::string describe_output(const std::string& output, int channels) {
    if (output.empty())
        return "autoaudiosink";
    if (output.rfind("alsa:", 0) == 0)
        return "alsasink name=out";
    if (output == "null")
        return "audio/x-raw,format=S16LE,rate=48000,channels=" + std::to_string(channels) +
               " ! fakesink name=out sync=true signal-handoffs=true";
    // Unbuffered, so that the file grows in real time (tests and field checks watch it).
    // audiorate fills gaps (a server restart, a dead link) with silence so that a recording's
    // position is its time since the first packet.
    return "audiorate skip-to-first=true ! audio/x-raw,format=S16LE,rate=48000,channels=" +
           std::to_string(channels) + " ! wavenc ! filesink name=out buffer-mode=unbuffered";
}

Player::Player(PlayerSettings settings) : settings_(std::move(settings)) {
    pipeline::ensure_gstreamer();
}

Player::~Player() = default; // Impl is complete here

void Player::start() {
    std::string description =
        "appsrc name=src is-live=true format=time do-timestamp=true "
        "caps=\"application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=96\" ! "
        "rtpjitterbuffer name=jb do-lost=true ! rtpopusdepay ! "
        "opusdec use-inband-fec=true plc=true ! audioconvert ! audioresample ! volume name=vol ! " +
        std::string(settings_.silent_fault ? "volume volume=0 ! " : "") +
        "audio/x-raw,format=S16LE,rate=48000,channels=" + std::to_string(settings_.channels) +
        " ! identity name=played ! audioconvert ! audioresample ! " +
        describe_output(settings_.output, settings_.channels);
    auto launched = pipeline::launch(description);
    if (!launched)
        throw std::runtime_error("cannot build the playout pipeline: " + launched.error().message);
    GstElement* pipeline = *launched;
    impl_ = std::make_unique<Impl>();
    impl_->pipeline = pipeline;
    impl_->appsrc = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    impl_->jitterbuffer = gst_bin_get_by_name(GST_BIN(pipeline), "jb");
    impl_->volume = gst_bin_get_by_name(GST_BIN(pipeline), "vol");
    impl_->bus = gst_element_get_bus(pipeline);
    g_object_set(impl_->jitterbuffer, "latency", static_cast<guint>(settings_.jitter_ms), nullptr);
    g_object_set(impl_->appsrc, "max-bytes", static_cast<guint64>(256 * 1024), nullptr);
    if (GstElement* out = gst_bin_get_by_name(GST_BIN(pipeline), "out")) {
        if (settings_.output == "null")
            connect_observer(out);
        else if (settings_.output.rfind("alsa:", 0) == 0)
            g_object_set(out, "device", settings_.output.substr(5).c_str(), nullptr);
        else
            g_object_set(out, "location", settings_.output.c_str(), nullptr);
        gst_object_unref(out);
    }
    pipeline::meter_pad(pipeline, "played", "src", played_, settings_.channels);
    set_volume(settings_.volume);
    set_muted(settings_.muted);
    // opusdec announces 120 ms of latency when FEC is on (the longest Opus packet), but Loa's
    // packets are 20 ms and the jitter buffer already holds the next packet by the time it
    // declares one lost, so the FEC data is there in time: the jitter buffer's latency plus a
    // small margin for decoding is the playout delay.
    gst_pipeline_set_latency(GST_PIPELINE(pipeline),
                             static_cast<GstClockTime>(settings_.jitter_ms + kDecodeMarginMs) *
                                 GST_MSECOND);
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        std::string reason = take_error();
        throw std::runtime_error(
            "cannot start playout to " +
            (settings_.output.empty() ? std::string("the sound card") : settings_.output) +
            (reason.empty() ? "" : ": " + reason));
    }
}

void Player::connect_observer(GstElement* sink) {
    auto on_handoff = +[](GstElement*, GstBuffer* buffer, GstPad*, gpointer self) {
        auto* player = static_cast<Player*>(self);
        GstMapInfo map;
        if (!player->observer_ || !gst_buffer_map(buffer, &map, GST_MAP_READ))
            return;
        player->observer_(reinterpret_cast<const std::int16_t*>(map.data), map.size / 2);
        gst_buffer_unmap(buffer, &map);
    };
    g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), this);
}

void Player::push(const std::uint8_t* packet, std::size_t len) {
    GstBuffer* buffer = gst_buffer_new_allocate(nullptr, len, nullptr);
    gst_buffer_fill(buffer, 0, packet, len);
    gst_app_src_push_buffer(GST_APP_SRC(impl_->appsrc), buffer); // takes ownership
}

std::uint64_t Player::sound_seconds() const {
    return played_.sound_seconds(pipeline::steady_ns());
}

void Player::set_volume(double volume) {
    settings_.volume = volume;
    if (impl_ != nullptr)
        g_object_set(impl_->volume, "volume", volume, nullptr);
}

void Player::set_muted(bool muted) {
    settings_.muted = muted;
    if (impl_ != nullptr)
        g_object_set(impl_->volume, "mute", muted, nullptr);
}

PlayoutStats Player::stats() const {
    PlayoutStats s;
    if (impl_ == nullptr)
        return s;
    GstStructure* st = nullptr;
    g_object_get(impl_->jitterbuffer, "stats", &st, nullptr);
    if (st == nullptr)
        return s;
    guint64 value = 0;
    if (gst_structure_get_uint64(st, "num-pushed", &value))
        s.pushed = value;
    if (gst_structure_get_uint64(st, "num-lost", &value))
        s.lost = value;
    if (gst_structure_get_uint64(st, "num-late", &value))
        s.late = value;
    if (gst_structure_get_uint64(st, "num-duplicates", &value))
        s.duplicates = value;
    if (gst_structure_get_uint64(st, "avg-jitter", &value))
        s.jitter_ms = static_cast<double>(value) / 1e6; // reported in ns
    gst_structure_free(st);
    return s;
}

std::string Player::take_error() {
    if (impl_ == nullptr)
        return {};
    std::string reason;
    while (GstMessage* msg = gst_bus_pop_filtered(impl_->bus, GST_MESSAGE_ERROR)) {
        GError* err = nullptr;
        gst_message_parse_error(msg, &err, nullptr);
        if (err != nullptr)
            reason = err->message;
        g_clear_error(&err);
        gst_message_unref(msg);
    }
    return reason;
}

void Player::finish(std::chrono::milliseconds timeout) {
    if (impl_ == nullptr)
        return;
    gst_app_src_end_of_stream(GST_APP_SRC(impl_->appsrc));
    GstMessage* msg = gst_bus_timed_pop_filtered(
        impl_->bus, static_cast<GstClockTime>(timeout.count()) * GST_MSECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    if (msg != nullptr)
        gst_message_unref(msg);
    gst_element_set_state(impl_->pipeline, GST_STATE_NULL);
}

} // namespace loa::clients
