#include "loa/server/schedule/program_store.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/media_tools.hpp"

namespace loa::server {
namespace {

namespace fs = std::filesystem;
using common::Errc;
using common::make_error;

auto log() {
    static auto logger = common::logger("media-store");
    return logger;
}

/// The extension to keep (GStreamer sniffs the content; the name only helps people).
std::string extension_of(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    if (ext.size() > 6 ||
        ext.find_first_not_of(".abcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos)
        return ".audio";
    return ext.empty() ? ".audio" : ext;
}

} // namespace

ProgramStore::ProgramStore(std::string dir, std::vector<LiveInput> live_inputs)
    : dir_(std::move(dir)), live_inputs_(std::move(live_inputs)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
        throw std::runtime_error("cannot create the media directory " + dir_ + ": " + ec.message());
}

std::optional<std::shared_ptr<void>> ProgramStore::start_job(MediaUse use) const {
    if (jobs_->fetch_add(1) >= kMaxJobs && use != MediaUse::emergency) {
        jobs_->fetch_sub(1);
        return std::nullopt;
    }
    return std::shared_ptr<void>(nullptr, [jobs = jobs_](void*) { jobs->fetch_sub(1); });
}

namespace {

common::Error busy() {
    return {Errc::media_error, "the server is decoding or speaking " +
                                   std::to_string(ProgramStore::kMaxJobs) +
                                   " other programs right now; try again in a moment"};
}

} // namespace

common::Result<StoredAudio> ProgramStore::store_file(const std::string& path, MediaUse use) const {
    auto job = start_job(use);
    if (!job)
        return busy();
    auto info = pipeline::probe_audio(path);
    if (!info)
        return info.error();
    auto hash = common::sha256_file(path);
    if (!hash)
        return make_error(Errc::io_error, "cannot read " + path);
    std::string stored = dir_ + "/" + *hash + extension_of(path);
    std::error_code ec;
    if (!fs::exists(stored, ec)) {
        // Copy beside the final name, then rename: a crash never leaves half a file there.
        std::string partial = stored + ".partial";
        fs::copy_file(path, partial, fs::copy_options::overwrite_existing, ec);
        if (!ec)
            fs::rename(partial, stored, ec);
        if (ec) {
            fs::remove(partial, ec);
            return make_error(Errc::io_error, "cannot store " + path + ": " + ec.message());
        }
        log()->info("stored {} as {} ({} ms)", path, stored, info->duration.count());
    }
    return StoredAudio{stored, info->duration};
}

common::Result<StoredAudio> ProgramStore::speak(const std::string& text, const std::string& voice,
                                                int rate_wpm, MediaUse use) const {
    // The voice names a file of espeak-ng's own voices: no paths, nothing else.
    if (voice.empty() || voice.size() > 40 ||
        voice.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "_+-") != std::string::npos)
        return make_error(Errc::invalid_argument,
                          "voice: an espeak-ng voice such as vi, vi+f3 or en-us (letters, digits, "
                          "'_', '+' and '-')");
    if (rate_wpm < 80 || rate_wpm > 450)
        return make_error(Errc::invalid_argument,
                          "rate_wpm: expected 80 to 450 words a minute, got " +
                              std::to_string(rate_wpm));
    std::string key = common::sha256_hex(voice + "\n" + std::to_string(rate_wpm) + "\n" + text);
    std::string name = "/speech-" + key + ".wav";
    std::string previews = dir_ + "/previews";
    std::string stored = (use == MediaUse::preview ? previews : dir_) + name;
    std::error_code ec;
    if (use != MediaUse::preview && !fs::exists(stored, ec) && fs::exists(previews + name, ec))
        fs::rename(previews + name, stored, ec); // heard before it was saved: render it once
    if (fs::exists(stored, ec)) {
        auto info = pipeline::probe_audio(stored);
        if (info)
            return StoredAudio{stored, info->duration};
        fs::remove(stored, ec); // unreadable: render it again
    }
    auto job = start_job(use);
    if (!job)
        return busy();
    if (use == MediaUse::preview)
        fs::create_directories(previews, ec);
    std::string partial = stored.substr(0, stored.size() - 4) + ".partial.wav";
    auto info = pipeline::render_speech(text, pipeline::SpeechSettings{voice, rate_wpm}, partial);
    if (!info) {
        fs::remove(partial, ec);
        return info.error();
    }
    fs::rename(partial, stored, ec);
    if (ec)
        return make_error(Errc::io_error, "cannot store a rendered bulletin: " + ec.message());
    log()->info("rendered a bulletin of {} characters ({} ms, voice {}){}", text.size(),
                info->duration.count(), voice, use == MediaUse::preview ? " to preview" : "");
    if (use == MediaUse::preview)
        trim_previews();
    return StoredAudio{stored, info->duration};
}

void ProgramStore::trim_previews() const {
    std::error_code ec;
    std::vector<std::pair<fs::file_time_type, fs::path>> kept;
    for (auto it = fs::directory_iterator(dir_ + "/previews", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec))
        kept.emplace_back(it->last_write_time(ec), it->path());
    if (kept.size() <= kMaxPreviews)
        return;
    std::sort(kept.begin(), kept.end());
    for (std::size_t i = 0; i + kMaxPreviews < kept.size(); ++i)
        fs::remove(kept[i].second, ec);
}

std::string ProgramStore::media_path(const std::string& stored) const {
    return (std::filesystem::path(dir_) / std::filesystem::path(stored).filename()).string();
}

common::Result<pipeline::SourceSpec>
ProgramStore::source_for(const schedules::Program& program,
                         std::chrono::milliseconds offset) const {
    pipeline::SourceSpec spec;
    spec.id = "program-" + std::to_string(program.id);
    switch (program.kind) {
    case schedules::ProgramKind::file:
    case schedules::ProgramKind::tts:
        if (program.media.empty())
            return make_error(Errc::not_found,
                              "program #" + std::to_string(program.id) + " has no stored audio");
        spec.kind = pipeline::SourceKind::file;
        spec.location = media_path(program.media);
        spec.start_offset = offset;
        break;
    case schedules::ProgramKind::relay:
        spec.kind = pipeline::SourceKind::relay;
        spec.location = program.source;
        break;
    case schedules::ProgramKind::live: {
        // Programs name a configured input; one saved before inputs had ids ("" was the
        // default device) takes the only input there is.
        auto input = std::find_if(live_inputs_.begin(), live_inputs_.end(),
                                  [&](const LiveInput& in) { return in.id == program.source; });
        if (input == live_inputs_.end() && program.source.empty() && live_inputs_.size() == 1)
            input = live_inputs_.begin();
        if (input == live_inputs_.end())
            return make_error(Errc::not_found, "program #" + std::to_string(program.id) +
                                                   ": live input \"" + program.source +
                                                   "\" is not in the server's live_inputs");
        spec.kind = pipeline::SourceKind::alsa;
        spec.location = input->device;
        break;
    }
    }
    return spec;
}

} // namespace loa::server
