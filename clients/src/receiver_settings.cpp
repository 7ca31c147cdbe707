#include "loa/clients/receiver_settings.hpp"

#include <fstream>

#include "loa/common/secret.hpp"

namespace loa::clients {
namespace {

/// The key `name`, or the contents of the file named by `name`_file (which keeps the key out of
/// the process list and the shell history).
std::string key_text(const common::ConfigNode& root, const std::string& name) {
    if (!root.has(name + "_file"))
        return root.string(name);
    std::string path = root.string(name + "_file");
    std::ifstream in(path);
    std::string text;
    if (!(in >> text))
        root.fail(name + "_file", "cannot read a key from " + path);
    return text;
}

std::vector<std::uint8_t> read_key(const common::ConfigNode& root, const std::string& name,
                                   pipeline::SrtpProfile profile) {
    auto bytes = common::from_base64(key_text(root, name));
    if (!bytes || bytes->size() != pipeline::srtp_master_length(profile))
        root.fail(name, "expected " + std::to_string(pipeline::srtp_master_length(profile)) +
                            " bytes of base64 for " + pipeline::to_string(profile) +
                            " (as the server's configuration gives it)");
    return *bytes;
}

pipeline::Endpoint resolve(const common::ConfigNode& root) {
    std::string text = root.string("server");
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
        root.fail("server", "expected HOST:PORT, got \"" + text + "\"");
    if (auto literal = pipeline::Endpoint::parse(text))
        return *literal;
    std::string host = text.substr(0, colon);
    std::string port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
        root.fail("server", "expected HOST:PORT, got \"" + text + "\"");
    auto resolved = pipeline::Endpoint::resolve(host, static_cast<std::uint16_t>(std::stoul(port)));
    if (!resolved)
        root.fail("server", "cannot resolve \"" + host + "\"");
    return *resolved;
}

} // namespace

ReceiverSettings load_receiver_settings(const common::Config& config) {
    auto root = config.root();
    root.reject_unknown_keys({"id", "server", "profile", "key", "key_file", "group", "group_key",
                              "group_key_file", "state_dir", "output", "jitter_ms", "channels",
                              "volume", "muted", "drill_silent_output", "report_interval_s",
                              "duration_s", "log_level", "provision"});
    ReceiverSettings s;
    s.provision = root.string("provision", "");
    if (s.provision.empty()) { // otherwise the server's hello gives all of these
        s.id = root.string("id");
        if (s.id.empty() || s.id.size() > 64)
            root.fail("id", "must be 1 to 64 characters");
        s.server = resolve(root);
        s.profile = *pipeline::parse_srtp_profile(root.choice(
            "profile", {"aes_cm_128_hmac_sha1_80", "aead_aes_128_gcm"}, "aes_cm_128_hmac_sha1_80"));
        s.key = read_key(root, "key", s.profile);
        s.group = root.string("group", "");
        if (!s.group.empty())
            s.group_key = read_key(root, "group_key", s.profile);
    }
    s.state_dir = root.string("state_dir", s.state_dir);
    s.output = root.string("output", "");
    // At least one 20 ms frame plus network jitter, so that FEC data arrives in time.
    s.jitter_ms = static_cast<int>(root.integer("jitter_ms", 30, 2000, s.jitter_ms));
    s.channels = static_cast<int>(root.integer("channels", 1, 2, 1));
    s.volume = root.number("volume", 0, 2, s.volume);
    s.muted = root.boolean("muted", false);
    s.drill_silent_output = root.boolean("drill_silent_output", false);
    s.report_interval_s = static_cast<int>(root.integer("report_interval_s", 1, 60, 5));
    s.duration_s = root.number("duration_s", 0, 1e7, 0);
    s.log_level =
        root.choice("log_level", {"trace", "debug", "info", "warn", "error", "off"}, "info");
    return s;
}

} // namespace loa::clients
