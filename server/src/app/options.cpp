#include "loa/server/app/options.hpp"

#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>

#include "loa/common/config.hpp"

namespace loa::server {
namespace {

constexpr const char* kUsage =
    R"(usage: loa-server [--config FILE] [--set KEY=VALUE]... [--log-level LEVEL]
       loa-server --config FILE --sdp RECEIVER_ID
       loa-server --new-key [aes_cm_128_hmac_sha1_80|aead_aes_128_gcm]
       loa-server --config FILE --call METHOD [PARAMS_JSON]
       loa-server --config FILE [--state-dir DIR] --restore BACKUP_FOLDER

  --config FILE       JSON configuration (see docs/operations.md)
  --set KEY=VALUE     override one setting, e.g. --set media.port=5006
  --state-dir DIR     the state folder (state_dir) instead of the configuration's
  --sdp RECEIVER_ID   print an SDP with a=crypto for a standard SRTP player, then exit
  --new-key [PROFILE] print a fresh random SRTP master key (base64), then exit
  --call METHOD [PARAMS]  call a method of the running server on its control socket
                      (docs/api.md), print the result as JSON, then exit; e.g.
                      --call emergency.start '{"units": ["70"], "text": "..."}'
  --methods-markdown  print the method table as docs/api.md lists it, then exit
  --restore BACKUP_FOLDER  restore a backup (e.g. /mnt/nas/loa/loa-20261130T193000Z) into
                      state_dir with the server stopped; what was there is moved aside into
                      state_dir/before-restore-*, not deleted (docs/operations.md)
Signals: SIGHUP reloads sources and channel bindings, SIGUSR1 logs figures, SIGTERM stops.
)";

} // namespace

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&](const char* flag) -> std::string {
            if (i + 1 >= argc)
                throw common::ConfigError(std::string(flag) + " needs a value");
            return argv[++i];
        };
        // A flag's optional argument: the next word, unless it is another flag.
        auto optional = [&](std::string& out) {
            if (i + 1 < argc && argv[i + 1][0] != '-')
                out = argv[++i];
        };
        if (arg == "--config") {
            o.config_file = value("--config");
        } else if (arg == "--set") {
            o.overrides.push_back(value("--set"));
        } else if (arg == "--state-dir") {
            // Quoted as JSON, so that any folder name stays a string.
            o.overrides.push_back(
                "state_dir=" + boost::json::serialize(boost::json::string(value("--state-dir"))));
        } else if (arg == "--log-level") {
            o.overrides.push_back("log_level=" + value("--log-level"));
        } else if (arg == "--sdp") {
            o.sdp_receiver = value("--sdp");
        } else if (arg == "--call") {
            o.call_method = value("--call");
            optional(o.call_params);
        } else if (arg == "--restore") {
            o.restore = value("--restore");
        } else if (arg == "--new-key") {
            o.new_key = true;
            optional(o.new_key_profile);
        } else if (arg == "--methods-markdown") {
            o.methods_markdown = true;
        } else if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            std::exit(0);
        } else {
            throw common::ConfigError("unknown option \"" + arg + "\"; see --help");
        }
    }
    return o;
}

Settings read_settings(const Options& o) {
    auto config = o.config_file.empty() ? common::Config::parse("{}", "(defaults)")
                                        : common::Config::load_file(o.config_file);
    for (const auto& assignment : o.overrides)
        config.apply_override(assignment);
    try {
        return load_settings(config);
    } catch (const common::ConfigError& e) {
        throw common::ConfigError((o.config_file.empty() ? "flags" : o.config_file) + ": " +
                                  e.what());
    }
}

} // namespace loa::server
