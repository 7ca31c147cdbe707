#include "harness.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include "loa/common/secret.hpp"

namespace loa::test {

Scenario::Scenario(const std::string& name)
    : dir_(name), port_(free_udp_port()), http_port_(free_tcp_port()),
      programs_json_(R"("import_dir": ")" + dir_.path() + R"(", "allow_private_relays": true)") {}

Scenario::~Scenario() {
    // A failed test's server log goes with its report: the folder is removed with the scenario.
    if (server_ && ::testing::Test::HasFailure()) {
        std::string log = read_file(server_log());
        constexpr std::size_t kTail = 16000;
        std::fprintf(stderr, "--- the last of %s ---\n%s\n", server_log().c_str(),
                     log.size() > kTail ? log.substr(log.size() - kTail).c_str() : log.c_str());
    }
}

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
        << "  \"http\": {\"port\": 0},\n"
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

void Scenario::write_province_config(const std::string& province_json,
                                     const std::string& extra_json) {
    std::ofstream(dir_.file("admin-password")) << kAdminPassword << "\n";
    std::ofstream out(config_path());
    out << "{\n  \"state_dir\": \"" << dir_.file("state") << "\",\n"
        << "  \"media\": {\"bind\": \"127.0.0.1\", \"port\": " << port_
        << (media_json_.empty() ? "" : ", " + media_json_) << "},\n"
        << "  \"http\": {\"port\": " << http_port_ << (http_json_.empty() ? "" : ", " + http_json_)
        << "},\n"
        << "  \"control\": {\"admin_password_file\": \"" << dir_.file("admin-password")
        << "\", \"offline_grace_s\": 2, \"status_interval_s\": 1},\n"
        << "  \"programs\": {" << programs_json_ << "},\n"
        << "  \"province\": " << province_json << ",\n";
    if (!extra_json.empty())
        out << "  " << extra_json << ",\n";
    out << "  \"receivers\": [";
    for (std::size_t i = 0; i < receivers_.size(); ++i)
        out << (i ? ",\n    " : "\n    ") << "{\"id\": \"" << receivers_[i].id
            << "\", \"channel\": \"" << receivers_[i].channel << "\", \"key\": \""
            << receivers_[i].key << "\"}";
    out << "]\n}\n";
}

boost::json::object Scenario::call_raw(const std::string& line) {
    std::string path = dir_.file("state") + "/control.sock";
    int fd = -1;
    // The server creates its socket once it is up: wait for it, bounded.
    bool connected = wait_until(
        [&] {
            fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un address{};
            address.sun_family = AF_UNIX;
            std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
            if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
                return true;
            ::close(fd);
            return false;
        },
        std::chrono::seconds(20));
    if (!connected)
        throw std::runtime_error("cannot connect to " + path);
    std::string request = line + "\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        ::close(fd);
        throw std::runtime_error("cannot send to the control socket");
    }
    std::string response;
    char chunk[4096];
    while (response.find('\n') == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 60000) <= 0)
            break;
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            break;
        response.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return boost::json::parse(response).as_object();
}

boost::json::value Scenario::call(const std::string& method, const std::string& params_json) {
    auto response = call_raw(R"({"jsonrpc": "2.0", "id": 1, "method": ")" + method +
                             R"(", "params": )" + params_json + "}");
    if (auto error = response.if_contains("error"))
        throw std::runtime_error(method + " failed: " + boost::json::serialize(*error));
    return response.at("result");
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

void Scenario::start_server(const std::vector<std::string>& extra) {
    std::vector<std::string> argv{LOA_SERVER_BIN, "--config", config_path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    server_ = std::make_unique<Process>(command(argv), server_log());
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

Process& Scenario::start_provisioned_receiver(const std::string& id, const std::string& bundle_path,
                                              const std::vector<std::string>& extra) {
    std::vector<std::string> argv{LOA_RECEIVER_BIN,
                                  "--provision",
                                  bundle_path,
                                  "--output",
                                  wav(id),
                                  "--jitter-ms",
                                  "60",
                                  "--state-dir",
                                  dir_.file("receiver-state")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    receiver_processes_.emplace_back(command(argv), receiver_log(id));
    return receiver_processes_.back();
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

std::unique_ptr<clients::ApiConnection> connect_api(const std::string& url,
                                                    const clients::ConnectOptions& options,
                                                    std::chrono::milliseconds wait) {
    auto endpoint = clients::parse_api_url(url);
    if (!endpoint)
        throw std::runtime_error(endpoint.error().message);
    std::unique_ptr<clients::ApiConnection> out;
    std::string why = "the server did not come up";
    wait_until(
        [&] {
            auto c = clients::ApiConnection::connect(*endpoint, options);
            if (!c) {
                why = c.error().message;
                return false;
            }
            out = std::move(c).value();
            return true;
        },
        wait);
    if (!out)
        throw std::runtime_error("cannot connect to " + url + ": " + why);
    return out;
}

} // namespace loa::test
