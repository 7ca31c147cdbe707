#pragma once
/// @file
/// The media plane of loa-server, wired: sources -> router -> fan-out, and the report listener,
/// on one UDP media port.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/pipeline/fanout.hpp"
#include "loa/pipeline/receiver_link.hpp"
#include "loa/pipeline/report_listener.hpp"
#include "loa/pipeline/router.hpp"
#include "loa/pipeline/source.hpp"
#include "loa/pipeline/udp_socket.hpp"
#include "loa/server/app/settings.hpp"
#include "loa/server/media/receiver_status.hpp"

namespace loa::server {

/// Figures for logs and monitoring.
struct MediaStats {
    pipeline::FanOutStats fanout;
    pipeline::ReportStats reports;
    std::uint64_t router_drops = 0;
    std::size_t receivers_latched = 0;
};

/// A program on air, and its sound.
struct ProgramSound {
    std::string key;                ///< the airing's program key
    std::set<std::string> channels; ///< units' codes or "@id"
    std::chrono::milliseconds on_air_for{0};
    /// Since it last had sustained sound (pipeline::kSustainedMs: a blip does not end a
    /// silence), or went on air.
    std::chrono::milliseconds silent_for{0};
    double level_dbfs = pipeline::kSilenceDbfs; ///< its last 100 ms
    bool started = false; ///< its source has sent audio (of any level) since it went on air
};

/// What a channel carries, as sound.
enum class ChannelSound : std::uint8_t {
    off,     ///< nothing: no source, or one whose audio has stopped flowing
    quiet,   ///< audio below the silence threshold (supervision.dead_air_dbfs)
    sounding ///< sound
};

/// Owns the media plane. Start-up failures throw; nothing on the packet path does.
class MediaServer {
public:
    MediaServer(Settings settings, const common::Clock& clock);
    MediaServer(const MediaServer&) = delete;
    MediaServer& operator=(const MediaServer&) = delete;
    ~MediaServer();

    /// Takes this start's epoch, binds the media port, starts the threads and bound sources.
    void start();
    /// Applies a new configuration's sources and channel bindings (receivers stay as they are).
    void reload(const Settings& updated);
    void stop();
    /// Saves where each receiver's reports have got to (state_dir/report-positions), so that
    /// after a restart a replayed old report cannot move an address. Cheap when unchanged;
    /// main calls it every few seconds, stop() once more.
    void save_report_positions();

    // Programs of the schedule. These are called from one thread (the engine's).

    /// Starts a program's source under `key`, held before its first frame (see play_on).
    /// `on_end(failed)` is called, from the source's thread, when it ends by itself.
    void start_program(const std::string& key, const pipeline::SourceSpec& spec,
                       std::function<void(bool failed)> on_end);
    /// Puts program `key` on `channel` now, or nothing if `key` is nullptr. A file left on no
    /// channel holds its place and continues when it is put on one again. A channel "@id" is
    /// one receiver: it is moved off its own channel while it plays there. False if there is
    /// no such channel (or, in group key mode, a single receiver is named).
    bool play_on(const std::string& channel, const std::string* key);
    /// Stops a program's source for good.
    void stop_program(const std::string& key);
    /// Holds one receiver's channel "@id" silent: the receiver hears nothing until play_on
    /// the same channel again.
    void silence_receiver(const std::string& channel);
    /// Starts counting the receivers `channel` reaches; the function returned says how many
    /// were sent at least one packet since.
    std::function<std::int64_t()> reach_counter(const std::string& channel) const;

    // Receivers provisioned at run time (the registry's), beside those of the configuration.
    // Any thread.

    /// Adds the channel of a unit made after start (a reorganisation) or kept in the database
    /// only; nothing if it exists. In group key mode a unit's channel needs its key in the
    /// configuration: without one it is not added, and the error is logged.
    void add_unit_channel(const std::string& code);

    /// Adds a receiver listening to `channel` (a unit's code) with its own `key`; it also gets
    /// a channel "@id" of its own (per-receiver key mode). Refused if the id is taken.
    common::Result<void> add_receiver(const std::string& id, const std::string& channel,
                                      const std::vector<std::uint8_t>& key);
    /// Stops sending to a receiver and forgets its reports.
    common::Result<void> remove_receiver(const std::string& id);
    /// Switches a receiver to a new key from its next packet on; its reports are accepted
    /// under the old key too until the next rekey.
    common::Result<void> rekey_receiver(const std::string& id,
                                        const std::vector<std::uint8_t>& key);
    /// The SSRC the server sends to a receiver with, in this start.
    std::uint32_t receiver_ssrc(const std::string& id) const;
    /// The group key of a channel (group key mode), if configured.
    std::optional<std::vector<std::uint8_t>> group_key(const std::string& channel) const;
    /// Calls `tap` with each frame `channel` (a unit's code or "@id") sends, on the router's
    /// thread (see pipeline::Router::add_tap); nullopt if there is no such channel or the
    /// media plane is not started. Any thread.
    std::optional<pipeline::TapHandle> tap(const std::string& channel, pipeline::Tap tap);
    /// Whether there is a channel `channel` (a unit's code or "@id"). Any thread.
    bool has_channel(const std::string& channel) const;
    /// Removes a tap; it is never called again once this returns. Any thread.
    void untap(pipeline::TapHandle handle);
    /// The server's settings as started.
    const Settings& settings() const { return settings_; }

    /// This start's SSRC epoch.
    std::uint32_t epoch() const { return epoch_; }
    /// The bound media port.
    std::uint16_t media_port() const;
    MediaStats stats() const;
    /// Every receiver's link as the server sees it.
    std::vector<ReceiverStatus> receiver_status() const;
    /// Each program on air (on at least one channel) and how long it has been silent: below
    /// EncoderSettings::silence_below_dbfs, or sending nothing, since it last had sound or
    /// went on air. Any thread.
    std::vector<ProgramSound> program_sound() const;
    /// What the channel each receiver is on carries now, judged over `recent` (a source
    /// with sound within it sounds; one whose audio flowed within it is quiet). Any thread.
    std::map<std::string, ChannelSound> channel_sound(std::chrono::milliseconds recent) const;

private:
    void add_receivers();
    /// Registers a receiver with the fan-out, the report listener and its own channel.
    common::Result<void> attach(const std::string& id, std::uint32_t channel,
                                const std::vector<std::uint8_t>& key,
                                std::optional<pipeline::Endpoint> address,
                                std::optional<pipeline::ReportPosition> floor);
    std::string positions_file() const;
    std::map<std::string, pipeline::ReportPosition> load_report_positions() const;
    /// A fresh outbound RTP stream for `ssrc`: random first sequence number and timestamp.
    static pipeline::RtpStream fresh_stream(std::uint32_t ssrc);
    // With programs_mutex_ held.
    std::uint32_t source_index(const pipeline::SourceSpec& spec);
    void apply_bindings(const std::vector<ChannelSettings>& channels);
    std::uint32_t free_slot();
    // With both mutexes held.
    bool play_on_locked(const std::string& channel, const std::string* key);
    void stop_program_locked(const std::string& key);
    /// The router's channel of a unit or "@id"; with receivers_mutex_ held.
    std::optional<std::uint32_t> channel_index(const std::string& channel) const;
    void add_channels();

    /// A program source and the channels it is on.
    struct ProgramSlot {
        std::uint32_t slot = 0;
        std::set<std::string> channels;
        bool file = false;
        std::chrono::steady_clock::time_point on_air_since{}; ///< when last put on a channel
    };

    Settings settings_;
    const common::Clock& clock_;
    std::uint32_t epoch_ = 0;
    std::unique_ptr<pipeline::UdpSocket> socket_;
    std::unique_ptr<pipeline::FanOut> fanout_;
    std::unique_ptr<pipeline::Router> router_;
    std::unique_ptr<pipeline::ReportListener> reports_;
    /// One receiver on the media plane.
    struct ReceiverSlot {
        /// Shared with its fan-out shard, which lets go of it once the removal is applied.
        std::shared_ptr<pipeline::ReceiverLink> link;
        pipeline::ReceiverHandle handle;
        std::uint32_t home = 0;    ///< its unit's channel
        std::uint32_t current = 0; ///< home, or its own channel while something targets it
    };

    /// Guards the sources and the program slots: a reload (main thread) against the engine's
    /// thread starting and binding programs. Taken before receivers_mutex_ when both are.
    mutable std::mutex programs_mutex_;
    std::vector<std::unique_ptr<pipeline::Source>> sources_;
    std::vector<bool> running_;
    std::map<std::string, std::uint32_t> source_ids_;
    std::map<std::string, ProgramSlot> programs_;
    /// Source slots freed, with when: reused only after a while, so that frames of the old
    /// source still queued in the router can never go out as the new program.
    std::deque<std::pair<std::uint32_t, std::chrono::steady_clock::time_point>> free_slots_;

    /// Guards the receivers and their own channels: added and removed from API threads,
    /// moved by the engine's.
    mutable std::mutex receivers_mutex_;
    std::map<std::string, ReceiverSlot> receivers_;        ///< by id; removed ones are erased
    std::map<std::string, std::uint32_t> private_channel_; ///< "@id" -> router channel
    std::string saved_positions_;
};

} // namespace loa::server
