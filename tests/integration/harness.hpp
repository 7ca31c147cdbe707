#pragma once
/// @file
/// Integration harness: writes configurations, starts loa-server and loa-receiver processes on
/// 127.0.0.1, and reads what they leave behind.

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "loa/clients/api_client.hpp"
#include "process.hpp"

namespace loa::test {

/// A receiver as the tests configure it.
struct TestReceiver {
    std::string id;
    std::string channel;
    std::string key;      ///< base64, as in the server's configuration
    std::string play_key; ///< the key the receiver process is given (differs to test rejection)
};

/// One scenario's files and processes.
class Scenario {
public:
    explicit Scenario(const std::string& name);
    /// Prints the end of the server's log if the test has failed.
    ~Scenario();
    Scenario(const Scenario&) = delete;
    Scenario& operator=(const Scenario&) = delete;

    /// A fresh base64 key: 30 bytes (AES-CM) by default, 28 for AES-GCM.
    static std::string new_key(std::size_t bytes = 30);
    /// Adds `count` receivers on `channel` named prefix-N.
    void add_receivers(const std::string& prefix, const std::string& channel, int count);
    /// Writes server.json with the given sources/channels JSON fragments.
    void write_config(const std::string& sources_json, const std::string& channels_json,
                      const std::string& extra_receivers_json = "");
    /// Starts loa-server on server.json; `extra` flags are added to its command line.
    void start_server(const std::vector<std::string>& extra = {});
    /// Sends `sig` to the server and, unless SIGHUP, waits (bounded) for it to end.
    void kill_server(int sig);
    /// Starts one loa-receiver per configured receiver, each recording to its WAV;
    /// `extra` flags are added to every receiver's command line.
    void start_receivers(int jitter_ms = 60, const std::vector<std::string>& extra = {});
    /// Runs every process inside this network namespace (ip netns exec).
    void use_netns(const std::string& name) { netns_ = name; }
    /// Writes server.json for a province: `province_json` is the "province" object; the
    /// receivers' channels are unit codes. `extra_json` adds top-level members ("k": v, ...).
    void write_province_config(const std::string& province_json,
                               const std::string& extra_json = "");
    /// Members added to the "http" object of province configurations, e.g.
    /// `"bind": "0.0.0.0"` or `"tls_certificate": "...", "tls_key": "..."`.
    void add_http_settings(const std::string& members_json) { http_json_ = members_json; }
    /// Members added to the "media" object of write_province_config (e.g. a key mode).
    void add_media_settings(const std::string& members_json) { media_json_ = members_json; }
    /// Members of the "programs" object of province configurations. By default the
    /// scenario's folder is the import folder and relays may reach 127.0.0.1, as the tests'
    /// files and relays are there; "" leaves the server's defaults (no import folder, public
    /// relays only).
    void set_programs_settings(const std::string& members_json) { programs_json_ = members_json; }
    /// Calls a JSON-RPC method on the server's control socket; returns the "result" and
    /// fails the test (throws) on an error response.
    boost::json::value call(const std::string& method, const std::string& params_json = "{}");
    /// Calls a method and returns the whole response (result or error).
    boost::json::object call_raw(const std::string& line);
    /// Writes server.json as given.
    void write_raw_config(const std::string& json);
    /// Sends SIGTERM to every receiver and waits for them to finish their files.
    void stop_receivers();

    std::string wav(const std::string& id) const { return dir_.file(id + ".wav"); }
    std::string receiver_log(const std::string& id) const { return dir_.file(id + ".log"); }
    std::string server_log() const { return dir_.file("server.log"); }
    std::string config_path() const { return dir_.file("server.json"); }
    const std::vector<TestReceiver>& receivers() const { return receivers_; }
    std::vector<TestReceiver>& receivers() { return receivers_; }
    int media_port() const { return port_; }
    /// The server's HTTP port (API, receivers) in province configurations.
    int http_port() const { return http_port_; }
    /// ws://127.0.0.1:PORT
    std::string api_url() const { return "ws://127.0.0.1:" + std::to_string(http_port_); }
    /// The first admin's password, as province configurations give it to the server.
    static constexpr const char* kAdminPassword = "test-admin-password";
    /// Starts a provisioned loa-receiver from its bundle, recording to wav(id).
    /// `extra` flags are added to its command line.
    Process& start_provisioned_receiver(const std::string& id, const std::string& bundle_path,
                                        const std::vector<std::string>& extra = {});
    const TempDir& dir() const { return dir_; }

private:
    TempDir dir_;
    int port_;
    int http_port_;
    std::vector<TestReceiver> receivers_;
    std::vector<std::string> command(std::vector<std::string> argv) const;

    std::string netns_;
    std::string http_json_;
    std::string media_json_;
    std::string programs_json_;
    std::unique_ptr<Process> server_;
    std::vector<Process> receiver_processes_;
};

/// Bytes of PCM a WAV file holds so far (0 if missing).
std::size_t wav_data_bytes(const std::string& path);

/// Connects to the API at `url` (ws://, wss://), trying again until the server is up (bounded
/// by `wait`); throws std::runtime_error with the last reason if it never comes.
std::unique_ptr<clients::ApiConnection>
connect_api(const std::string& url, const clients::ConnectOptions& options = {},
            std::chrono::milliseconds wait = std::chrono::seconds(20));

} // namespace loa::test
