#pragma once
/// @file
/// The web console (server/web/), built into loa-server: its files are bundled by esbuild and
/// embedded at build time (cmake/embed_assets.cmake), so the server serves them with no
/// network and no files at run time. The console talks only to the public API; the one route
/// it adds is the bulletin preview (POST /api/v1/speech), which any client may use.

#include <span>
#include <string>
#include <string_view>

#include "loa/http/server.hpp"
#include "loa/server/api/gateway.hpp"
#include "loa/server/schedule/program_store.hpp"

namespace loa::server {

/// One embedded file of the console.
struct ConsoleFile {
    std::string_view path; ///< "/app.js"
    std::string_view body;
};

/// The embedded files (generated at build time).
std::span<const ConsoleFile> console_files();

/// How bulletins are spoken when a preview does not say.
struct SpeechDefaults {
    std::string voice = "vi";
    int rate_wpm = 150;
};

/// Serves the console at / (index.html for "/"), and POST /api/v1/speech {text, voice?,
/// rate_wpm?} -> audio/wav (managers and above; rendered once and cached as bulletins are);
/// everything else goes to `next`.
http::HttpServer::Handler console_routes(ApiGateway& gateway, const ProgramStore& programs,
                                         SpeechDefaults speech, http::HttpServer::Handler next);

} // namespace loa::server
