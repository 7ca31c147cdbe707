#include <filesystem>
#include <fstream>
#include <sstream>

#include "loa/server/api/rest_routes.hpp"
#include "loa/server/console/console.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

/// The longest bulletin text, as programs.create takes it.
constexpr std::size_t kMaxText = 20000;
/// The largest stored audio sent whole for hearing a program (about 11 minutes of WAV).
constexpr std::uintmax_t kMaxPreviewBytes = std::uintmax_t{64} * 1024 * 1024;

std::string content_type_of(std::string_view path) {
    if (path.ends_with(".js"))
        return "text/javascript; charset=utf-8";
    if (path.ends_with(".css"))
        return "text/css; charset=utf-8";
    if (path.ends_with(".svg"))
        return "image/svg+xml";
    return "text/html; charset=utf-8";
}

/// A whole stored file, as an answer's body.
std::string read_whole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

/// The WebSocket origins of the server the page came from (ws: and wss: of its Host): the
/// console's API, and nothing else.
std::string websocket_origins(const http::HttpRequest& r) {
    auto host = r.header("host");
    if (host.empty() ||
        host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789.-:[]") != std::string::npos)
        return "";
    return (r.tls ? "wss://" : "ws://") + host;
}

std::optional<http::HttpResponse> console_file(const http::HttpRequest& r) {
    auto path = r.path();
    if (path == "/" || path == "/index.html")
        path = "/index.html";
    for (const auto& file : console_files())
        if (file.path == path) {
            http::HttpResponse out{200, content_type_of(path), std::string(file.body), {}};
            out.headers["x-content-type-options"] = "nosniff";
            out.headers["referrer-policy"] = "no-referrer";
            out.headers["content-security-policy"] =
                "default-src 'self'; connect-src 'self' " + websocket_origins(r) +
                "; media-src 'self' blob:; img-src 'self' data:; style-src 'self'; "
                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
            return out;
        }
    return std::nullopt;
}

/// Renders a bulletin for listening before it is saved.
http::HttpResponse speech_preview(ApiGateway& gateway, const ProgramStore& programs,
                                  const SpeechDefaults& speech, const http::HttpRequest& r) {
    auto authenticated = authenticate(gateway, r);
    if (auto* refusal = std::get_if<http::HttpResponse>(&authenticated))
        return *refusal;
    const auto& caller = std::get<Caller>(authenticated);
    if (!caller.user || !may_call(caller.user->role, Permission::change))
        return json_error(403, "previewing bulletins is for managers, approvers and admins");
    json::value body;
    try {
        body = json::parse(r.body);
    } catch (const std::exception&) {
        return json_error(400, R"(expected a JSON body {"text": "..."})");
    }
    const auto* o = body.if_object();
    const auto* text = o ? o->if_contains("text") : nullptr;
    if (!text || !text->is_string() || text->as_string().empty())
        return json_error(400, "text: expected the bulletin's text");
    if (text->as_string().size() > kMaxText)
        return json_error(400, "text: at most 20000 bytes");
    auto voice = speech.voice;
    auto rate = speech.rate_wpm;
    if (const auto* v = o->if_contains("voice"); v && v->is_string())
        voice = std::string(v->as_string());
    if (const auto* v = o->if_contains("rate_wpm"); v && v->is_int64())
        rate = static_cast<int>(v->as_int64());
    if (rate < 80 || rate > 450)
        return json_error(400, "rate_wpm: expected 80 to 450");
    auto audio = programs.speak(std::string(text->as_string()), voice, rate, MediaUse::preview);
    if (!audio)
        return json_error(422, audio.error().message);
    return http::HttpResponse{200, "audio/wav", read_whole(audio->path), {}};
}

std::string audio_type_of(const std::string& path) {
    for (auto [ending, type] : {std::pair{".wav", "audio/wav"},
                                {".mp3", "audio/mpeg"},
                                {".ogg", "audio/ogg"},
                                {".opus", "audio/ogg"},
                                {".flac", "audio/flac"},
                                {".m4a", "audio/mp4"}})
        if (path.ends_with(ending))
            return type;
    return "application/octet-stream";
}

/// A program's stored audio, to hear it before approving or scheduling it.
http::HttpResponse program_audio(ApiGateway& gateway, const http::HttpRequest& r,
                                 const std::string& id) {
    auto authenticated = authenticate(gateway, r);
    if (auto* refusal = std::get_if<http::HttpResponse>(&authenticated))
        return *refusal;
    const auto& caller = std::get<Caller>(authenticated);
    if (!caller.user || !may_call(caller.user->role, Permission::read))
        return json_error(403, "a program's audio is for users; an API key reads the indicators");
    std::int64_t number = 0;
    try {
        number = std::stoll(id);
    } catch (const std::exception&) {
        return json_error(400, "expected a program number: /api/v1/programs/12/audio");
    }
    std::string path;
    try {
        path = gateway.schedule().program_audio(number, caller.scope);
    } catch (const RpcError& e) {
        return json_error(http_status_of(e.code), e.what());
    }
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) > kMaxPreviewBytes || ec)
        return json_error(413, "this program's audio is too large to hear here; listen in on "
                               "its channel while it plays");
    return http::HttpResponse{200, audio_type_of(path), read_whole(path), {}};
}

} // namespace

http::HttpServer::Handler console_routes(ApiGateway& gateway, const ProgramStore& programs,
                                         SpeechDefaults speech, http::HttpServer::Handler next) {
    return [&gateway, &programs, speech = std::move(speech),
            next = std::move(next)](const http::HttpRequest& r) {
        if (r.path() == "/api/v1/speech") {
            if (r.method != "POST")
                return json_error(405, R"(/api/v1/speech takes POST {"text": "..."})");
            return speech_preview(gateway, programs, speech, r);
        }
        constexpr std::string_view kPrograms = "/api/v1/programs/";
        if (r.method == "GET" && r.path().starts_with(kPrograms) && r.path().ends_with("/audio"))
            return program_audio(
                gateway, r,
                r.path().substr(kPrograms.size(), r.path().size() - kPrograms.size() - 6));
        if (r.method == "GET" && r.path().rfind("/api/", 0) != 0)
            if (auto file = console_file(r))
                return *file;
        return next(r);
    };
}

} // namespace loa::server
