// The media store's bulletins: previews kept within a bound and reused by the program they
// become, voices that are names, never paths, and media work bounded but for emergencies.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <filesystem>
#include <future>
#include <sys/stat.h>
#include <unistd.h>

#include "loa/server/schedule/program_store.hpp"
#include "process.hpp"
#include "wav.hpp"

using loa::server::MediaUse;
using loa::server::ProgramStore;
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

TEST(ProgramStore, PreviewsAreKeptWithinABoundAndBecomeTheProgramsRendering) {
    loa::test::TempDir dir("program-media-previews");
    ProgramStore media(dir.file("media"));
    auto first = media.speak("Bản tin số 0", "vi", 300, MediaUse::preview);
    if (!first && first.error().message.find("espeak") != std::string::npos)
        GTEST_SKIP() << "GStreamer's espeak element is not installed";
    ASSERT_TRUE(first) << first.error().message;
    for (std::size_t i = 1; i < ProgramStore::kMaxPreviews + 6; ++i)
        ASSERT_TRUE(media.speak("Bản tin số " + std::to_string(i), "vi", 300, MediaUse::preview));
    EXPECT_EQ(files_in(dir.file("media/previews")), ProgramStore::kMaxPreviews);
    EXPECT_FALSE(fs::exists(first->path)) << "the oldest preview goes first";
    // Saving a bulletin just heard renders it no second time: the preview becomes the program's.
    const std::string last = "Bản tin số " + std::to_string(ProgramStore::kMaxPreviews + 5);
    auto saved = media.speak(last, "vi", 300);
    ASSERT_TRUE(saved) << saved.error().message;
    EXPECT_EQ(fs::path(saved->path).parent_path(), fs::path(dir.file("media")));
    EXPECT_EQ(files_in(dir.file("media/previews")), ProgramStore::kMaxPreviews - 1);
}

TEST(ProgramStore, AVoiceIsANameAndTheRateWithinBounds) {
    loa::test::TempDir dir("program-media-voices");
    ProgramStore media(dir.file("media"));
    for (const char* voice : {"../../etc/passwd", "/usr/share/x", "vi f", "", "vi;rm"}) {
        auto r = media.speak("x", voice, 150);
        ASSERT_FALSE(r) << voice;
        EXPECT_NE(r.error().message.find("voice"), std::string::npos) << r.error().message;
    }
    EXPECT_FALSE(media.speak("x", "vi", 10));
    EXPECT_FALSE(media.speak("x", "vi", 1000));
}

TEST(ProgramStore, MediaWorkBeyondTwoJobsIsRefusedButAnEmergencysIsNot) {
    loa::test::TempDir dir("program-media-busy");
    ProgramStore media(dir.file("media"));
    auto tone = dir.file("tone.wav");
    loa::test::write_tone_wav(tone, 440, 0.5);
    // Two uploads whose bytes have not arrived yet: named pipes, each held open by its reader
    // (the decoder) until written to. Opening the writing end tells that the reader is there.
    std::vector<std::string> pipes = {dir.file("slow-1.wav"), dir.file("slow-2.wav")};
    std::vector<std::future<loa::common::Result<loa::server::StoredAudio>>> held;
    std::vector<int> writers;
    for (const auto& pipe : pipes) {
        ASSERT_EQ(::mkfifo(pipe.c_str(), 0600), 0);
        held.push_back(
            std::async(std::launch::async, [&media, pipe] { return media.store_file(pipe); }));
        int fd = -1;
        ASSERT_TRUE(loa::test::wait_until(
            [&] { return (fd = ::open(pipe.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) >= 0; },
            std::chrono::seconds(10)));
        writers.push_back(fd);
    }
    auto third = media.store_file(tone);
    ASSERT_FALSE(third) << "a third media job at once is refused";
    EXPECT_NE(third.error().message.find("try again in a moment"), std::string::npos);
    auto spoken = media.speak("Bản tin", "vi", 160);
    ASSERT_FALSE(spoken) << "a bulletin waits its turn too";
    EXPECT_NE(spoken.error().message.find("try again in a moment"), std::string::npos);
    auto emergency = media.store_file(tone, MediaUse::emergency);
    EXPECT_TRUE(emergency) << "an emergency never waits: " << emergency.error().message;

    // The slow uploads end (not audio): their places are free again.
    for (int fd : writers) {
        EXPECT_EQ(::write(fd, "not audio", 9), 9);
        ::close(fd);
    }
    for (auto& job : held)
        EXPECT_FALSE(job.get());
    EXPECT_TRUE(media.store_file(tone));
}
