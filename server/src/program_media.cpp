#include "loa/server/program_media.hpp"

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

ProgramMedia::ProgramMedia(std::string dir, std::vector<LiveInput> live_inputs)
    : dir_(std::move(dir)), live_inputs_(std::move(live_inputs)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
        throw std::runtime_error("cannot create the media directory " + dir_ + ": " + ec.message());
}

common::Result<StoredAudio> ProgramMedia::store_file(const std::string& path) const {
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

common::Result<StoredAudio> ProgramMedia::speak(const std::string& text, const std::string& voice,
                                                int rate_wpm) const {
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
    std::string stored = dir_ + "/speech-" + key + ".wav";
    std::error_code ec;
    if (fs::exists(stored, ec)) {
        auto info = pipeline::probe_audio(stored);
        if (info)
            return StoredAudio{stored, info->duration};
        fs::remove(stored, ec); // unreadable: render it again
    }
    std::string partial = dir_ + "/speech-" + key + ".partial.wav";
    auto info = pipeline::render_speech(text, pipeline::SpeechSettings{voice, rate_wpm}, partial);
    if (!info) {
        fs::remove(partial, ec);
        return info.error();
    }
    fs::rename(partial, stored, ec);
    if (ec)
        return make_error(Errc::io_error, "cannot store a rendered bulletin: " + ec.message());
    log()->info("rendered a bulletin of {} characters ({} ms, voice {})", text.size(),
                info->duration.count(), voice);
    return StoredAudio{stored, info->duration};
}

common::Result<pipeline::SourceSpec>
ProgramMedia::source_for(const schedules::Program& program,
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
        spec.location = program.media;
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
