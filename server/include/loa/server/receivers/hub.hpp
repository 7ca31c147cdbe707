#pragma once
/// @file
/// The receivers' control channel (WebSocket /api/v1/receiver) and what operators do to
/// receivers: provisioning, volume and mute, key rotation, unprovisioning. A receiver says
/// hello with its id and secret and gets its media parameters and key; the server pushes
/// volume, mute, rekey and unprovision; the receiver reports its status every few seconds.
/// A receiver is online while its connection is up, and for a grace period after it drops.
/// See docs/protocol.md.

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/http/server.hpp"
#include "loa/server/events/notifier.hpp"
#include "loa/server/media/media_server.hpp"
#include "loa/server/receivers/registry.hpp"
#include "loa/server/receivers/sound_history.hpp"
#include "loa/server/schedule/schedule_api.hpp"

namespace loa::server {

/// A provisioned receiver as operators see it: stored, live and on the media plane.
struct ReceiverView {
    std::string id;
    std::string unit; ///< the unit's code
    std::string name;
    double volume = 1.0;
    bool muted = false;
    /// Connected on the control channel, or dropped less than HubSettings::offline_grace ago:
    /// what "online" means for a provisioned receiver (docs/operations.md, "Monitoring").
    bool online = false;
    std::int64_t provisioned_at_ms = 0; ///< wall clock
    bool seen = false;                  ///< has said hello since the server started
    std::int64_t last_seen_ms = 0;      ///< wall clock, when `seen`
    std::string address;                ///< of its control connection, when `seen`
    boost::json::object status;         ///< its last status report as it sent it (filtered)
    std::optional<ReceiverStatus> link; ///< the media plane's figures, once it is on it
    /// Playing an emergency: at its unit's emergency volume and unmuted, whatever `volume`
    /// and `muted` (its own setting, which it returns to) say.
    bool emergency = false;
    double emergency_volume = 1.0; ///< its unit's, while `emergency`
};

/// Which clusters of `channel` (a unit's code, or "@id") played sound in [from_s, to_s]
/// (wall-clock seconds): an as-run row's question.
struct PlayedQuery {
    std::string channel;
    std::int64_t from_s = 0;
    std::int64_t to_s = 0;
};

/// The clusters that played sound in a query's range, each with its first second of sound.
using PlayedClusters = std::map<std::string, std::int64_t>;

/// How the hub behaves.
struct HubSettings {
    std::chrono::seconds offline_grace{20}; ///< a dropped receiver counts as online this long
    int status_interval_s = 10;             ///< how often receivers report
    std::string media_host;                 ///< advertised media host; "" = the Host header's
    std::chrono::seconds rekey_timeout{5};  ///< how long a rekey waits for the receiver
    /// The volume each unit (by code) plays emergencies at; a unit not listed, 1.0.
    std::map<std::string, double> emergency_volume;
};

/// Provisioned receivers, live. Thread-safe.
class ReceiverHub {
public:
    ReceiverHub(ReceiverRegistry& registry, MediaServer& media, ScheduleApi& schedule,
                Notifier& notifier, const common::Clock& clock, HubSettings settings);
    ReceiverHub(const ReceiverHub&) = delete;
    ReceiverHub& operator=(const ReceiverHub&) = delete;
    ~ReceiverHub();

    /// Puts every provisioned receiver on the media plane and starts the offline sweeper.
    void start();
    void stop();

    /// The handler of one receiver connection (/api/v1/receiver).
    std::shared_ptr<http::WebSocketHandler> connect(const http::HttpRequest& upgrade,
                                                    std::shared_ptr<http::WebSocketLink> link);

    /// Provisions a receiver of `unit` (a code) and puts it on the media plane.
    common::Result<Provisioned> provision(const std::string& id, const std::string& unit,
                                          const std::string& name, const std::string& who);
    /// Tells the receiver (if connected) to forget its bundle, then removes it everywhere.
    common::Result<void> unprovision(const std::string& id);
    /// How a receiver took a move to another server.
    enum class HandOver : std::uint8_t {
        moved,   ///< it reached the new server, keeps it, and is removed here
        stayed,  ///< it could not reach the new server and stays here
        silent,  ///< no answer in time: it stays provisioned here
        offline, ///< not connected: nothing was asked
    };
    /// Tells the connected receivers `ids` to switch to the server `server` (ws:// or wss://
    /// HOST:PORT; `ca` its certificate authority's PEM, "" = the system's): each says
    /// hello there with its own id and secret (that server imported it), keeps the new server
    /// in its bundle and answers; one that cannot reach it answers so and stays here. Those
    /// that moved are removed from this server (their history stays). Waits up to `timeout`.
    std::map<std::string, HandOver> hand_over(const std::vector<std::string>& ids,
                                              const std::string& server, const std::string& ca,
                                              std::chrono::milliseconds timeout);
    /// Puts receivers whose unit changed in the registry (a merge) on their new unit's
    /// channel; a connected one is disconnected, and its next hello gives it the new unit.
    void move(const std::vector<std::string>& ids);
    /// Sets volume and/or mute, stores it, and pushes it to the receiver if connected. During
    /// an emergency it applies at once too: the operator knows the cluster's place.
    common::Result<ReceiverRecord> set_output(const std::string& id, std::optional<double> volume,
                                              std::optional<bool> muted);
    /// Rotates a receiver's key and device secret. A connected receiver is given both first
    /// (it saves the secret before it answers) and keeps accepting the old key until packets
    /// under the new one arrive, so nothing is lost; from its answer on, the old secret and,
    /// once it reports under the new key, the old key open nothing. An offline receiver gets
    /// the new key at its next hello and is rekeyed again, secret and all, right after it.
    /// Returns whether the receiver was online.
    common::Result<bool> rekey(const std::string& id);
    /// The provisioned receivers of the units `scope` may change, with their live state.
    std::vector<ReceiverView> list(const Scope& scope);
    /// The unit (id) of each provisioned receiver.
    std::map<std::string, std::int64_t> units();
    /// A provisioned receiver as stored.
    common::Result<ReceiverRecord> record(const std::string& id) { return registry_.find(id); }
    /// Receivers online now.
    std::size_t online_count();
    /// The emergency airing `airing` (its key) is on `channel` (a unit's code, or "@id" for one
    /// cluster), or none ("") is: the channel's clusters are told to play at their unit's
    /// emergency volume, unmuted, then their own setting again. A new emergency overrides
    /// again what operators set during the last. From memory, no database: the schedule
    /// engine's thread calls it as it assigns channels, and an emergency never waits.
    void set_emergency(const std::string& channel, const std::string& airing);
    /// For each query, the clusters of its channel that reported sound played in a second of
    /// its range (wall clock), each with the first such second, as far back as SoundHistory
    /// remembers; all under one lock.
    std::vector<PlayedClusters> played(const std::vector<PlayedQuery>& queries);

private:
    class Connection;
    friend class Connection;
    /// Live state of one receiver.
    struct Live {
        std::shared_ptr<http::WebSocketLink> link;
        std::uint64_t connection = 0; ///< which connection `link` is
        bool online = false;
        std::optional<std::chrono::steady_clock::time_point> lost_at;
        std::int64_t last_seen_ms = 0; ///< wall clock
        boost::json::object status;
        std::string address;
        std::optional<std::chrono::steady_clock::time_point>
            status_published; ///< last receiver.status
        SoundHistory sound;   ///< the seconds it played sound
    };

    /// Checks a receiver's hello and answers it; sets `id`, and `owed` if a rekey made while
    /// it was offline is to be completed (hello_answered() does it once the answer is sent).
    boost::json::value hello(const http::HttpRequest& upgrade, std::uint64_t connection,
                             const std::shared_ptr<http::WebSocketLink>& link,
                             const boost::json::object& params, std::string& id, bool& owed);
    /// What a hello is answered with: the receiver's unit, media address, SSRC, key, volume.
    boost::json::object hello_answer(const ReceiverRecord& record, const std::string& unit,
                                     const http::HttpRequest& upgrade);
    /// The hello of `id` is answered; a rekey it is owed is queued for the sweeper.
    void hello_answered(const std::string& id);
    void on_status(const std::string& id, const boost::json::object& params);
    /// What a receiver is to play at.
    struct Output {
        double volume = 1.0;
        bool muted = false;
        bool emergency = false; ///< at its unit's emergency volume
    };
    /// A provisioned cluster as an emergency needs it, kept in memory.
    struct Cluster {
        std::string unit_code;
        double volume = 1.0; ///< its own setting
        bool muted = false;
    };
    /// Its own setting; its unit's emergency volume, unmuted, while an emergency airs on its
    /// unit's channel or its own; or what an operator set during that emergency. With mutex_
    /// held.
    Output output_of(const std::string& id) const;
    /// Pushes a receiver's output to it if it is connected.
    void push_output(const std::string& id);
    /// Notes a provisioned cluster (start, provision). With mutex_ held.
    void note_cluster(const ReceiverRecord& record, const std::string& unit_code);
    /// An answer to request `request` that came on connection `connection`: taken only from
    /// the connection the request went to.
    void on_reply(std::uint64_t connection, std::int64_t request, bool ok);
    void on_close(const std::string& id, std::uint64_t connection);
    /// Removes a receiver from the registry, the media and memory; `tell` says unprovision to
    /// it if it is connected, else its connection is only closed. Publishes `event`.
    common::Result<void> drop(const std::string& id, bool tell, const char* event,
                              boost::json::object params = {});
    /// Sends a request to a connected receiver, its answer awaited in `answer` unless null;
    /// returns the request's id, or 0 if the receiver is not connected.
    std::int64_t send_request(const std::string& id, const std::string& method,
                              boost::json::object params, std::future<bool>* answer);
    /// Sends a request to a connected receiver without waiting for its answer; false if it is
    /// not connected.
    bool tell(const std::string& id, const std::string& method, boost::json::object params);
    /// How a request sent with ask() ended.
    enum class Answer : std::uint8_t { offline, result, error, silent };
    /// Sends a request and waits up to `timeout` for the answer.
    Answer ask(const std::string& id, const std::string& method, boost::json::object params,
               std::chrono::milliseconds timeout);
    void publish(const char* method, const std::string& id, std::int64_t unit,
                 boost::json::object params = {});
    void sweep();
    std::int64_t now_ms() const;

    ReceiverRegistry& registry_;
    MediaServer& media_;
    ScheduleApi& schedule_;
    Notifier& notifier_;
    const common::Clock& clock_;
    HubSettings settings_;

    std::mutex mutex_;
    std::map<std::string, Live> live_;
    std::vector<std::string> owed_; ///< receivers to rekey once connected (sweeper)
    std::map<std::string, std::int64_t> unit_of_;
    std::map<std::string, Cluster> clusters_; ///< by id
    /// The emergency airing on each channel that carries one now.
    std::map<std::string, std::string> emergency_channels_;
    /// What an operator set a cluster to during the emergency it is in, until it is over.
    std::map<std::string, Output> emergency_set_;
    /// One push at a time, computed and sent together: a cluster gets its outputs in order.
    std::mutex push_mutex_;
    /// A request awaiting its answer, and the connection it was sent on.
    struct Pending {
        std::uint64_t connection = 0;
        std::promise<bool> answer;
    };
    std::map<std::int64_t, Pending> pending_;
    std::uint64_t next_connection_ = 1;
    std::int64_t next_request_ = 1;

    std::mutex sweep_mutex_;
    std::condition_variable sweep_wake_;
    bool stopping_ = false;
    std::thread sweeper_;
};

} // namespace loa::server
