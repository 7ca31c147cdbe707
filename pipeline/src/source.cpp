#include "loa/pipeline/source.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <set>

#include "loa/common/logging.hpp"

namespace loa::pipeline {
namespace {

// alsa-lib PCMs that read or write files (`tee` is alsa.conf's name for a file PCM), share
// memory with other processes or load code. Inline definitions ({type ...}) cannot pass
// the characters allowed by valid_alsa_device.
const std::set<std::string> kOutsidePcms = {"file",  "tee",     "shm",    "ladspa",
                                            "hooks", "extplug", "ioplug", "pipe"};

auto log() {
    static auto logger = common::logger("source");
    return logger;
}

std::string kind_head(const SourceSpec& spec) {
    switch (spec.kind) {
    case SourceKind::tone:
        return "audiotestsrc name=src is-live=true wave=sine volume=0.5 samplesperbuffer=960";
    case SourceKind::alsa:
        return "alsasrc name=src";
    case SourceKind::file:
    case SourceKind::relay:
        return "uridecodebin name=src";
    case SourceKind::pipeline:
        return spec.location;
    case SourceKind::feed:
        // At most 200 ms waits here (a held source drops the oldest): a voice stays live.
        return std::string("appsrc name=src is-live=true format=time do-timestamp=true "
                           "leaky-type=downstream max-bytes=19200 block=false caps=") +
               kFeedCaps;
    }
    return {};
}

constexpr auto kFirstRetry = std::chrono::milliseconds(500);
constexpr auto kMaxRetry = std::chrono::seconds(30);

} // namespace

void ensure_gstreamer() {
    static const bool ready = [] {
        gst_init(nullptr, nullptr);
        return true;
    }();
    (void)ready;
}

std::string describe_source_head(const SourceSpec& spec) {
    return kind_head(spec);
}

common::Result<GstElement*> launch(const std::string& description) {
    ensure_gstreamer();
    GError* error = nullptr;
    GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
    if (error == nullptr)
        return pipeline;
    std::string reason = error->message;
    g_error_free(error);
    if (pipeline != nullptr)
        gst_object_unref(pipeline);
    return common::make_error(common::Errc::media_error,
                              "GStreamer cannot build \"" + description + "\": " + reason);
}

struct Source::Pipeline {
    GstElement* pipeline = nullptr;
    GstBus* bus = nullptr;
    ~Pipeline() {
        if (pipeline != nullptr) {
            gst_element_set_state(pipeline, GST_STATE_NULL);
            gst_object_unref(pipeline);
        }
        if (bus != nullptr)
            gst_object_unref(bus);
    }
};

Source::Source(SourceSpec spec, EncoderSettings encoder, FrameSink on_frame, StateSink on_state)
    : spec_(std::move(spec)), encoder_(encoder), on_frame_(std::move(on_frame)),
      on_state_(std::move(on_state)), level_(encoder.silence_below_dbfs) {
    ensure_gstreamer();
}

Source::~Source() {
    stop();
}

bool valid_alsa_device(std::string_view device) {
    if (device.empty() || device.size() > 128 ||
        device.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                 "_:,.=-") != std::string_view::npos)
        return false;
    std::string plugin(device.substr(0, device.find(':')));
    for (auto& c : plugin)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return kOutsidePcms.count(plugin) == 0;
}

bool Source::build() {
    if (spec_.kind == SourceKind::feed && !spec_.feed) {
        on_state_(SourceState::failed, "a feed source without its feed");
        return false;
    }
    if (spec_.kind == SourceKind::alsa && !spec_.location.empty() &&
        !valid_alsa_device(spec_.location)) {
        on_state_(SourceState::failed, "refused ALSA device name \"" + spec_.location +
                                           "\": a capture device is a name such as hw:1,0");
        return false;
    }
    std::string description =
        kind_head(spec_) +
        " ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=48000,channels=" +
        std::to_string(encoder_.channels) +
        " ! opusenc name=enc frame-size=20 ! appsink name=sink sync=true "
        "max-buffers=100 emit-signals=false";
    auto launched = launch(description);
    if (!launched) {
        on_state_(SourceState::failed, launched.error().message);
        return false;
    }
    GstElement* pipeline = *launched;
    auto built = std::make_unique<Pipeline>();
    built->pipeline = pipeline;
    built->bus = gst_element_get_bus(pipeline);
    {
        std::lock_guard lock(state_mutex_);
        pipeline_ = std::move(built);
    }

    GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    if (src == nullptr) { // a launch fragment names its elements as it likes
        configure_encoder_and_sink(pipeline);
        return true;
    }
    switch (spec_.kind) {
    case SourceKind::tone:
        g_object_set(src, "freq", spec_.frequency_hz, nullptr);
        break;
    case SourceKind::alsa:
        if (!spec_.location.empty())
            g_object_set(src, "device", spec_.location.c_str(), nullptr);
        break;
    case SourceKind::file: {
        gchar* uri = gst_filename_to_uri(spec_.location.c_str(), nullptr);
        g_object_set(src, "uri", uri, nullptr);
        g_free(uri);
        break;
    }
    case SourceKind::relay:
        g_object_set(src, "uri", spec_.location.c_str(), nullptr);
        break;
    case SourceKind::pipeline:
        break;
    case SourceKind::feed:
        spec_.feed->attach(src);
        break;
    }
    gst_object_unref(src);
    configure_encoder_and_sink(pipeline);
    return true;
}

void Source::configure_encoder_and_sink(GstElement* pipeline) {
    GstElement* enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
    g_object_set(enc, "bitrate", encoder_.bitrate_kbps * 1000, "inband-fec", encoder_.inband_fec,
                 "packet-loss-percentage", encoder_.expected_loss_percent, nullptr);
    gst_object_unref(enc);
    meter_pad(pipeline, "enc", "sink", level_, encoder_.channels);

    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = [](GstAppSink* appsink, gpointer self) -> GstFlowReturn {
        auto* source = static_cast<Source*>(self);
        GstSample* sample = gst_app_sink_pull_sample(appsink);
        if (sample == nullptr)
            return GST_FLOW_EOS;
        GstBuffer* buffer = gst_sample_get_buffer(sample);
        GstMapInfo map;
        if (buffer != nullptr && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
            if (map.size > OpusFrame::kMaxSize) { // not an Opus packet: never send a cut one
                gst_buffer_unmap(buffer, &map);
                gst_sample_unref(sample);
                source->frames_dropped_.fetch_add(1, std::memory_order_relaxed);
                return GST_FLOW_OK;
            }
            OpusFrame frame;
            frame.size = static_cast<std::uint16_t>(map.size);
            std::memcpy(frame.data.data(), map.data, frame.size);
            if (GST_BUFFER_DURATION_IS_VALID(buffer))
                frame.samples = static_cast<std::uint32_t>(
                    gst_util_uint64_scale(GST_BUFFER_DURATION(buffer), 48000, GST_SECOND));
            gst_buffer_unmap(buffer, &map);
            source->frames_.fetch_add(1, std::memory_order_relaxed);
            source->on_frame_(frame);
        }
        gst_sample_unref(sample);
        return GST_FLOW_OK;
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, this, nullptr);
    gst_object_unref(sink);
}

void Source::teardown() {
    std::lock_guard lock(state_mutex_);
    configured_ = false;
    if (spec_.kind == SourceKind::feed && pipeline_) {
        if (GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline_->pipeline), "src")) {
            spec_.feed->detach(src);
            gst_object_unref(src);
        }
    }
    pipeline_.reset();
}

void Source::start_playing() {
    // A live source (tone, capture device) is paced by its own clock: frames leave as soon as
    // they are encoded. Anything else (files, relays) is paced by the sink's clock sync.
    bool live =
        gst_element_set_state(pipeline_->pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_NO_PREROLL;
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline_->pipeline), "sink");
    g_object_set(sink, "sync", live ? FALSE : TRUE, nullptr);
    gst_object_unref(sink);
    if (!live && spec_.kind == SourceKind::file && spec_.start_offset.count() > 0) {
        // Wait for the preroll, then seek: the decoder must know the stream to find the spot.
        gst_element_get_state(pipeline_->pipeline, nullptr, nullptr, 5 * GST_SECOND);
        gst_element_seek_simple(
            pipeline_->pipeline, GST_FORMAT_TIME,
            static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE),
            static_cast<gint64>(spec_.start_offset.count()) * GST_MSECOND);
    }
    std::lock_guard lock(state_mutex_);
    configured_ = true;
    if (!held_)
        gst_element_set_state(pipeline_->pipeline, GST_STATE_PLAYING);
}

void Source::start(bool held) {
    stop();
    stopping_ = false;
    {
        std::lock_guard lock(state_mutex_);
        held_ = held;
    }
    bus_thread_ = std::thread([this] { run_bus(); });
}

void Source::release() {
    std::lock_guard lock(state_mutex_);
    held_ = false;
    if (configured_)
        gst_element_set_state(pipeline_->pipeline, GST_STATE_PLAYING);
}

void Source::hold() {
    std::lock_guard lock(state_mutex_);
    held_ = true;
    if (configured_)
        gst_element_set_state(pipeline_->pipeline, GST_STATE_PAUSED);
}

void Source::stop() {
    stopping_ = true;
    if (bus_thread_.joinable())
        bus_thread_.join();
    teardown();
}

void Source::run_bus() {
    auto retry_delay = std::chrono::milliseconds(kFirstRetry);
    while (!stopping_) {
        on_state_(SourceState::starting, {});
        if (!build())
            return;
        start_playing();
        bool restart = false;
        while (!stopping_ && !restart) {
            GstMessage* msg = gst_bus_timed_pop_filtered(
                pipeline_->bus, 100 * GST_MSECOND,
                static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS |
                                            GST_MESSAGE_STATE_CHANGED));
            if (msg == nullptr)
                continue;
            switch (GST_MESSAGE_TYPE(msg)) {
            case GST_MESSAGE_STATE_CHANGED:
                if (GST_MESSAGE_SRC(msg) == GST_OBJECT(pipeline_->pipeline)) {
                    GstState state;
                    gst_message_parse_state_changed(msg, nullptr, &state, nullptr);
                    if (state == GST_STATE_PLAYING) {
                        base_time_ns_ = static_cast<std::int64_t>(
                            gst_element_get_base_time(pipeline_->pipeline));
                        on_state_(SourceState::playing, {});
                        retry_delay = kFirstRetry;
                    }
                }
                break;
            case GST_MESSAGE_EOS:
                if (spec_.kind == SourceKind::file && spec_.loop) {
                    gst_element_seek_simple(pipeline_->pipeline, GST_FORMAT_TIME,
                                            GST_SEEK_FLAG_FLUSH, 0);
                    break;
                }
                if (spec_.kind == SourceKind::relay) {
                    on_state_(SourceState::retrying, "the relay stream ended");
                    restart = true;
                    break;
                }
                on_state_(SourceState::ended, {});
                gst_message_unref(msg);
                teardown();
                return;
            case GST_MESSAGE_ERROR: {
                GError* err = nullptr;
                gchar* debug = nullptr;
                gst_message_parse_error(msg, &err, &debug);
                std::string detail = err != nullptr ? err->message : "unknown error";
                g_clear_error(&err);
                g_free(debug);
                if (spec_.kind == SourceKind::relay || spec_.kind == SourceKind::alsa) {
                    on_state_(SourceState::retrying, detail);
                    restart = true;
                } else {
                    on_state_(SourceState::failed, detail);
                    gst_message_unref(msg);
                    teardown();
                    return;
                }
                break;
            }
            default:
                break;
            }
            gst_message_unref(msg);
        }
        teardown();
        if (!restart)
            break;
        // Back off before the next attempt, waking early if asked to stop.
        auto until = std::chrono::steady_clock::now() + retry_delay;
        while (!stopping_ && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        log()->info("source {}: retrying after {} ms", spec_.id, retry_delay.count());
        retry_delay = std::min<std::chrono::milliseconds>(retry_delay * 2, kMaxRetry);
    }
}

} // namespace loa::pipeline
