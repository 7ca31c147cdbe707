#include <atomic>
#include <fstream>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <mutex>
#include <unistd.h>
#include <vector>

#include "loa/pipeline/source.hpp"
#include "process.hpp"

using namespace loa::pipeline;
using loa::test::wait_until;

namespace {

/// Collects what a source reports.
struct Observer {
    std::atomic<int> frames{0};
    std::atomic<int> max_size{0};
    std::atomic<int> stereo_frames{0}; ///< TOC byte's s bit (RFC 6716 §3.1)
    std::mutex mutex;
    std::vector<SourceState> states;
    std::string last_detail;

    Source::FrameSink frame_sink() {
        return [this](const OpusFrame& f) {
            ++frames;
            if (f.size > 0 && (f.data[0] & 0x04) != 0)
                ++stereo_frames;
            if (f.size > max_size)
                max_size = f.size;
        };
    }
    Source::StateSink state_sink() {
        return [this](SourceState s, const std::string& detail) {
            std::lock_guard lock(mutex);
            states.push_back(s);
            if (!detail.empty())
                last_detail = detail;
        };
    }
    bool saw(SourceState s) {
        std::lock_guard lock(mutex);
        return std::find(states.begin(), states.end(), s) != states.end();
    }
};

/// Writes a short tone into `path` with a GStreamer encoder chain; false if unavailable.
bool make_file(const std::string& path, const std::string& encoder_chain, int buffers = 50) {
    ensure_gstreamer();
    std::string description = "audiotestsrc num-buffers=" + std::to_string(buffers) +
                              " freq=440 ! audioconvert ! " + encoder_chain +
                              " ! filesink location=" + path;
    GError* error = nullptr;
    GstElement* p = gst_parse_launch(description.c_str(), &error);
    if (error != nullptr) {
        g_error_free(error);
        if (p != nullptr)
            gst_object_unref(p);
        return false;
    }
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBus* bus = gst_element_get_bus(p);
    GstMessage* m = gst_bus_timed_pop_filtered(
        bus, 10 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    bool ok = m != nullptr && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS;
    if (m != nullptr)
        gst_message_unref(m);
    gst_object_unref(bus);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    return ok;
}

} // namespace

TEST(Source, ToneIsEncodedToOpusInRealTime) {
    Observer o;
    SourceSpec spec{"tone", SourceKind::tone, "", 1000, false};
    Source source(spec, EncoderSettings{}, o.frame_sink(), o.state_sink());
    auto start = std::chrono::steady_clock::now();
    source.start();
    ASSERT_TRUE(wait_until([&] { return o.frames >= 50; }, std::chrono::seconds(5)));
    auto elapsed = std::chrono::steady_clock::now() - start;
    source.stop();
    // 50 frames of 20 ms take about a second when paced; far less means no pacing.
    EXPECT_GT(elapsed, std::chrono::milliseconds(800));
    EXPECT_GT(o.max_size.load(), 10);
    EXPECT_LE(o.max_size.load(), 32000 / 8 / 50 * 3); // about 80 bytes at 32 kbps
    EXPECT_EQ(o.stereo_frames.load(), 0);             // mono by default
    EXPECT_TRUE(o.saw(SourceState::playing));
    // What it encoded was measured: the tone, a sine at half of full scale, is -9 dBFS.
    auto level = source.level().totals();
    EXPECT_GE(level.measured_ms, 800U);
    EXPECT_EQ(level.sound_ms, level.measured_ms);
    EXPECT_NEAR(level.last_dbfs, -9.0, 0.5);
}

class FileFormats : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(FileFormats, DecodesAndEnds) {
    loa::test::TempDir dir("source-files");
    std::string path = dir.file(std::string("program.") + GetParam().first);
    if (!make_file(path, GetParam().second))
        GTEST_SKIP() << "no GStreamer encoder to make a ." << GetParam().first << " test file";
    Observer o;
    Source source(SourceSpec{"file", SourceKind::file, path, 0, false}, EncoderSettings{},
                  o.frame_sink(), o.state_sink());
    source.start();
    ASSERT_TRUE(wait_until([&] { return o.saw(SourceState::ended); }, std::chrono::seconds(10)))
        << o.last_detail;
    source.stop();
    // 50 buffers of 1024 samples at 44.1 kHz: about 1.16 s, i.e. about 58 frames.
    EXPECT_GE(o.frames.load(), 50);
    EXPECT_LE(o.frames.load(), 66);
}

INSTANTIATE_TEST_SUITE_P(Formats, FileFormats,
                         ::testing::Values(std::make_pair("wav", "wavenc"),
                                           std::make_pair("ogg", "vorbisenc ! oggmux"),
                                           std::make_pair("flac", "flacenc"),
                                           std::make_pair("mp3", "lamemp3enc"),
                                           std::make_pair("m4a", "avenc_aac ! mp4mux")),
                         [](const auto& info) { return std::string(info.param.first); });

TEST(Source, UndecodableFileFailsWithoutCrashing) {
    loa::test::TempDir dir("source-bad");
    std::string path = dir.file("garbage.mp3");
    std::ofstream(path) << std::string(4096, '\x5a');
    Observer o;
    Source source(SourceSpec{"bad", SourceKind::file, path, 0, false}, EncoderSettings{},
                  o.frame_sink(), o.state_sink());
    source.start();
    ASSERT_TRUE(wait_until([&] { return o.saw(SourceState::failed); }, std::chrono::seconds(10)));
    source.stop();
    EXPECT_EQ(o.frames.load(), 0);
    EXPECT_FALSE(o.last_detail.empty());
}

TEST(Source, DroppedRelayIsRetried) {
    Observer o;
    // Nothing listens on port 1: the relay fails and must be retried, not given up.
    Source source(SourceSpec{"relay", SourceKind::relay, "http://127.0.0.1:1/stream.mp3", 0, false},
                  EncoderSettings{}, o.frame_sink(), o.state_sink());
    source.start();
    ASSERT_TRUE(wait_until(
        [&] {
            std::lock_guard lock(o.mutex);
            return std::count(o.states.begin(), o.states.end(), SourceState::retrying) >= 2;
        },
        std::chrono::seconds(10)));
    source.stop();
    EXPECT_FALSE(o.saw(SourceState::failed));
}

TEST(Source, MissingCaptureDeviceIsRetriedNotFatal) {
    Observer o;
    Source source(SourceSpec{"mic", SourceKind::alsa, "hw:99,0", 0, false}, EncoderSettings{},
                  o.frame_sink(), o.state_sink());
    source.start();
    ASSERT_TRUE(wait_until([&] { return o.saw(SourceState::retrying); }, std::chrono::seconds(10)));
    source.stop();
    EXPECT_FALSE(o.saw(SourceState::failed));
}

TEST(Source, HttpRelayPlaysAStreamFromAWebServer) {
    if (::access("/usr/bin/python3", X_OK) != 0)
        GTEST_SKIP() << "python3 (scripts/setup.sh installs it) serves the test stream";
    loa::test::TempDir dir("source-relay");
    // MP3, like most radio streams: played front to back, never seeked.
    ASSERT_TRUE(make_file(dir.file("radio.mp3"), "lamemp3enc"));
    int port = loa::test::free_udp_port(); // a free TCP port is very likely free too
    loa::test::Process web({"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1",
                            "--directory", dir.path(), std::to_string(port)},
                           dir.file("http.log"));
    std::string url = "http://127.0.0.1:" + std::to_string(port) + "/radio.mp3";
    Observer o;
    Source source(SourceSpec{"radio", SourceKind::relay, url, 0, false}, EncoderSettings{},
                  o.frame_sink(), o.state_sink());
    source.start();
    // The web server may need a moment to listen: the relay retries until it does.
    ASSERT_TRUE(wait_until([&] { return o.frames >= 25; }, std::chrono::seconds(15)))
        << o.last_detail;
    source.stop();
}

TEST(Source, StereoIsEncodedWhenConfigured) {
    Observer o;
    EncoderSettings stereo;
    stereo.channels = 2;
    stereo.bitrate_kbps = 64;
    Source source(SourceSpec{"tone", SourceKind::tone, "", 440, false}, stereo, o.frame_sink(),
                  o.state_sink());
    source.start();
    ASSERT_TRUE(wait_until([&] { return o.frames >= 10; }, std::chrono::seconds(5)));
    source.stop();
    EXPECT_FALSE(o.saw(SourceState::failed));
    EXPECT_GT(o.stereo_frames.load(), 0);
}

TEST(Source, AHeldFileSendsNothingUntilReleased) {
    loa::test::TempDir dir("source-held");
    std::string path = dir.file("bulletin.wav");
    ASSERT_TRUE(make_file(path, "wavenc"));
    Observer o;
    Source source(SourceSpec{"held", SourceKind::file, path, 0, false}, EncoderSettings{},
                  o.frame_sink(), o.state_sink());
    source.start(true);
    EXPECT_FALSE(wait_until([&] { return o.frames > 0; }, std::chrono::milliseconds(300)));
    EXPECT_FALSE(o.saw(SourceState::playing));
    source.release();
    ASSERT_TRUE(wait_until([&] { return o.saw(SourceState::ended); }, std::chrono::seconds(10)));
    source.stop();
    EXPECT_GE(o.frames.load(), 50); // all of it: nothing was lost while held
}

TEST(Source, AFileHeldMidwayContinuesWhereItStopped) {
    loa::test::TempDir dir("source-hold");
    std::string path = dir.file("program.wav");
    ASSERT_TRUE(make_file(path, "wavenc"));
    Observer o;
    Source source(SourceSpec{"program", SourceKind::file, path, 0, false}, EncoderSettings{},
                  o.frame_sink(), o.state_sink());
    source.start();
    ASSERT_TRUE(wait_until([&] { return o.frames >= 10; }, std::chrono::seconds(5)));
    source.hold();
    int at_hold = o.frames.load();
    // A frame or two may be on their way out; then nothing while held.
    EXPECT_FALSE(
        wait_until([&] { return o.frames > at_hold + 3; }, std::chrono::milliseconds(400)));
    source.release();
    ASSERT_TRUE(wait_until([&] { return o.saw(SourceState::ended); }, std::chrono::seconds(10)));
    source.stop();
    EXPECT_GE(o.frames.load(), 50); // about 58: the whole file, nothing skipped or repeated
    EXPECT_LE(o.frames.load(), 66);
}

TEST(Source, AFileStartsAtItsOffset) {
    loa::test::TempDir dir("source-offset");
    std::string path = dir.file("program.wav");
    ASSERT_TRUE(make_file(path, "wavenc", 200)); // 200 x 1024 samples at 44.1 kHz: 4.64 s
    Observer o;
    SourceSpec spec{"program", SourceKind::file, path, 0, false};
    spec.start_offset = std::chrono::milliseconds(3500);
    Source source(spec, EncoderSettings{}, o.frame_sink(), o.state_sink());
    source.start();
    ASSERT_TRUE(wait_until([&] { return o.saw(SourceState::ended); }, std::chrono::seconds(10)));
    source.stop();
    // The last 1.14 s: about 57 frames, against 232 for the whole file.
    EXPECT_GE(o.frames.load(), 45);
    EXPECT_LE(o.frames.load(), 75);
}
