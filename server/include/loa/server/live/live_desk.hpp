#pragma once
/// @file
/// Live broadcasts from a browser or `loactl live`: a speaker's WebRTC offer answered, the
/// broadcast put in the schedule as an override of its class (it preempts and resumes the
/// schedule, an emergency preempts it), the voice fed to its program source, and at the end
/// the recording kept as the broadcast's program. A broadcast ends when its speaker stops it,
/// or the speaker's connection, session or audio is lost, or someone ends its override.

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "loa/common/clock.hpp"
#include "loa/pipeline/pcm_feed.hpp"
#include "loa/server/app/settings.hpp"
#include "loa/server/live/live_session.hpp"
#include "loa/server/schedule/program_store.hpp"
#include "loa/server/schedule/schedule_api.hpp"

namespace loa::server {

/// The speaker's side of the API connection a broadcast belongs to.
struct Speaker {
    std::string name;              ///< who speaks (recorded as who started and ended it)
    std::function<bool()> present; ///< false once the connection or its session has ended
    /// Sends the speaker a notification (live.state); may be called after it has gone.
    std::function<void(const boost::json::object& notification)> tell;
};

/// Every live broadcast of the server. Thread-safe.
class LiveDesk {
public:
    LiveDesk(LiveSettings settings, ScheduleApi& schedule, const ProgramStore& programs,
             const common::Clock& clock);
    LiveDesk(const LiveDesk&) = delete;
    LiveDesk& operator=(const LiveDesk&) = delete;
    ~LiveDesk();

    /// Ends the broadcasts an earlier run left on (keeping what they recorded), and starts
    /// watching.
    void start();
    /// Ends every broadcast (its recording kept) and stops watching.
    void stop();

    /// live.start {units?, clusters?, priority?, title?, sdp} → {session, program, priority,
    /// channels, sdp}: the answer carries the server's ICE candidates. Throws RpcError.
    boost::json::value start_broadcast(const Params& params, const Scope& scope, Speaker speaker);
    /// live.stop {session} → {ended, program}: the recording is the program from now on.
    boost::json::value stop_broadcast(const Params& params, const Scope& scope,
                                      const std::string& who);
    /// live.list → [{session, speaker, priority, channels, started_at, seconds, ice,
    /// level_dbfs}] that `scope` sees.
    boost::json::value list(const Scope& scope);

    /// The voice of live broadcast `override_id` for its program source, or null if there is
    /// no such broadcast (any more). Any thread.
    std::shared_ptr<pipeline::PcmFeed> feed(std::int64_t override_id);

private:
    struct Broadcast {
        LiveStart placed;
        Speaker speaker;
        std::unique_ptr<LiveSession> session;
        std::chrono::steady_clock::time_point began;
        std::string started_at; ///< ISO 8601, UTC
    };
    /// Ends `id` for `reason` ("" when its speaker stopped it), keeps its recording and tells
    /// the speaker. Returns the program, or nullopt if it had ended.
    std::optional<std::int64_t> end(std::int64_t id, const std::string& who,
                                    const std::string& reason);
    /// Why a broadcast must end now ("" if it goes on).
    std::string lost(const Broadcast& b) const;
    void watch();
    /// Stores a broadcast's recording in the program store as its program (then removes it).
    void keep(std::int64_t id, std::int64_t program, const std::string& recording,
              const std::string& speaker, const std::string& started_at);
    /// Where broadcast `id`'s recording is written while it is on: `.live-ID.ogg` in the
    /// media folder (found again after a crash).
    std::string recording_path(std::int64_t id) const;

    LiveSettings settings_;
    ScheduleApi& schedule_;
    const ProgramStore& programs_;
    const common::Clock& clock_;
    mutable std::mutex mutex_;
    std::map<std::int64_t, std::shared_ptr<Broadcast>> broadcasts_; ///< by override id
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread watcher_;
};

} // namespace loa::server
