#include "loa/pipeline/media_tools.hpp"

#include <atomic>
#include <gst/gst.h>
#include <memory>

#include "loa/pipeline/source.hpp"

namespace loa::pipeline {
namespace {

using common::Errc;
using common::make_error;

constexpr const char* kPcm = "audioconvert ! audioresample ! "
                             "audio/x-raw,format=S16LE,rate=48000,channels=1";

struct PipelineDeleter {
    void operator()(GstElement* p) const {
        gst_element_set_state(p, GST_STATE_NULL);
        gst_object_unref(p);
    }
};
using PipelinePtr = std::unique_ptr<GstElement, PipelineDeleter>;

common::Result<PipelinePtr> build(const std::string& description) {
    auto launched = launch(description);
    if (!launched)
        return launched.error();
    return PipelinePtr(*launched);
}

/// Plays the pipeline to its end; the error message of the first failure, "" at EOS.
common::Result<void> run_to_end(GstElement* pipeline, std::chrono::seconds timeout,
                                const std::string& what) {
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus* bus = gst_element_get_bus(pipeline);
    GstMessage* msg = gst_bus_timed_pop_filtered(
        bus, static_cast<GstClockTime>(timeout.count()) * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    gst_object_unref(bus);
    if (msg == nullptr)
        return make_error(Errc::media_error,
                          what + ": gave up after " + std::to_string(timeout.count()) + " s");
    common::Result<void> result;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError* err = nullptr;
        gst_message_parse_error(msg, &err, nullptr);
        result = make_error(Errc::media_error,
                            what + ": " + (err != nullptr ? err->message : "unknown error"));
        g_clear_error(&err);
    }
    gst_message_unref(msg);
    return result;
}

/// Counts the 16-bit mono samples reaching the element named "sink".
struct SampleCounter {
    std::atomic<std::uint64_t> samples{0};

    void attach(GstElement* pipeline) {
        GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
        GstPad* pad = gst_element_get_static_pad(sink, "sink");
        gst_pad_add_probe(
            pad, GST_PAD_PROBE_TYPE_BUFFER,
            [](GstPad*, GstPadProbeInfo* info, gpointer self) {
                auto* counter = static_cast<SampleCounter*>(self);
                counter->samples += gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info)) / 2;
                return GST_PAD_PROBE_OK;
            },
            this, nullptr);
        gst_object_unref(pad);
        gst_object_unref(sink);
    }
    std::chrono::milliseconds duration() const {
        return std::chrono::milliseconds(samples.load() * 1000 / 48000);
    }
};

/// GStreamer's espeak element takes the rate as -100..100 around espeak's normal speed
/// (175 words per minute), spanning its minimum (80) to its maximum (450).
int espeak_rate_percent(int wpm) {
    constexpr int kMinimum = 80, kNormal = 175, kMaximum = 450;
    if (wpm < kNormal)
        return (wpm - kNormal) * 100 / (kNormal - kMinimum);
    return (wpm - kNormal) * 100 / (kMaximum - kNormal);
}

} // namespace

common::Result<AudioInfo> probe_audio(const std::string& path, std::chrono::seconds timeout) {
    auto p =
        build(std::string("uridecodebin name=src ! ") + kPcm + " ! fakesink name=sink sync=false");
    if (!p)
        return p.error();
    GError* error = nullptr;
    gchar* uri = gst_filename_to_uri(path.c_str(), &error);
    if (uri == nullptr) {
        std::string reason = error != nullptr ? error->message : "bad path";
        g_clear_error(&error);
        return make_error(Errc::invalid_argument, path + ": " + reason);
    }
    GstElement* src = gst_bin_get_by_name(GST_BIN(p->get()), "src");
    g_object_set(src, "uri", uri, nullptr);
    gst_object_unref(src);
    g_free(uri);
    SampleCounter counter;
    counter.attach(p->get());
    if (auto played = run_to_end(p->get(), timeout, "not audio that can be played"); !played)
        return played.error();
    if (counter.samples == 0)
        return make_error(Errc::media_error, "not audio that can be played: it holds no sound");
    return AudioInfo{counter.duration()};
}

common::Result<AudioInfo> render_speech(const std::string& text, const SpeechSettings& settings,
                                        const std::string& wav_path) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return make_error(Errc::invalid_argument, "the bulletin text is empty");
    if (text.size() > 20000)
        return make_error(Errc::invalid_argument,
                          "the bulletin text is " + std::to_string(text.size()) +
                              " bytes; split it into bulletins of at most 20,000");
    if (settings.rate_wpm < 80 || settings.rate_wpm > 450)
        return make_error(Errc::invalid_argument, "speech rate must be 80-450 words per minute");
    auto p = build(std::string("espeak name=tts ! ") + kPcm +
                   " ! tee name=t ! queue ! wavenc ! filesink name=out t. ! queue ! "
                   "fakesink name=sink sync=false");
    if (!p)
        return p.error();
    GstElement* tts = gst_bin_get_by_name(GST_BIN(p->get()), "tts");
    g_object_set(tts, "text", text.c_str(), "voice", settings.voice.c_str(), "rate",
                 espeak_rate_percent(settings.rate_wpm), nullptr);
    gst_object_unref(tts);
    GstElement* out = gst_bin_get_by_name(GST_BIN(p->get()), "out");
    g_object_set(out, "location", wav_path.c_str(), nullptr);
    gst_object_unref(out);
    SampleCounter counter;
    counter.attach(p->get());
    if (auto played = run_to_end(p->get(), std::chrono::seconds(120), "text to speech"); !played)
        return played.error();
    if (counter.samples == 0)
        return make_error(Errc::media_error,
                          "text to speech produced no sound (voice \"" + settings.voice + "\")");
    return AudioInfo{counter.duration()};
}

} // namespace loa::pipeline
