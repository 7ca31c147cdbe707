#include "loa/server/live/live_desk.hpp"

#include <filesystem>

#include "../schedule/schedule_json.hpp"
#include "loa/common/jsonrpc.hpp"
#include "loa/common/logging.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

auto log() {
    static auto logger = common::logger("live");
    return logger;
}

/// How often the desk looks for broadcasts that must end.
constexpr auto kWatchEvery = std::chrono::milliseconds(250);
/// How long a speaker's audio may take to arrive after the answer (ICE, DTLS, the first
/// packets), on top of LiveSettings::lost_after.
constexpr auto kConnectGrace = std::chrono::seconds(5);
/// How long a connection ICE calls failed may go without audio before the broadcast ends.
constexpr auto kFailedWithoutAudio = std::chrono::seconds(1);

schedules::Millis wall(const common::Clock& clock) {
    return std::chrono::floor<std::chrono::milliseconds>(clock.system_now());
}

} // namespace

LiveDesk::LiveDesk(LiveSettings settings, ScheduleApi& schedule, const ProgramStore& programs,
                   const common::Clock& clock)
    : settings_(std::move(settings)), schedule_(schedule), programs_(programs), clock_(clock) {}

LiveDesk::~LiveDesk() {
    stop();
}

void LiveDesk::start() {
    // Broadcasts a crash left on: ended, their recordings (written up to the crash) kept.
    auto stale = schedule_.end_stale_lives("loa (restart: the speaker had gone)");
    for (const auto& r : stale) {
        log()->warn("ended live broadcast #{} left on by the last run", r.id);
        if (r.program && std::filesystem::exists(recording_path(r.id)))
            keep(r.id, *r.program, recording_path(r.id), r.started_by,
                 schedule_json::iso_utc(r.started_at));
    }
    // Recordings of sessions that never went on air.
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(programs_.dir(), error))
        if (entry.path().filename().string().starts_with(".live-"))
            std::filesystem::remove(entry.path(), error);
    std::lock_guard lock(mutex_);
    stopping_ = false;
    watcher_ = std::thread([this] { watch(); });
}

void LiveDesk::stop() {
    {
        std::lock_guard lock(mutex_);
        if (!watcher_.joinable())
            return;
        stopping_ = true;
    }
    wake_.notify_all();
    watcher_.join();
    std::vector<std::int64_t> ids;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, b] : broadcasts_)
            ids.push_back(id);
    }
    for (auto id : ids)
        end(id, "loa (server stopping)", "the server is stopping");
}

json::value LiveDesk::start_broadcast(const Params& params, const Scope& scope, Speaker speaker) {
    auto offer = params.string("sdp");
    if (auto checked = pipeline::check_audio_offer(offer); !checked)
        throw RpcError(rpc_code::kInvalidParams, "params.sdp: " + checked.error().message);
    {
        // Refusals first, before any media work: the same checks run again when it is saved.
        auto lock = schedule_.lock();
        (void)schedule_.start_live(params, speaker.name, scope, false);
    }
    auto broadcast = std::make_shared<Broadcast>();
    broadcast->speaker = std::move(speaker);
    // The recording is named once the program exists; until then it is the session's own.
    static std::atomic<std::uint64_t> sessions{0};
    auto recording = programs_.dir() + "/.live-new-" + std::to_string(++sessions) + ".ogg";
    broadcast->session = std::make_unique<LiveSession>(
        LiveSessionSettings{{settings_.addresses, settings_.port_min, settings_.port_max},
                            settings_.jitter_ms,
                            recording});
    auto answer = broadcast->session->answer(offer);
    std::error_code ignored;
    if (!answer) {
        broadcast->session->finish();
        std::filesystem::remove(recording, ignored);
        throw RpcError(answer.error().code == common::Errc::invalid_argument
                           ? rpc_code::kInvalidParams
                           : rpc_code::kMediaError,
                       "the live connection could not be set up: " + answer.error().message);
    }
    {
        // Held while the override is saved: the engine asks for its feed as soon as it is.
        std::lock_guard lock(mutex_);
        try {
            auto schedule_lock = schedule_.lock();
            broadcast->placed = schedule_.start_live(params, broadcast->speaker.name, scope);
        } catch (...) {
            broadcast->session->finish();
            std::filesystem::remove(recording, ignored);
            throw;
        }
        broadcast->began = std::chrono::steady_clock::now();
        broadcast->started_at = schedule_json::iso_utc(wall(clock_));
        broadcast->session->move_recording(recording_path(broadcast->placed.override_id));
        broadcasts_[broadcast->placed.override_id] = broadcast;
    }
    const auto& placed = broadcast->placed;
    log()->info("live broadcast #{} by {} ({}) on {} channel(s)", placed.override_id,
                common::loggable(broadcast->speaker.name), schedules::to_string(placed.priority),
                placed.channels.size());
    json::array channels;
    for (const auto& c : placed.channels)
        channels.emplace_back(c);
    return json::object{{"session", placed.override_id},
                        {"program", placed.program},
                        {"priority", schedules::to_string(placed.priority)},
                        {"channels", std::move(channels)},
                        {"sdp", *answer}};
}

json::value LiveDesk::stop_broadcast(const Params& params, const Scope& scope,
                                     const std::string& who) {
    auto id = params.integer("session");
    std::shared_ptr<Broadcast> found;
    {
        std::lock_guard lock(mutex_);
        if (auto it = broadcasts_.find(id); it != broadcasts_.end())
            found = it->second;
    }
    if (!found)
        throw RpcError(rpc_code::kNotFound, "no live broadcast #" + std::to_string(id) + " is on");
    if (!schedule_.may_change_all(scope, found->placed.units, found->placed.clusters))
        throw RpcError(rpc_code::kUnauthorized,
                       "live broadcast #" + std::to_string(id) + " reaches units outside yours");
    auto program = end(id, who, "");
    if (!program)
        throw RpcError(rpc_code::kNotFound,
                       "live broadcast #" + std::to_string(id) + " has just ended");
    return json::object{{"ended", id}, {"program", *program}};
}

json::value LiveDesk::list(const Scope& scope) {
    std::vector<std::shared_ptr<Broadcast>> all;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, b] : broadcasts_)
            all.push_back(b);
    }
    json::array out;
    auto now = std::chrono::steady_clock::now();
    for (const auto& b : all) {
        if (!schedule_.may_read_all(scope, b->placed.units, b->placed.clusters))
            continue;
        json::array channels;
        for (const auto& c : b->placed.channels)
            channels.emplace_back(c);
        out.push_back(json::object{
            {"session", b->placed.override_id},
            {"program", b->placed.program},
            {"speaker", b->speaker.name},
            {"priority", schedules::to_string(b->placed.priority)},
            {"channels", std::move(channels)},
            {"started_at", b->started_at},
            {"seconds", std::chrono::duration_cast<std::chrono::seconds>(now - b->began).count()},
            {"ice", pipeline::to_string(b->session->ice_state())},
            {"level_dbfs", b->session->level().totals().last_dbfs}});
    }
    return out;
}

std::shared_ptr<pipeline::PcmFeed> LiveDesk::feed(std::int64_t override_id) {
    std::lock_guard lock(mutex_);
    auto it = broadcasts_.find(override_id);
    return it != broadcasts_.end() ? it->second->session->feed() : nullptr;
}

std::optional<std::int64_t> LiveDesk::end(std::int64_t id, const std::string& who,
                                          const std::string& reason) {
    std::shared_ptr<Broadcast> b;
    {
        std::lock_guard lock(mutex_);
        auto it = broadcasts_.find(id);
        if (it == broadcasts_.end())
            return std::nullopt;
        b = it->second;
        broadcasts_.erase(it);
    }
    try {
        schedule_.end_live(id, who);
    } catch (const RpcError& e) {
        log()->error("live broadcast #{}: its override could not be ended: {}", id, e.what());
    }
    auto program = b->placed.program;
    bool recorded = b->session->finish();
    if (recorded)
        keep(id, program, b->session->recording(), b->speaker.name, b->started_at);
    std::error_code ignored;
    std::filesystem::remove(b->session->recording(), ignored);
    if (reason.empty())
        log()->info("live broadcast #{} ended by {}", id, common::loggable(who));
    else
        log()->warn("live broadcast #{} ended: {}", id, reason);
    json::object params{{"session", id},
                        {"state", "ended"},
                        {"reason", reason.empty() ? "stopped by " + who : reason},
                        {"program", program},
                        {"recorded", recorded}};
    b->speaker.tell(jsonrpc::notification("live.state", std::move(params)));
    return program;
}

void LiveDesk::keep(std::int64_t id, std::int64_t program, const std::string& recording,
                    const std::string& speaker, const std::string& started_at) {
    auto stored = programs_.store_file(recording, MediaUse::emergency);
    if (!stored) {
        log()->error("live broadcast #{}: its recording is unreadable: {}", id,
                     stored.error().message);
        return;
    }
    auto source = "recording of live broadcast #" + std::to_string(id) + " by " + speaker +
                  " from " + started_at + " to " + schedule_json::iso_utc(wall(clock_));
    try {
        schedule_.keep_recording(program, std::filesystem::path(stored->path).filename().string(),
                                 stored->duration, source);
    } catch (const RpcError& e) {
        log()->error("live broadcast #{}: its recording could not be kept: {}", id, e.what());
    }
    std::error_code ignored;
    std::filesystem::remove(recording, ignored);
}

std::string LiveDesk::recording_path(std::int64_t id) const {
    return programs_.dir() + "/.live-" + std::to_string(id) + ".ogg";
}

std::string LiveDesk::lost(const Broadcast& b) const {
    if (!b.speaker.present())
        return "the speaker's connection closed";
    auto now = std::chrono::steady_clock::now();
    // ICE may call the connection failed for a moment through loss and then find it again:
    // only a failure without audio ends the broadcast early.
    const auto& arriving = *b.session->feed();
    auto ice = b.session->ice_state();
    if ((ice == pipeline::IceState::failed || ice == pipeline::IceState::closed) &&
        (arriving.samples() == 0 || now - arriving.last_push() > kFailedWithoutAudio))
        return std::string("the connection to the speaker ") + pipeline::to_string(ice);
    if (now - b.began > settings_.max_duration)
        return "it reached its longest duration (" +
               std::to_string(settings_.max_duration.count()) + " min)";
    const auto& feed = *b.session->feed();
    if (feed.samples() == 0) {
        if (now - b.began > settings_.lost_after + kConnectGrace)
            return "no audio arrived from the speaker";
    } else if (now - feed.last_push() > settings_.lost_after) {
        return "no audio from the speaker for " + std::to_string(settings_.lost_after.count()) +
               " s: the connection dropped";
    }
    return {};
}

void LiveDesk::watch() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, kWatchEvery, [this] { return stopping_; });
        if (stopping_)
            break;
        std::vector<std::pair<std::int64_t, std::shared_ptr<Broadcast>>> all(broadcasts_.begin(),
                                                                             broadcasts_.end());
        lock.unlock();
        for (const auto& [id, b] : all) {
            auto reason = lost(*b);
            if (reason.empty()) {
                if (auto error = b->session->take_error(); !error.empty())
                    reason = "the live pipeline failed: " + error;
                else if (!schedule_.override_active(id))
                    reason = "its override was ended";
            }
            if (!reason.empty())
                end(id, "loa (" + reason + ")", reason);
        }
        lock.lock();
    }
}

} // namespace loa::server
