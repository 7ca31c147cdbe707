// WebRTC through webrtcbin: an offer from a real sending webrtcbin passes the checks and is
// answered by a receiving one, whose audio then reaches a feed source that encodes it; and the
// offers a caller could send instead are refused with what is wrong.
#include <atomic>
#include <cmath>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <vector>

#include "loa/pipeline/pcm_feed.hpp"
#include "loa/pipeline/source.hpp"
#include "loa/pipeline/webrtc.hpp"
#include "process.hpp"

using namespace loa::pipeline;
using loa::test::wait_until;

namespace {

/// A playing pipeline with a webrtcbin named "rtc"; stopped and freed on destruction.
struct Peer {
    GstElement* pipeline = nullptr;
    GstElement* webrtc = nullptr;
    std::unique_ptr<WebRtcPeer> peer;

    explicit Peer(const std::string& description) {
        pipeline = launch(description).value();
        webrtc = gst_bin_get_by_name(GST_BIN(pipeline), "rtc");
        gst_element_set_state(pipeline, GST_STATE_PLAYING);
        peer = std::make_unique<WebRtcPeer>(webrtc, IceSettings{{"127.0.0.1"}});
    }
    ~Peer() {
        peer.reset();
        gst_element_set_state(pipeline, GST_STATE_NULL);
        gst_object_unref(webrtc);
        gst_object_unref(pipeline);
    }
};

constexpr const char* kSender =
    "audiotestsrc is-live=true freq=1000 volume=0.5 ! audioconvert ! audioresample ! "
    "audio/x-raw,rate=48000,channels=1 ! opusenc ! rtpopuspay pt=111 ! "
    "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111 ! "
    "webrtcbin name=rtc bundle-policy=max-bundle";

/// Replaces the first `from` in `text` by `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    if (at != std::string::npos)
        text.replace(at, from.size(), to);
    return text;
}

/// Removes every line starting with `prefix`.
std::string without(const std::string& text, const std::string& prefix) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find("\r\n", start);
        end = end == std::string::npos ? text.size() : end + 2;
        if (text.compare(start, prefix.size(), prefix) != 0)
            out += text.substr(start, end - start);
        start = end;
    }
    return out;
}

} // namespace

TEST(WebRtc, AnOfferIsAnsweredAndItsAudioReachesAFeedSourceEncodedAgain) {
    Peer sender(kSender);
    auto offer = sender.peer->offer(std::chrono::seconds(5));
    ASSERT_TRUE(offer) << offer.error().message;
    auto checked = check_audio_offer(*offer);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->opus_payload, 111);

    // The receiving side, as the server's live session: depayload, decode, into a feed.
    auto feed = std::make_shared<PcmFeed>();
    Peer receiver("webrtcbin name=rtc bundle-policy=max-bundle latency=60 "
                  "rtpopusdepay name=depay ! opusdec ! audioconvert ! audioresample ! " +
                  std::string(kFeedCaps) + " ! appsink name=pcm sync=false");
    GstElement* depay = gst_bin_get_by_name(GST_BIN(receiver.pipeline), "depay");
    g_signal_connect(receiver.webrtc, "pad-added",
                     G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer depay) {
                         GstPad* sink = gst_element_get_static_pad(GST_ELEMENT(depay), "sink");
                         if (!gst_pad_is_linked(sink))
                             gst_pad_link(pad, sink);
                         gst_object_unref(sink);
                     }),
                     depay);
    GstElement* pcm = gst_bin_get_by_name(GST_BIN(receiver.pipeline), "pcm");
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = [](GstAppSink* sink, gpointer to) -> GstFlowReturn {
        GstSample* sample = gst_app_sink_pull_sample(sink);
        GstMapInfo map;
        GstBuffer* buffer = gst_sample_get_buffer(sample);
        if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
            static_cast<PcmFeed*>(to)->push(map.data, map.size);
            gst_buffer_unmap(buffer, &map);
        }
        gst_sample_unref(sample);
        return GST_FLOW_OK;
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(pcm), &callbacks, feed.get(), nullptr);
    gst_object_unref(pcm);

    auto answer = receiver.peer->answer(*offer, std::chrono::seconds(5));
    ASSERT_TRUE(answer) << answer.error().message;
    EXPECT_NE(answer->find("a=recvonly"), std::string::npos) << *answer;
    EXPECT_NE(answer->find("a=candidate:"), std::string::npos);
    ASSERT_TRUE(sender.peer->accept(*answer));
    ASSERT_TRUE(wait_until([&] { return feed->samples() >= 48000; }, std::chrono::seconds(10)))
        << "no audio came through; ICE " << to_string(receiver.peer->ice_state());
    auto ice = receiver.peer->ice_state();
    EXPECT_TRUE(ice == IceState::connected || ice == IceState::completed) << to_string(ice);

    // The feed source encodes what arrives, and measures it: the tone at half scale.
    std::atomic<int> frames{0};
    SourceSpec spec;
    spec.id = "voice";
    spec.kind = SourceKind::feed;
    spec.feed = feed;
    Source source(
        spec, EncoderSettings{}, [&](const OpusFrame&) { ++frames; },
        [](SourceState, const std::string&) {});
    source.start();
    ASSERT_TRUE(wait_until([&] { return frames >= 50; }, std::chrono::seconds(5)));
    EXPECT_GT(source.level().totals().last_dbfs, -15.0);
    // Stopped and started again (a broadcast preempted, then resumed), it takes the feed back.
    source.stop();
    frames = 0;
    source.start();
    EXPECT_TRUE(wait_until([&] { return frames >= 25; }, std::chrono::seconds(5)));
    source.stop();
    gst_object_unref(depay);
}

TEST(WebRtc, OffersThatAreNotOneOpusAudioStreamOverDtlsSrtpAreRefused) {
    Peer sender(kSender);
    auto offer = sender.peer->offer(std::chrono::seconds(5));
    ASSERT_TRUE(offer) << offer.error().message;
    auto refusal = [](const std::string& sdp) {
        auto r = check_audio_offer(sdp);
        return r ? std::string("accepted") : r.error().message;
    };
    EXPECT_NE(refusal("").find("empty"), std::string::npos);
    EXPECT_NE(refusal(std::string(kMaxOfferBytes + 1, 'v')).find("larger"), std::string::npos);
    EXPECT_NE(refusal("hello").find("v=0"), std::string::npos);
    EXPECT_NE(refusal("v=0\r\n").find("exactly one media section"), std::string::npos);
    auto media = offer->substr(offer->find("m=audio"));
    EXPECT_NE(refusal(*offer + media).find("exactly one media section"), std::string::npos);
    EXPECT_NE(refusal(replaced(*offer, "m=audio", "m=video")).find("must send audio"),
              std::string::npos);
    EXPECT_NE(refusal(replaced(*offer, "UDP/TLS/RTP/SAVPF", "RTP/AVP")).find("DTLS-SRTP"),
              std::string::npos);
    auto receiving =
        replaced(replaced(*offer, "a=sendrecv", "a=recvonly"), "a=sendonly", "a=recvonly");
    EXPECT_NE(refusal(receiving).find("must send"), std::string::npos);
    EXPECT_NE(refusal(without(*offer, "a=fingerprint")).find("fingerprint"), std::string::npos);
    EXPECT_NE(refusal(without(*offer, "a=ice-pwd")).find("ICE credentials"), std::string::npos);
    EXPECT_NE(refusal(replaced(*offer, "OPUS/48000", "PCMU/8000")).find("Opus"), std::string::npos);
}
