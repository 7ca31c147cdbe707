#pragma once
/// @file
/// loa-server's command line: what it asks for, and the settings it names.

#include <string>
#include <vector>

#include "loa/server/app/settings.hpp"

namespace loa::server {

/// What the command line asks for.
struct Options {
    std::string config_file;            ///< --config; none: the embedded defaults
    std::vector<std::string> overrides; ///< --set KEY=VALUE (and --log-level) in order
    std::string sdp_receiver;           ///< --sdp: print this receiver's SDP and exit
    bool new_key = false;               ///< --new-key: print a fresh SRTP key and exit
    bool methods_markdown = false;      ///< --methods-markdown: print the method table
    std::string new_key_profile;        ///< its profile ("" for the default)
    std::string call_method;            ///< --call: one method on the running server
    std::string call_params = "{}";     ///< its params, a JSON object
    std::string restore;                ///< --restore: a backup folder into state_dir, then exit
};

/// Reads the command line; --help prints the usage and exits. Throws common::ConfigError with
/// what is wrong.
Options parse_options(int argc, char** argv);

/// The settings the options name: the configuration file (or the defaults) with every --set
/// applied. Throws common::ConfigError naming the file and the key.
Settings read_settings(const Options& options);

} // namespace loa::server
