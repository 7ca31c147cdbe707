// loactl: the operator's command line for a Loa server, over its JSON-RPC API.
#include <cstdlib>
#include <iostream>

#include "cli.hpp"
#include "loa/clients/saved_session.hpp"
#include "loa/common/logging.hpp"

namespace {

constexpr const char* kUsage =
    R"(usage: loactl [--server URL] [--ca FILE] [--timeout S] [--json] COMMAND ...
  --server URL   ws://HOST:PORT or wss://HOST:PORT (default: the logged-in server, else
                 $LOA_SERVER, else ws://127.0.0.1:8080); ws:// only to this machine
  --ca FILE      PEM CA certificate that signed the server's (default: the system's CAs)
  --timeout S    seconds to wait for the server at each step (default 10)
  --json         print the server's JSON answer instead of a table

commands:
  login NAME            log in (password from $LOA_PASSWORD or standard input); the token is
                        saved in $LOA_CONFIG_DIR/session.json or ~/.config/loa/session.json
  logout                revoke the token and forget it
  units                 list the administrative units
  receivers [--unit CODE]
  volume RECEIVER [--volume V] [--mute|--unmute]          V from 0 to 2
  provision RECEIVER --unit CODE [--name NAME] [--out FILE]
                        register a receiver; its bundle (keys!) goes to FILE (mode 0600)
  programs
  program create --unit CODE --title T (--file PATH | --text TEXT | --url URL)
  program submit|approve|reject ID
  entries               list the schedule
  schedule --program ID --start YYYY-MM-DDTHH:MM:SS --duration S [--unit CODE]...
           [--cluster ID]... [--priority P] [--rule RRULE]
  unschedule ENTRY
  emergency start (--unit CODE... | --cluster ID...) (--text T | --program ID) [--title T]
  emergency stop OVERRIDE
  stop-all (--unit CODE... | --cluster ID...)
  release OVERRIDE      lift a stop-all
  overrides             list the overrides in force
  as-run [--from-ms N] [--to-ms N] [--csv]
  live (--unit CODE... | --cluster ID...) --from FILE|alsa:DEVICE|tone:HZ|ticks:MS
       [--priority normal|priority|emergency] [--title T] [--for S]
                        speak live (WebRTC) until Ctrl-C, the file's end or S seconds
  call METHOD [PARAMS_JSON]   any API method; prints its JSON result

environment: LOA_SERVER, LOA_TOKEN (instead of the saved session), LOA_PASSWORD,
  LOA_CONFIG_DIR, LOA_LOG_LEVEL (default warn)
exit status: 0 done, 1 failed, 2 wrong command line
)";

struct Globals {
    std::optional<std::string> server;
    std::string ca;
    std::chrono::milliseconds timeout{10000};
    bool json = false;
    std::vector<std::string> command; ///< the command and its words
};

Globals parse_globals(int argc, char** argv) {
    Globals g;
    std::vector<std::string> words(argv + 1, argv + argc);
    for (const auto& w : words)
        if (w == "--help" || w == "-h") {
            std::cout << kUsage;
            std::exit(0);
        }
    std::size_t i = 0;
    for (; i < words.size() && words[i].starts_with("-"); ++i) {
        const auto& w = words[i];
        auto equals = w.find('=');
        std::string name = w.substr(0, equals);
        if (name == "--json" && equals == std::string::npos) {
            g.json = true;
            continue;
        }
        if (name != "--server" && name != "--ca" && name != "--timeout")
            throw loactl::UsageError("unknown option " + name);
        std::string value;
        if (equals != std::string::npos)
            value = w.substr(equals + 1);
        else if (i + 1 < words.size())
            value = words[++i];
        else
            throw loactl::UsageError("option " + name + " needs a value");
        if (name == "--server") {
            g.server = value;
        } else if (name == "--ca") {
            g.ca = value;
        } else {
            double seconds = loactl::parse_number(value, "--timeout");
            if (seconds <= 0 || seconds > 3600)
                throw loactl::UsageError(
                    "--timeout must be more than 0 and at most 3600 seconds, got " + value);
            g.timeout = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
        }
    }
    g.command.assign(words.begin() + static_cast<long>(i), words.end());
    return g;
}

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

/// Same server, however the URL was written.
bool same_server(const std::string& a, const std::string& b) {
    auto x = loa::clients::parse_api_url(a);
    auto y = loa::clients::parse_api_url(b);
    return x && y && loa::clients::to_url(*x) == loa::clients::to_url(*y);
}

loactl::Context make_context(const Globals& g) {
    auto saved = loa::clients::load_session(loa::clients::session_file());
    if (!saved && saved.error().code != loa::common::Errc::not_found)
        std::cerr << "loactl: ignoring the saved session: " << saved.error().message << "\n";
    std::string url = g.server                     ? *g.server
                      : saved                      ? saved->server
                      : !env("LOA_SERVER").empty() ? env("LOA_SERVER")
                                                   : "ws://127.0.0.1:8080";
    auto endpoint = loa::clients::parse_api_url(url);
    if (!endpoint)
        throw loactl::UsageError(endpoint.error().message);
    loa::clients::ConnectOptions options;
    options.ca_file = g.ca;
    options.timeout = g.timeout;
    // A saved token goes only to the server it came from.
    options.bearer_token = !env("LOA_TOKEN").empty()                  ? env("LOA_TOKEN")
                           : saved && same_server(saved->server, url) ? saved->token
                                                                      : "";
    return {loa::clients::to_url(*endpoint), *endpoint, options, g.json};
}

std::string hint(int code) {
    namespace e = loa::jsonrpc::code;
    switch (code) {
    case e::kUnauthorized:
        return "; log in with `loactl login NAME` (or set LOA_TOKEN), or ask an administrator "
               "for a role that may do this";
    case e::kMethodNotFound:
        return "; this server does not offer that method (an older version?)";
    case e::kInvalidParams:
        return "; check the command's options (loactl --help)";
    default:
        return "";
    }
}

} // namespace

int main(int argc, char** argv) {
    try {
        auto globals = parse_globals(argc, argv);
        auto level = env("LOA_LOG_LEVEL");
        loa::common::init_logging(level.empty() ? "warn" : level);
        if (globals.command.empty())
            throw loactl::UsageError("no command given");
        auto context = make_context(globals);
        return loactl::run_command(context, globals.command);
    } catch (const loactl::UsageError& e) {
        std::cerr << "loactl: " << e.what() << " (see loactl --help)\n";
        return 2;
    } catch (const loa::clients::ApiError& e) {
        std::cerr << "loactl: the server refused: " << e.what() << hint(e.code) << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "loactl: " << e.what() << "\n";
        return 1;
    }
}
