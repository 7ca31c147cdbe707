// GStreamer's own way to send one encrypted stream per receiver: appsrc ! tee, and per receiver
// srtpenc ! udpsink. One streaming thread does all the work, so the figure is per core.
#include <chrono>
#include <cstring>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <string>
#include <sys/resource.h>

#include "loa/common/secret.hpp"
#include "loa/pipeline/rtp.hpp"
#include "loa/pipeline/source.hpp"

double gst_tee_srtpenc_rate(int receivers, int frames, std::uint16_t sink_port,
                            double* cpu_seconds) {
    loa::pipeline::ensure_gstreamer();
    GstElement* pipeline = gst_pipeline_new("baseline");
    GstElement* src = gst_element_factory_make("appsrc", "src");
    GstElement* tee = gst_element_factory_make("tee", "t");
    if (src == nullptr || tee == nullptr)
        return 0;
    GstCaps* caps = gst_caps_from_string(
        "application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=96");
    g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME, "block", TRUE, "max-bytes",
                 static_cast<guint64>(64 * 1024), nullptr);
    gst_caps_unref(caps);
    gst_bin_add_many(GST_BIN(pipeline), src, tee, nullptr);
    gst_element_link(src, tee);
    for (int i = 0; i < receivers; ++i) {
        GstElement* enc = gst_element_factory_make("srtpenc", nullptr);
        GstElement* sink = gst_element_factory_make("udpsink", nullptr);
        if (enc == nullptr || sink == nullptr)
            return 0;
        guint8 key[30];
        loa::common::random_bytes(key, sizeof key);
        GstBuffer* key_buffer = gst_buffer_new_memdup(key, sizeof key);
        g_object_set(enc, "key", key_buffer, nullptr);
        gst_buffer_unref(key_buffer);
        g_object_set(sink, "host", "127.0.0.1", "port", static_cast<gint>(sink_port), "sync", FALSE,
                     "async", FALSE, nullptr);
        gst_bin_add_many(GST_BIN(pipeline), enc, sink, nullptr);
        // srtpenc has request pads rtp_sink_%u; link tee -> srtpenc -> udpsink.
        if (!gst_element_link_pads(tee, "src_%u", enc, "rtp_sink_0") ||
            !gst_element_link_pads(enc, "rtp_src_0", sink, "sink"))
            return 0;
    }
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    auto start = std::chrono::steady_clock::now();
    for (int f = 0; f < frames; ++f) {
        GstBuffer* buffer =
            gst_buffer_new_allocate(nullptr, loa::pipeline::kRtpHeaderSize + 80, nullptr);
        GstMapInfo map;
        gst_buffer_map(buffer, &map, GST_MAP_WRITE);
        std::memset(map.data, 0x5a, map.size);
        loa::pipeline::RtpHeader h{96, false, static_cast<std::uint16_t>(f),
                                   static_cast<std::uint32_t>(f * 960), 0x1234};
        loa::pipeline::write_rtp_header(
            std::span<std::uint8_t, loa::pipeline::kRtpHeaderSize>(map.data, 12), h);
        gst_buffer_unmap(buffer, &map);
        GST_BUFFER_PTS(buffer) = static_cast<GstClockTime>(f) * 20 * GST_MSECOND;
        gst_app_src_push_buffer(GST_APP_SRC(src), buffer);
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    GstBus* bus = gst_element_get_bus(pipeline);
    GstMessage* msg = gst_bus_timed_pop_filtered(
        bus, 600 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    *cpu_seconds =
        secs(after.ru_utime) - secs(before.ru_utime) + secs(after.ru_stime) - secs(before.ru_stime);
    bool ok = msg != nullptr && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
    if (msg != nullptr)
        gst_message_unref(msg);
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    return ok ? static_cast<double>(frames) * receivers / elapsed : 0;
}
