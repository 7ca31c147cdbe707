#include <fstream>
#include <gtest/gtest.h>

#include "loa/pipeline/media_tools.hpp"
#include "process.hpp"
#include "wav.hpp"

using namespace loa::pipeline;

TEST(MediaTools, AVietnameseBulletinIsSpokenAndMeasured) {
    loa::test::TempDir dir("media-tts");
    std::string wav_path = dir.file("bulletin.wav");
    auto spoken = render_speech("Kính thưa bà con, sáng mai có mưa lớn, đề nghị bà con chú ý.",
                                SpeechSettings{}, wav_path);
    ASSERT_TRUE(spoken) << spoken.error().message;
    EXPECT_GT(spoken->duration, std::chrono::milliseconds(1500));
    EXPECT_LT(spoken->duration, std::chrono::seconds(15));
    auto wav = loa::test::read_wav(wav_path);
    ASSERT_EQ(wav.rate, 48000);
    EXPECT_NEAR(wav.seconds() * 1000, static_cast<double>(spoken->duration.count()), 50);
    EXPECT_GT(loa::test::rms(wav, 0, wav.seconds()), 0.01); // speech, not silence

    // The file it wrote decodes, and measures the same.
    auto probed = probe_audio(wav_path);
    ASSERT_TRUE(probed) << probed.error().message;
    EXPECT_NEAR(static_cast<double>(probed->duration.count()),
                static_cast<double>(spoken->duration.count()), 50);
}

TEST(MediaTools, UndecodableOrMissingFilesAreRefusedClearly) {
    loa::test::TempDir dir("media-bad");
    std::string garbage = dir.file("song.mp3");
    std::ofstream(garbage) << std::string(8192, '\x42');
    auto bad = probe_audio(garbage);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("not audio that can be played"), std::string::npos);
    auto missing = probe_audio(dir.file("nothing.ogg"));
    ASSERT_FALSE(missing);
    EXPECT_FALSE(missing.error().message.empty());
}

TEST(MediaTools, BadBulletinsAreRefused) {
    loa::test::TempDir dir("media-tts-bad");
    auto empty = render_speech("  \n", SpeechSettings{}, dir.file("a.wav"));
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().message, "the bulletin text is empty");
    auto fast = render_speech("Xin chào", SpeechSettings{"vi", 1000}, dir.file("b.wav"));
    ASSERT_FALSE(fast);
    EXPECT_EQ(fast.error().message, "speech rate must be 80-450 words per minute");
}

TEST(MediaTools, TheSpeechRateChangesHowLongABulletinTakes) {
    loa::test::TempDir dir("media-rate");
    const char* text = "Kính thưa bà con, sáng mai có mưa lớn, đề nghị bà con chú ý.";
    auto slow = render_speech(text, SpeechSettings{"vi", 100}, dir.file("slow.wav"));
    auto fast = render_speech(text, SpeechSettings{"vi", 300}, dir.file("fast.wav"));
    ASSERT_TRUE(slow) << slow.error().message;
    ASSERT_TRUE(fast) << fast.error().message;
    EXPECT_GT(slow->duration.count(), fast->duration.count() * 3 / 2);
}
