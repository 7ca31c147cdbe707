#include "harness.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "loa/common/secret.hpp"

namespace loa::test {

Scenario::Scenario(const std::string& name) : dir_(name), port_(free_udp_port()) {}

std::string Scenario::new_key(std::size_t bytes) {
    std::vector<std::uint8_t> key(bytes);
    common::random_bytes(key.data(), key.size());
    return common::to_base64(key);
}

void Scenario::add_receivers(const std::string& prefix, const std::string& channel, int count) {
    for (int i = 0; i < count; ++i) {
        std::string key = new_key();
        receivers_.push_back({prefix + "-" + std::to_string(i), channel, key, key});
    }
}

void Scenario::write_config(const std::string& sources_json, const std::string& channels_json,
                            const std::string& extra_receivers_json) {
    std::ofstream out(config_path());
    out << "{\n  \"state_dir\": \"" << dir_.file("state") << "\",\n"
        << "  \"media\": {\"bind\": \"127.0.0.1\", \"port\": " << port_ << "},\n"
        << "  \"sources\": " << sources_json << ",\n"
        << "  \"channels\": " << channels_json << ",\n  \"receivers\": [";
    for (std::size_t i = 0; i < receivers_.size(); ++i)
        out << (i ? ",\n    " : "\n    ") << "{\"id\": \"" << receivers_[i].id
            << "\", \"channel\": \"" << receivers_[i].channel << "\", \"key\": \""
            << receivers_[i].key << "\"}";
    if (!extra_receivers_json.empty())
        out << (receivers_.empty() ? "" : ",") << extra_receivers_json;
    out << "]\n}\n";
}

void Scenario::write_raw_config(const std::string& json) {
    std::ofstream(config_path()) << json;
}

std::vector<std::string> Scenario::command(std::vector<std::string> argv) const {
    if (netns_.empty())
        return argv;
    argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", netns_});
    return argv;
}

void Scenario::start_server() {
    server_ = std::make_unique<Process>(command({LOA_SERVER_BIN, "--config", config_path()}),
                                        server_log());
}

void Scenario::kill_server(int sig) {
    if (!server_)
        return;
    server_->signal(sig);
    if (sig == SIGHUP)
        return;
    server_->wait(std::chrono::seconds(10));
    server_.reset();
}

void Scenario::start_receivers(int jitter_ms, const std::vector<std::string>& extra) {
    for (const auto& r : receivers_) {
        std::vector<std::string> argv{LOA_RECEIVER_BIN,
                                      "--id",
                                      r.id,
                                      "--server",
                                      "127.0.0.1:" + std::to_string(port_),
                                      "--key",
                                      r.play_key,
                                      "--output",
                                      wav(r.id),
                                      "--state-dir",
                                      dir_.file("receiver-state"),
                                      "--jitter-ms",
                                      std::to_string(jitter_ms)};
        argv.insert(argv.end(), extra.begin(), extra.end());
        receiver_processes_.emplace_back(command(argv), receiver_log(r.id));
    }
}

void Scenario::stop_receivers() {
    for (auto& p : receiver_processes_)
        p.signal(SIGTERM);
    for (auto& p : receiver_processes_)
        p.wait(std::chrono::seconds(15));
    receiver_processes_.clear();
}

std::size_t wav_data_bytes(const std::string& path) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    return ec || size < 44 ? 0 : static_cast<std::size_t>(size - 44);
}

} // namespace loa::test
