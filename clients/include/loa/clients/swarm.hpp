#pragma once
/// @file
/// A swarm of simulated receivers for load and recovery tests: each holds the control channel
/// of one provisioned receiver (WebSocket /api/v1/receiver, docs/protocol.md) the way
/// loa-receiver does — hello, a status report every status_interval_s, answers to volume and
/// rekey, reconnection with backoff and jitter — but plays no audio. Thousands of them share one
/// thread and one event loop.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "loa/clients/control_link.hpp"
#include "loa/common/result.hpp"

namespace loa::clients {

/// What the swarm has seen so far (a snapshot; counters only grow except `connected`).
struct SwarmCounts {
    std::uint64_t receivers = 0;     ///< simulated receivers
    std::uint64_t connected = 0;     ///< with a control channel up and hello answered, now
    std::uint64_t hellos = 0;        ///< hellos answered with the media parameters
    std::uint64_t refused = 0;       ///< hellos refused (wrong secret, keys over plain, ...)
    std::uint64_t lost = 0;          ///< connections that failed or dropped
    std::uint64_t statuses = 0;      ///< status reports sent
    std::uint64_t requests = 0;      ///< server requests answered (set_volume, rekey)
    std::uint64_t unprovisioned = 0; ///< receivers the server unprovisioned (they stop)
};

/// The swarm: one simulated receiver per bundle.
class Swarm {
public:
    /// Receivers start `starts_per_second` apart (a province does not boot in one instant);
    /// after a loss each waits as loa-receiver does (next_backoff).
    /// `played_level`: each status carries the played level, as loa-receiver's does (a
    /// receiver playing silence); without it, the fields older receivers sent.
    explicit Swarm(std::vector<Bundle> bundles, double starts_per_second = 500,
                   bool played_level = true);
    ~Swarm();
    Swarm(const Swarm&) = delete;
    Swarm& operator=(const Swarm&) = delete;

    /// Runs every receiver on the calling thread until `stop` is set (checked every 100 ms).
    /// Fails at once if a bundle's server URL cannot be used (the error says which).
    common::Result<void> run(const std::atomic<bool>& stop);

    /// The counters, from any thread.
    SwarmCounts counts() const;

private:
    struct State;
    std::vector<Bundle> bundles_;
    std::unique_ptr<State> state_;
};

/// Reads a JSON array of bundles (what `loa-swarm provision` writes).
common::Result<std::vector<Bundle>> read_bundles(const std::string& path);

} // namespace loa::clients
