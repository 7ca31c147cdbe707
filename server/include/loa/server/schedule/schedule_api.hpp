#pragma once
/// @file
/// The schedule's methods over JSON-RPC: units, clusters, programs and their approval,
/// schedule entries, .ics export and import, emergencies, stop-alls and the as-run log.
/// docs/api.md lists them with their parameters and errors.

#include <boost/json.hpp>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "loa/common/clock.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/rpc.hpp"
#include "loa/server/app/settings.hpp"
#include "loa/server/handover/handover.hpp"
#include "loa/server/media/receiver_status.hpp"
#include "loa/server/monitoring/online_history.hpp"
#include "loa/server/schedule/program_store.hpp"

namespace loa::server {

/// What the API reads from the running server besides the store.
struct ServerView {
    std::function<std::map<std::string, std::string>()> on_air;
    std::function<std::vector<ReceiverStatus>()> receivers;
    /// Samples of clusters online per unit code since a time (for stats.history); may be empty.
    std::function<std::vector<OnlineSample>(schedules::Millis from, schedules::Millis to)>
        online_history;
    /// A new receiver key as the registry stores it (handover.import); may be empty (tests).
    std::function<std::string()> receiver_key;
};

/// Which units a caller acts for. Changes need the unit in `units`; reads also show what the
/// units above them send there (a commune manager sees the province's programs and entries).
struct Scope {
    bool all = true;              ///< province-wide: admins, unscoped viewers, the control socket
    std::set<std::int64_t> units; ///< may change: the caller's units and the units within them
    std::set<std::int64_t> seen;  ///< may read: `units` and the units above them

    bool may_change(std::int64_t unit) const { return all || units.count(unit) != 0; }
    bool may_read(std::int64_t unit) const { return all || seen.count(unit) != 0; }
};

/// Which files a call may name, besides what its scope allows.
struct CallFiles {
    /// The control socket (the server's own administrator): `path` may name any file the
    /// server can read. Network callers may name files inside programs.import_dir only.
    bool local = false;
    /// A file the HTTP server received for this call (POST /api/v1/programs/upload): what a
    /// programs.create of kind file stores.
    std::string upload;
};

/// A program's audio and source, made ready before the API's lock is taken: files decoded
/// to the end, bulletins spoken, relay URLs checked (their host resolved).
struct ProgramInput {
    schedules::ProgramKind kind = schedules::ProgramKind::file;
    std::string source; ///< the file's name, the text, the URL or the live input's id
    std::string media;  ///< the stored audio (files, bulletins)
    std::optional<std::chrono::milliseconds> duration;
    std::string voice;
    int rate_wpm = 0;
};

/// An emergency, a stop-all or a live broadcast in force.
struct ActiveOverride {
    std::int64_t id = 0;
    schedules::Override::Kind kind = schedules::Override::Kind::emergency;
    std::vector<std::string> channels; ///< unit codes and "@" + cluster ids
    std::string started_at;            ///< ISO 8601, UTC
    std::string started_by;
    std::optional<std::int64_t> program; ///< an emergency's or live broadcast's program
    schedules::PriorityClass priority = schedules::PriorityClass::emergency; ///< live: its class
};

/// How a live broadcast's program names its source while it is on: "live voice of NAME" (never
/// a live input's id, so that it can never air a capture device).
inline constexpr std::string_view kLiveVoicePrefix = "live voice of ";

/// A live broadcast as the schedule keeps it (ScheduleApi::start_live).
struct LiveStart {
    std::int64_t override_id = 0;
    std::int64_t program = 0; ///< its record: the voice while on, the recording afterwards
    schedules::PriorityClass priority = schedules::PriorityClass::normal;
    std::vector<std::string> channels; ///< unit codes and "@" + cluster ids it reaches
    std::vector<std::int64_t> units;   ///< its targets
    std::vector<std::string> clusters;
};

/// An override as overrides.list and its notifications show it.
boost::json::object override_json(const ActiveOverride& o);

/// What a reorganisation changed that others keep in memory: units added (they need a
/// channel), units merged (whose active alarms are now the successor's) and the receivers
/// whose unit changed (now on the successor's channel).
struct UnitsChanged {
    std::vector<std::string> added;    ///< codes that need a channel (units added or recoded)
    std::vector<std::int64_t> merged;  ///< ids
    std::int64_t into = 0;             ///< the successor of `merged`
    std::vector<std::string> clusters; ///< receivers whose unit or its code changed
    /// A split: the unit that split (its users' scopes and active alarms moved to its parts:
    /// a cluster's alarms to the cluster's part, by subject, the others to `into`).
    std::optional<std::int64_t> split;
    std::map<std::string, std::int64_t> split_subjects;
};

/// The schedule's methods, with their own connection to the store. Thread-safe: the methods run
/// under lock() (the gateway takes it), and the lookups take it themselves.
class ScheduleApi {
public:
    /// `changed` is called after every change to the schedule or the overrides.
    ScheduleApi(const Settings& settings, const ProgramStore& media, const common::Clock& clock,
                ServerView view, std::function<void()> changed);

    /// `changed` is called (under lock()) after units.merge or units.import changed units.
    void on_units_changed(std::function<void(const UnitsChanged&)> changed) {
        units_changed_ = std::move(changed);
    }
    /// The code of every unit, ended ones too (their channels still carry what targets their
    /// successors).
    std::vector<std::string> all_unit_codes();

    /// What each channel the scope sees carries now: {channel: airing key}.
    boost::json::object on_air(const Scope& scope);

    /// The live inputs operators may name: [{id, name}].
    boost::json::array live_inputs() const;

    /// The scope of a user acting for `units` (ids): those, the units within them, and for
    /// reading the units above them. Empty `units`: province-wide.
    Scope scope_of(const std::vector<std::int64_t>& units);
    /// Unit ids by code; throws RpcError naming an unknown code. Like unit_codes, it reads
    /// through a connection of its own and never waits for the schedule's lock or a write.
    std::vector<std::int64_t> unit_ids(const std::vector<std::string>& codes);
    /// Unit codes by id (unknown ids are left out). Safe inside another connection's
    /// transaction (the alarm book names units in its own).
    std::vector<std::string> unit_codes(const std::vector<std::int64_t>& ids);
    /// The unit a cluster belongs to; throws RpcError if there is no such cluster.
    std::int64_t cluster_unit(const std::string& cluster);
    /// Records a cluster (receiver) of a unit, as receivers.provision does.
    void put_cluster(const schedules::Cluster& cluster);
    /// The stored audio of program `id` (a file's copy, a bulletin's rendering) for a caller
    /// who may read its unit; throws RpcError (not found, outside the scope, no audio).
    std::string program_audio(std::int64_t id, const Scope& scope);
    /// Whether `scope` may read a channel: a unit's code or "@" + a cluster id.
    bool may_read_channel(const Scope& scope, const std::string& channel);

    /// Serialises the methods below: hold it while one runs (the method table's `serialised`).
    std::unique_lock<std::mutex> lock() { return std::unique_lock(mutex_); }

    // The schedule's methods (docs/api.md), run under lock(). `caller` is recorded as who
    // decided, started or stopped; `scope` limits what is seen and changed (RpcError
    // kUnauthorized outside it).

    boost::json::value list_units();
    boost::json::value merge_units(const Params& p, const Scope& scope);
    boost::json::value split_unit(const Params& p, const Scope& scope);
    boost::json::value rename_unit(const Params& p, const Scope& scope);
    boost::json::value import_units(const Params& p, const Scope& scope);
    boost::json::value recode_unit(const Params& p, const Scope& scope);
    boost::json::value unit_lineage(const Params& p);
    boost::json::value find_units(const Params& p);
    boost::json::value list_clusters(const Scope& scope);
    boost::json::value list_programs(const Scope& scope);
    boost::json::value create_program(const Params& p, const Scope& scope,
                                      const ProgramInput& input);
    boost::json::value decide(const Params& p, const std::string& caller, const Scope& scope);
    boost::json::value list_entries(const Scope& scope);
    boost::json::value create_entry(const Params& p, const Scope& scope);
    boost::json::value update_entry(const Params& p, const Scope& scope);
    boost::json::value delete_entry(const Params& p, const Scope& scope);
    boost::json::value list_occurrences(const Params& p, const Scope& scope);
    boost::json::value stats_history(const Params& p, const Scope& scope);
    boost::json::value export_schedule(const Params& p, const Scope& scope);
    boost::json::value import_schedule(const Params& p, const Scope& scope);
    boost::json::value start_emergency(const Params& p, const std::string& caller,
                                       const Scope& scope,
                                       const std::optional<ProgramInput>& input);
    boost::json::value start_stop_all(const Params& p, const std::string& caller,
                                      const Scope& scope);
    boost::json::value end_override(const Params& p, const std::string& caller,
                                    schedules::Override::Kind kind, const Scope& scope);
    boost::json::value list_overrides(const Scope& scope);
    /// live.start's part here (server/live/ does the WebRTC): params.units and/or
    /// params.clusters within `scope`, params.priority (normal by default) outside quiet hours
    /// unless emergency, no one else live on a channel reached; saves the broadcast's program
    /// and override. Run under lock(); throws RpcError. With `save` false it only checks.
    LiveStart start_live(const Params& p, const std::string& caller, const Scope& scope,
                         bool save = true);
    /// Whether `scope` may change (read) every unit of `units` and every cluster's unit.
    bool may_change_all(const Scope& scope, const std::vector<std::int64_t>& units,
                        const std::vector<std::string>& clusters);
    bool may_read_all(const Scope& scope, const std::vector<std::int64_t>& units,
                      const std::vector<std::string>& clusters);
    // These take lock() themselves.
    /// Ends live broadcast `id` as `who`; false if it had ended already.
    bool end_live(std::int64_t id, const std::string& who);
    /// Whether override `id` is in force.
    bool override_active(std::int64_t id);
    /// Makes a live broadcast's program its recording (stored as `media`).
    void keep_recording(std::int64_t program, const std::string& media,
                        std::chrono::milliseconds duration, const std::string& source);
    /// Ends the live broadcasts an earlier run left on (their speakers are gone); them.
    std::vector<schedules::OverrideRecord> end_stale_lives(const std::string& who);
    /// The overrides in force that `scope` sees (run under lock()).
    std::vector<ActiveOverride> active_overrides(const Scope& scope);
    boost::json::value list_as_run(const Params& p, const Scope& scope);
    /// The as-run rows still open and those ended at or after `ended_after`: the ones whose
    /// `played` count may still grow. Throws on a database error.
    std::vector<schedules::AsRunRecord> recent_as_run(schedules::Millis ended_after);
    /// Records how many clusters verifiably played an as-run row's airing.
    /// and when the first and the last of them began to play it.
    void note_played(std::int64_t as_run, std::int64_t clusters,
                     std::optional<schedules::Millis> first = std::nullopt,
                     std::optional<schedules::Millis> last = std::nullopt);
    boost::json::value status(const Scope& scope);
    boost::json::value list_handovers();
    /// Not under lock(): it reads a snapshot of its own while the server goes on.
    boost::json::value export_handover(const Params& p);
    boost::json::value import_handover(const Params& p);

    /// The media work of a call, done before lock() is taken so that an emergency never
    /// waits behind an upload: a program's source read from params and its audio made ready
    /// (decoded, spoken, a relay's host resolved), for programs.create (`use` program) and an
    /// emergency.start without a stored program (`use` emergency). No store access.
    ProgramInput prepare_program(const Params& p, const CallFiles& files, MediaUse use) const;

private:
    /// The file `path` names, if the caller may name it: resolved, and inside the import
    /// folder unless the call is local.
    std::string importable(const std::string& path, const CallFiles& files) const;
    std::string live_input(const Params& p) const;
    std::int64_t make_program(std::int64_t unit, const ProgramInput& input,
                              const std::string& title, bool emergency_record = false);
    /// Throws unless `program` may go on air as an emergency: never rejected, and approved
    /// where its unit requires approval (an emergency's own record may air again).
    void require_airable(const schedules::Program& program);
    /// An entry from entries.create/update params, checked against the scope.
    schedules::Entry entry_of(const Params& p, const Scope& scope);
    /// Throws kUnauthorized unless `scope` may change every unit and cluster named.
    void require(const Scope& scope, const std::vector<std::int64_t>& units,
                 const std::vector<std::string>& clusters = {});
    void require_read(const Scope& scope, std::int64_t unit);
    // What the public lookups of the same names do, with the lock held.
    std::vector<std::int64_t> ids_of(const std::vector<std::string>& codes);
    std::vector<std::string> codes_of(const std::vector<std::int64_t>& ids);
    boost::json::object on_air_of(const Scope& scope);
    bool sees_channel(const Scope& scope, const std::string& channel);
    std::int64_t unit_id(const std::string& code);
    /// Today in the server's time zone, YYYY-MM-DD.
    std::string local_today();
    /// params.date (default today) as a checked YYYY-MM-DD: the day a reorganisation (`what`:
    /// "a merge", "a rename") counts from, never a day still to come.
    std::string effective_date(const Params& p, const std::string& what);
    /// `unit` with its names and, at any depth, the units merged into it (`seen` bounds a
    /// cycle an old database may hold).
    boost::json::object lineage_of(const schedules::Unit& unit,
                                   const std::vector<schedules::Unit>& all,
                                   std::set<std::int64_t>& seen);
    std::map<std::string, std::int64_t> cluster_units();
    /// Whether `allowed` holds for every unit of `units` and every cluster's unit.
    bool all_within(const Scope& scope, const std::vector<std::int64_t>& units,
                    const std::vector<std::string>& clusters,
                    const std::function<bool(std::int64_t)>& allowed);
    /// In group key mode, why a unit of `code` could have no channel (its key is not in the
    /// configuration's "channels"); "" when it can.
    std::string unkeyed_channel(const std::string& code) const;
    /// Refuses (invalid_argument) a split that would leave a receiver of the configuration on
    /// the ended unit's channel, or a new part without a channel key.
    common::Result<void> split_fits_configuration(const schedules::UnitSplit& split);
    schedules::Millis now() const;
    /// The database, media folder and handover folder an export or import works in.
    HandoverPlaces handover_places() const;

    const Settings& settings_;
    const ProgramStore& media_;
    const common::Clock& clock_;
    ServerView view_;
    std::function<void()> changed_;
    std::function<void(const UnitsChanged&)> units_changed_;
    std::mutex mutex_;
    schedules::ScheduleStore store_;
    /// The unit lookups' own connection: it only reads, so in WAL mode it never waits behind
    /// a write, and whoever holds a write transaction elsewhere may call it without a cycle
    /// of waits (a write transaction waiting for mutex_ while mutex_'s holder waits for the
    /// write lock).
    std::mutex units_mutex_;
    schedules::ScheduleStore units_;
};

} // namespace loa::server
