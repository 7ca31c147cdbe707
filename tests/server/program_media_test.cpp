// The media store's bulletins: previews kept within a bound and reused by the program they
// become, and voices that are names, never paths.
#include <gtest/gtest.h>

#include <filesystem>

#include "loa/server/program_media.hpp"
#include "process.hpp"

using loa::server::MediaUse;
using loa::server::ProgramMedia;
namespace fs = std::filesystem;

namespace {

std::size_t files_in(const std::string& folder) {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
        ++n;
    return n;
}

} // namespace

TEST(ProgramMedia, PreviewsAreKeptWithinABoundAndBecomeTheProgramsRendering) {
    loa::test::TempDir dir("program-media-previews");
    ProgramMedia media(dir.file("media"));
    auto first = media.speak("Bản tin số 0", "vi", 300, MediaUse::preview);
    if (!first && first.error().message.find("espeak") != std::string::npos)
        GTEST_SKIP() << "GStreamer's espeak element is not installed";
    ASSERT_TRUE(first) << first.error().message;
    for (std::size_t i = 1; i < ProgramMedia::kMaxPreviews + 6; ++i)
        ASSERT_TRUE(media.speak("Bản tin số " + std::to_string(i), "vi", 300, MediaUse::preview));
    EXPECT_EQ(files_in(dir.file("media/previews")), ProgramMedia::kMaxPreviews);
    EXPECT_FALSE(fs::exists(first->path)) << "the oldest preview goes first";
    // Saving a bulletin just heard renders it no second time: the preview becomes the program's.
    const std::string last = "Bản tin số " + std::to_string(ProgramMedia::kMaxPreviews + 5);
    auto saved = media.speak(last, "vi", 300);
    ASSERT_TRUE(saved) << saved.error().message;
    EXPECT_EQ(fs::path(saved->path).parent_path(), fs::path(dir.file("media")));
    EXPECT_EQ(files_in(dir.file("media/previews")), ProgramMedia::kMaxPreviews - 1);
}

TEST(ProgramMedia, AVoiceIsANameAndTheRateWithinBounds) {
    loa::test::TempDir dir("program-media-voices");
    ProgramMedia media(dir.file("media"));
    for (const char* voice : {"../../etc/passwd", "/usr/share/x", "vi f", "", "vi;rm"}) {
        auto r = media.speak("x", voice, 150);
        ASSERT_FALSE(r) << voice;
        EXPECT_NE(r.error().message.find("voice"), std::string::npos) << r.error().message;
    }
    EXPECT_FALSE(media.speak("x", "vi", 10));
    EXPECT_FALSE(media.speak("x", "vi", 1000));
}
