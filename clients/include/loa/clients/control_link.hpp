#pragma once
/// @file
/// The receiver's control channel (WebSocket /api/v1/receiver): reads the provisioning
/// bundle, says hello with the device id and secret, gets the media parameters and key, obeys
/// the server's volume, mute, rekey and unprovision, and reports status. docs/protocol.md.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loa/clients/api_client.hpp"
#include "loa/common/result.hpp"
#include "loa/pipeline/endpoint.hpp"
#include "loa/pipeline/srtp.hpp"

namespace loa::clients {

/// What `receivers.provision` hands out, as a JSON file.
struct Bundle {
    std::string server; ///< ws://HOST:PORT or wss://HOST:PORT
    std::string id;
    std::string secret;
    std::string ca; ///< PEM of the server's certificate authority; "" = the system's
};

/// Reads and checks a bundle file; the error names what is missing.
common::Result<Bundle> read_bundle(const std::string& path);

/// Checks a bundle given as JSON; errors start with `where` (a file, an entry of a list).
common::Result<Bundle> bundle_from_json(const boost::json::value& json, const std::string& where);

/// Replaces the device secret in the bundle file at `path`, everything else kept, so that a
/// crash leaves the old file or the new one (written aside, synced, renamed; mode 0600).
common::Result<void> save_secret(const std::string& path, const std::string& secret);

/// Replaces the server and its certificate authority in the bundle file at `path` (a move to
/// another server), everything else kept, as save_secret writes it.
common::Result<void> save_server(const std::string& path, const std::string& server,
                                 const std::string& ca);

/// What hello answers.
struct Hello {
    pipeline::Endpoint media; ///< the server's media address
    std::uint32_t epoch = 0;
    pipeline::SrtpProfile profile = pipeline::SrtpProfile::aes_cm_128_hmac_sha1_80;
    std::vector<std::uint8_t> key;
    std::string group; ///< group key mode: the channel
    std::vector<std::uint8_t> group_key;
    double volume = 1.0;
    bool muted = false;
    int status_interval_s = 10;
};

/// What the control channel asks of the rest of the receiver.
struct ControlActions {
    std::function<void(double volume, bool muted)> set_output;
    std::function<void(std::vector<std::uint8_t> key)> rekey;
    std::function<boost::json::object()> status; ///< the status report's fields
};

/// One control connection at a time; reconnecting is the caller's loop.
class ControlLink {
public:
    /// `state_dir` holds the CA file written from the bundle. `bundle_path` is the file the
    /// bundle came from: a rekey's new secret is saved there before it is answered ("" keeps
    /// it in memory only).
    ControlLink(Bundle bundle, std::string state_dir, std::string bundle_path = "");

    /// Connects and says hello; the error says why (unreachable, refused, bad bundle).
    common::Result<Hello> connect();
    /// How serve() ended.
    enum class End { lost, unprovisioned, stopped, moved };
    /// Serves the connection until it drops, the server unprovisions us, or `stop`; or until
    /// the server moves us to another (`move`): the new server has answered our hello, and
    /// its bundle is saved, before we answer; then serve() returns End::moved, connected to
    /// the new server, whose hello moved_hello() holds. A new server we cannot reach is
    /// answered with an error and we stay.
    End serve(const std::atomic<bool>& stop, const ControlActions& actions);
    /// The new server's hello after End::moved.
    const Hello& moved_hello() const { return moved_hello_; }
    /// The server this link connects to.
    const std::string& server() const { return bundle_.server; }

private:
    Bundle bundle_;
    std::string state_dir_;
    std::string bundle_path_;
    std::unique_ptr<ApiConnection> connection_;
    int status_interval_s_ = 10;
    Hello moved_hello_;

    /// Connects to `server` (`ca` its authority) with our id and secret, saves it in the
    /// bundle file, and makes it this link's connection; the old one is left to the caller.
    common::Result<std::unique_ptr<ApiConnection>> switch_to(const std::string& server,
                                                             const std::string& ca);
};

/// The next reconnection delay: doubling from 1 s, with +-25 % jitter, at most 8 s, so that a
/// province of receivers does not come back in one burst, and every one is back within 10 s
/// of the server (a restart, a restore, an upgrade), however long it was away.
std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous);

} // namespace loa::clients
