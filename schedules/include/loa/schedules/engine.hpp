#pragma once
/// @file
/// The engine puts the schedule on air. At every boundary it asks the resolver what each
/// channel plays, tells the media plane (through `Air`) what changed, and keeps the as-run log.
/// Sources are prepared `lead` ahead of their start, so the first packet leaves on time.
///
/// The engine does not own a thread: its owner calls tick() at next_wakeup() (the server from
/// its engine thread, tests from a manual clock), so days of schedule run in milliseconds.
///
/// A single cluster targeted on its own has the channel "@id". It follows that channel while
/// what plays there ranks at least as high as what its unit's channel plays (an operator's
/// emergency > a stop-all > the scheduled classes), and its unit's channel otherwise.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/schedules/resolver.hpp"
#include "loa/schedules/store.hpp"
#include "loa/schedules/timeline.hpp"

namespace loa::schedules {

/// One airing of a program: an occurrence of a schedule entry, or an operator's emergency.
struct Instance {
    std::string key; ///< "e12@1700000000" (entry 12's occurrence at that time) or "o5"
    std::int64_t program = 0;
    PriorityClass priority = PriorityClass::normal;
    std::optional<std::int64_t> entry;
    std::optional<std::int64_t> override_id;
    TimePoint start;              ///< the occurrence's start, or when the override began
    std::optional<TimePoint> end; ///< the occurrence's end; nullopt for overrides
};

/// The media plane as the engine drives it; the server implements it, tests fake it.
/// Calls come from the thread that calls Engine::tick().
class Air {
public:
    virtual ~Air() = default;
    /// Gets `instance` ready to start (its source built, held before its first frame). A file
    /// starts `offset` into the program (an airing resumed after a restart); 0 otherwise.
    virtual void prepare(const Instance& instance, std::chrono::milliseconds offset) = 0;
    /// Puts `instance` on `channel` now, or silence if it is nullptr. A channel "@id" is a
    /// single cluster: assigning it moves that cluster off its unit's channel, nullptr back.
    virtual void assign(const std::string& channel, const Instance* instance) = 0;
    /// No channel carries `key` any more, and none will: its source can go.
    virtual void release(const std::string& key) = 0;
    /// A single cluster's channel "@id" is stopped (a stop-all aimed at the cluster): the
    /// cluster hears nothing, whatever its unit's channel plays, until assigned again.
    virtual void silence(const std::string& channel) = 0;
    /// Starts counting the receivers that `channel` reaches; the function returned, called
    /// when the airing ends, says how many were sent its packets.
    virtual std::function<std::int64_t()> count_reached(const std::string& channel) = 0;
};

/// Engine settings.
struct EngineSettings {
    /// How long before its start a program's source is prepared.
    std::chrono::milliseconds lead{1500};
    /// How often the engine notes it is alive (the end of rows a crash leaves open); at least
    /// kMinHeartbeat.
    std::chrono::milliseconds heartbeat{2000};
};

/// The shortest heartbeat: the engine never wakes more often than this for it.
inline constexpr std::chrono::milliseconds kMinHeartbeat{100};

/// Schedule -> air. Not thread-safe except where noted.
class Engine {
public:
    Engine(ScheduleStore& store, Air& air, const common::Clock& clock, EngineSettings settings);

    /// At start-up: closes as interrupted what a crash left open, loads the schedule, and puts
    /// on air what should be on air now (a file cut by the stop, whose window is still open,
    /// resumes where it would be, so nothing plays twice).
    common::Result<void> start();
    /// Brings the air up to date with the clock; call at next_wakeup() or whenever poked.
    common::Result<void> tick();
    /// Closes every open airing as interrupted (a shutdown) and releases everything.
    void stop();

    /// When tick() must run next.
    Millis next_wakeup() const { return next_wakeup_; }

    /// Any thread: the schedule or the overrides changed in the store; the next tick reloads.
    void schedule_changed();
    /// Any thread: an instance's program ended by itself (a file played to its end, or its
    /// source failed); the next tick hands its channels back.
    void instance_ended(const std::string& key, bool failed);

    /// What each channel carries now (channel -> instance key), for status and tests.
    std::map<std::string, std::string> on_air() const;
    /// The instance behind a key, if it is known.
    std::optional<Instance> instance(const std::string& key) const;

private:
    struct Segment {
        std::string key;
        std::int64_t as_run = 0;
        std::function<std::int64_t()> reached;
    };
    struct Live {
        Instance instance;
        bool prepared = false;
    };

    common::Result<void> reload();
    common::Result<void> ensure_timeline(TimePoint t);
    common::Result<std::map<std::string, Airing>> effective(TimePoint t);
    Instance instance_of(const Airing& airing) const;
    common::Result<void> change(const std::string& channel, const Instance* next, Millis now,
                                const std::map<std::string, Airing>& airings);
    Outcome outcome_of(const Segment& segment, Millis now) const;
    bool has_entry(std::int64_t id) const;    ///< still in the schedule
    bool has_override(std::int64_t id) const; ///< not yet ended
    void prepare(const Instance& instance, Millis now);
    common::Result<void> prepare_upcoming(Millis now);
    void release_unused(TimePoint t);
    common::Result<void> take_reports(Millis now);
    common::Result<void> plan_wakeup(Millis now);

    ScheduleStore& store_;
    Air& air_;
    const common::Clock& clock_;
    EngineSettings settings_;

    std::vector<ScheduledEntry> entries_;
    std::optional<Timeline> timeline_; ///< entries_ expanded; rebuilt on change or when short
    std::vector<Override> overrides_;
    std::map<std::string, std::string> home_of_; ///< "@id" -> its unit's channel
    std::set<Occurrence> finished_;
    std::set<Occurrence> interrupted_; ///< on air when the last run stopped: resume mid-way
    std::set<std::string> silenced_;   ///< "@id" channels held silent by a stop-all
    std::set<std::int64_t> finished_overrides_;
    std::set<std::string> failed_;
    std::map<std::string, Segment> segments_; ///< channel -> what it carries now
    std::map<std::string, Live> live_;        ///< instances prepared or on air
    Millis next_wakeup_{};
    Millis last_beat_{};

    mutable std::mutex inbox_mutex_;
    bool reload_wanted_ = false;
    std::vector<std::pair<std::string, bool>> ended_;
};

} // namespace loa::schedules
