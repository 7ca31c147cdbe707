#include "loa/server/supervision/play_checks.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string_view>

#include "loa/pipeline/level_meter.hpp"

namespace loa::server {
namespace {

using TimePoint = std::chrono::steady_clock::time_point;

/// How far above the receivers' threshold of sound the quietest sound a channel carries must
/// play, for a cluster's silence to be a fault rather than its volume.
constexpr double kAudibleMargin = 5;

std::uint64_t counter(const boost::json::object& status, const char* key) {
    auto it = status.find(key);
    if (it == status.end())
        return 0;
    // Capped, so that sums of what a receiver says can never overflow.
    constexpr std::uint64_t kCap = std::uint64_t{1} << 53;
    if (it->value().is_uint64())
        return std::min(it->value().as_uint64(), kCap);
    if (it->value().is_int64())
        return static_cast<std::uint64_t>(
            std::clamp<std::int64_t>(it->value().as_int64(), 0, static_cast<std::int64_t>(kCap)));
    return 0;
}

/// What grew between two reports (a counter that went back was started again: a restart).
std::uint64_t grown(std::uint64_t before, std::uint64_t after) {
    return after >= before ? after - before : after;
}

std::int64_t second_of(TimePoint at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

std::size_t slot(std::int64_t second) {
    auto s = second % PlayTrack::kSeconds;
    return static_cast<std::size_t>(s < 0 ? s + PlayTrack::kSeconds : s);
}

/// A cluster over the window ending at its last sample.
struct Judged {
    std::uint64_t played = 0, sound = 0, received = 0, lost = 0;
    std::uint64_t sound_lately = 0;                  ///< sound played since its report before last
    std::int64_t seconds = 0, sounding = 0, off = 0; ///< of its channel, in the window
    bool owed = true;                                ///< it owed sound throughout
};

Judged judge(const PlayTrack& track, std::chrono::seconds window) {
    Judged j;
    for (std::size_t i = 1; i < track.reports.size(); ++i) {
        const auto& a = track.reports[i - 1];
        const auto& b = track.reports[i];
        j.played += grown(a.played_ms, b.played_ms);
        j.sound += grown(a.sound_ms, b.sound_ms);
        j.received += grown(a.received, b.received);
        j.lost += grown(a.lost, b.lost);
        if (i + 1 == track.reports.size())
            j.sound_lately = grown(a.sound_ms, b.sound_ms);
    }
    auto now = second_of(track.last.at);
    j.seconds = window.count();
    for (auto s = now - j.seconds + 1; s <= now; ++s) {
        j.sounding += track.sounding.test(slot(s)) ? 1 : 0;
        j.off += track.off.test(slot(s)) ? 1 : 0;
    }
    j.owed = track.unowed < track.last.at - window;
    return j;
}

Fault cluster_fault(AlarmKind kind, const std::string& id,
                    const std::map<std::string, std::int64_t>& unit_of, Severity severity,
                    std::string vi, std::string en, const Judged& j, const PlaySample& last,
                    std::chrono::seconds window) {
    Fault f;
    f.kind = kind;
    f.subject = id;
    if (auto it = unit_of.find(id); it != unit_of.end())
        f.unit = it->second;
    f.severity = severity;
    f.text_vi = std::move(vi);
    f.text_en = std::move(en);
    f.figures = {{"window_s", window.count()},
                 {"played_ms", j.played},
                 {"sound_ms", j.sound},
                 {"received", j.received},
                 {"lost", j.lost},
                 {"level_dbfs", last.level_dbfs},
                 {"channel_sounding_s", j.sounding},
                 {"emergency", last.emergency}};
    return f;
}

} // namespace

PlaySample play_sample(const ReceiverView& receiver, ChannelSound channel,
                       double silence_below_dbfs, TimePoint at) {
    PlaySample s;
    s.at = at;
    s.online = receiver.online && receiver.seen;
    s.emergency = receiver.emergency;
    double volume = receiver.emergency ? receiver.emergency_volume : receiver.volume;
    bool muted = !receiver.emergency && receiver.muted;
    s.owes_sound = s.online && !muted && volume > 0 &&
                   silence_below_dbfs + 20 * std::log10(volume) >=
                       pipeline::kPlayedSilenceDbfs + kAudibleMargin;
    s.channel = channel;
    s.reports_level = receiver.status.contains("played_ms") && receiver.status.contains("sound_ms");
    s.report_ms = receiver.last_seen_ms;
    s.played_ms = counter(receiver.status, "played_ms");
    s.sound_ms = counter(receiver.status, "sound_ms");
    s.received = counter(receiver.status, "received");
    s.lost = counter(receiver.status, "lost");
    if (auto it = receiver.status.find("level_dbfs");
        it != receiver.status.end() && it->value().is_number())
        s.level_dbfs = it->value().to_number<double>();
    return s;
}

void PlayHistory::record(const std::map<std::string, PlaySample>& samples) {
    for (auto it = clusters_.begin(); it != clusters_.end();)
        it = samples.count(it->first) != 0 ? std::next(it) : clusters_.erase(it);
    for (const auto& [id, s] : samples) {
        auto [it, added] = clusters_.try_emplace(id);
        auto& track = it->second;
        if (added)
            track.first = s.at;
        if (!s.online)
            track.offline = s.at;
        if (!s.owes_sound)
            track.unowed = s.at;
        if (!s.reports_level)
            track.unreported = s.at;
        // The channel, by second: seconds newly in the window start empty.
        auto second = second_of(s.at);
        if (added || second - track.second >= PlayTrack::kSeconds) {
            track.sounding.reset();
            track.off.reset();
            track.second = second;
        }
        for (; track.second < second; ++track.second) {
            auto next = track.second + 1;
            track.sounding.reset(slot(next));
            track.off.reset(slot(next));
            // A second no check fell in (a slow pass, a longer interval): as the last sample.
            if (next < second && track.last.channel == ChannelSound::sounding)
                track.sounding.set(slot(next));
            if (next < second && track.last.channel == ChannelSound::off)
                track.off.set(slot(next));
        }
        if (s.channel == ChannelSound::sounding)
            track.sounding.set(slot(second));
        if (s.channel == ChannelSound::off)
            track.off.set(slot(second));
        // Its counters at each report (a hello counts as one: harmless, nothing grows).
        auto& reports = track.reports;
        if (reports.empty() || s.report_ms != track.last.report_ms)
            reports.push_back({s.at, s.played_ms, s.sound_ms, s.received, s.lost});
        while (reports.size() >= 2 && reports[1].at <= s.at - window_)
            reports.pop_front();
        track.last = s;
    }
}

PlayFaults play_faults(const PlayHistory& history,
                       const std::map<std::string, std::int64_t>& unit_of,
                       const SupervisionSettings& settings) {
    PlayFaults out;
    auto window = history.window();
    auto secs = std::to_string(window.count());
    for (const auto& [id, track] : history.clusters()) {
        const auto& last = track.last;
        auto horizon = last.at - window;
        const auto& reports = track.reports;
        // The window behind its first sample, online and reporting its level throughout, and
        // reports on both sides of the window's start.
        bool judgeable = track.first <= horizon && track.offline < horizon &&
                         track.unreported < horizon && reports.size() >= 2 &&
                         reports.front().at <= horizon && reports.back().at > horizon;
        if (!judgeable) {
            for (auto* unknown : {&out.unknown_no_media, &out.unknown_lossy, &out.unknown_silent,
                                  &out.unknown_unbidden})
                unknown->insert(id);
            continue;
        }
        Judged j = judge(track, window);
        if (j.off == j.seconds) {
            // Its channel carried nothing: nothing to receive, nothing owed.
            out.unknown_no_media.insert(id);
            out.unknown_lossy.insert(id);
            out.unknown_silent.insert(id);
            auto half = static_cast<std::uint64_t>(window.count()) * 500;
            if (j.sound >= half && j.sound_lately > 0)
                out.unbidden.push_back(cluster_fault(
                    AlarmKind::cluster_unbidden, id, unit_of, Severity::minor,
                    concat({"Cụm thu ", id, " phát ra âm thanh khi kênh không phát gì"}),
                    concat({"Cluster ", id, " plays sound while its channel carries nothing"}), j,
                    last, window));
            continue;
        }
        if (j.off > 0 || j.sounding * 2 < j.seconds) {
            // Its channel changed within the window, or was mostly quiet: not judged now.
            for (auto* unknown : {&out.unknown_no_media, &out.unknown_lossy, &out.unknown_silent,
                                  &out.unknown_unbidden})
                unknown->insert(id);
            continue;
        }
        // Its channel sounded for half the window or more, and never carried nothing.
        // Failing an emergency is the gravest fault a cluster can have.
        auto grave = last.emergency ? Severity::critical : Severity::major;
        if (j.received == 0) {
            out.no_media.push_back(
                cluster_fault(AlarmKind::cluster_no_media, id, unit_of, grave,
                              concat({"Cụm thu ", id, " không nhận được gói tin nào trong ", secs,
                                      " giây khi kênh đang phát"}),
                              concat({"Cluster ", id, " received nothing for ", secs,
                                      " s while its channel plays"}),
                              j, last, window));
            out.unknown_lossy.insert(id);
            out.unknown_silent.insert(id); // its silence has a cause named
            continue;
        }
        double percent = static_cast<double>(j.lost) * 100.0 /
                         (static_cast<double>(j.received) + static_cast<double>(j.lost));
        if (percent > settings.loss_max_percent)
            out.lossy.push_back(
                cluster_fault(AlarmKind::cluster_lossy, id, unit_of, Severity::minor,
                              concat({"Cụm thu ", id, " mất ", std::to_string(std::lround(percent)),
                                      "% gói tin"}),
                              concat({"Cluster ", id, " loses ",
                                      std::to_string(std::lround(percent)), "% of packets"}),
                              j, last, window));
        else if (percent * 2 > settings.loss_max_percent)
            out.unknown_lossy.insert(id); // between the thresholds: as it was
        if (j.owed && j.sound == 0)
            out.silent.push_back(
                cluster_fault(AlarmKind::cluster_silent, id, unit_of, grave,
                              concat({"Cụm thu ", id, " không phát ra âm thanh trong ", secs,
                                      " giây dù kênh đang phát"}),
                              concat({"Cluster ", id, " played no sound for ", secs,
                                      " s while its channel plays"}),
                              j, last, window));
    }
    return out;
}

} // namespace loa::server
