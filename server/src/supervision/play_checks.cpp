#include "loa/server/supervision/play_checks.hpp"

#include <algorithm>
#include <initializer_list>
#include <string_view>

namespace loa::server {
namespace {

std::uint64_t counter(const boost::json::object& status, const char* key) {
    auto it = status.find(key);
    if (it == status.end())
        return 0;
    if (it->value().is_uint64())
        return it->value().as_uint64();
    if (it->value().is_int64())
        return static_cast<std::uint64_t>(std::max<std::int64_t>(0, it->value().as_int64()));
    return 0;
}

/// The pieces one after the other.
std::string join(std::initializer_list<std::string_view> pieces) {
    std::string out;
    for (auto piece : pieces)
        out += piece;
    return out;
}

/// What grew between two samples (0 if the counter went back: the receiver restarted).
std::uint64_t grown(std::uint64_t before, std::uint64_t after) {
    return after >= before ? after - before : after;
}

struct Judged {
    std::uint64_t played = 0, sound = 0, received = 0, lost = 0;
    bool sounding_throughout = true, silent_throughout = true, expected = true, online = true;
};

Judged judge(const std::deque<PlaySample>& samples) {
    Judged j;
    const auto& first = samples.front();
    const auto& last = samples.back();
    j.played = grown(first.played_ms, last.played_ms);
    j.sound = grown(first.sound_ms, last.sound_ms);
    j.received = grown(first.received, last.received);
    j.lost = grown(first.lost, last.lost);
    for (const auto& s : samples) {
        j.sounding_throughout = j.sounding_throughout && s.channel_sound;
        j.silent_throughout = j.silent_throughout && !s.channel_sound;
        j.expected = j.expected && s.expected;
        j.online = j.online && s.online;
    }
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
    f.figures = {
        {"window_s", window.count()}, {"played_ms", j.played}, {"sound_ms", j.sound},
        {"received", j.received},     {"lost", j.lost},        {"level_dbfs", last.level_dbfs}};
    return f;
}

} // namespace

PlaySample play_sample(const ReceiverView& receiver, bool channel_sound,
                       std::chrono::steady_clock::time_point at) {
    PlaySample s;
    s.at = at;
    s.online = receiver.online && receiver.seen;
    s.expected = s.online && !receiver.muted && receiver.volume > 0;
    s.channel_sound = channel_sound;
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
    for (auto& [id, sample] : samples) {
        auto& kept = clusters_[id];
        auto horizon = sample.at - window_;
        kept.push_back(sample);
        // One sample at or before the window's start stays: the counters' baseline.
        while (kept.size() >= 2 && kept[1].at <= horizon)
            kept.pop_front();
    }
}

PlayFaults play_faults(const PlayHistory& history,
                       const std::map<std::string, std::int64_t>& unit_of,
                       const SupervisionSettings& settings) {
    PlayFaults out;
    auto window = history.window();
    for (const auto& [id, samples] : history.clusters()) {
        const auto& last = samples.back();
        bool spans = samples.front().at <= last.at - window;
        Judged j = judge(samples);
        if (!spans || !j.online) {
            out.undetermined.insert(id);
            out.unknown_unbidden.insert(id);
            continue;
        }
        if (!j.expected)
            continue; // muted or turned down on purpose: nothing is owed, every alarm clears
        auto secs = std::to_string(window.count());
        if (j.sounding_throughout) {
            if (j.received == 0) {
                out.no_media.push_back(
                    cluster_fault(AlarmKind::cluster_no_media, id, unit_of, Severity::major,
                                  join({"Cụm thu ", id, " không nhận được gói tin nào trong ", secs,
                                        " giây khi kênh đang phát"}),
                                  join({"Cluster ", id, " received nothing for ", secs,
                                        " s while its channel plays"}),
                                  j, last, window));
                continue;
            }
            auto percent = j.lost * 100 / (j.received + j.lost);
            if (percent > static_cast<std::uint64_t>(settings.loss_max_percent))
                out.lossy.push_back(cluster_fault(
                    AlarmKind::cluster_lossy, id, unit_of, Severity::minor,
                    join({"Cụm thu ", id, " mất ", std::to_string(percent), "% gói tin"}),
                    join({"Cluster ", id, " loses ", std::to_string(percent), "% of packets"}), j,
                    last, window));
            if (j.sound == 0)
                out.silent.push_back(
                    cluster_fault(AlarmKind::cluster_silent, id, unit_of, Severity::major,
                                  join({"Cụm thu ", id, " không phát ra âm thanh trong ", secs,
                                        " giây dù kênh đang phát"}),
                                  join({"Cluster ", id, " played no sound for ", secs,
                                        " s while its channel plays"}),
                                  j, last, window));
            continue;
        }
        if (!j.silent_throughout) {
            out.undetermined.insert(id);
            out.unknown_unbidden.insert(id);
            continue;
        }
        out.undetermined.insert(id); // nothing to receive: media and proof cannot be judged
        auto half = static_cast<std::uint64_t>(window.count()) * 500;
        if (j.sound >= half)
            out.unbidden.push_back(
                cluster_fault(AlarmKind::cluster_unbidden, id, unit_of, Severity::minor,
                              join({"Cụm thu ", id, " phát ra âm thanh khi kênh không phát gì"}),
                              join({"Cluster ", id, " plays sound while its channel is silent"}), j,
                              last, window));
    }
    return out;
}

std::vector<Fault> dead_air_faults(const std::vector<ProgramSound>& programs,
                                   const std::map<std::string, std::int64_t>& unit_of_channel,
                                   const SupervisionSettings& settings) {
    std::vector<Fault> out;
    for (const auto& p : programs) {
        if (p.silent_for < settings.dead_air_after)
            continue;
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(p.silent_for).count();
        std::string channels;
        boost::json::array listed;
        for (const auto& c : p.channels) {
            channels += channels.empty() ? "" : ", ";
            channels += c;
            listed.emplace_back(c);
        }
        Fault f;
        f.kind = AlarmKind::dead_air;
        f.subject = p.key;
        // The unit of its first channel: the province's channel, or the commune it airs in.
        if (!p.channels.empty())
            if (auto it = unit_of_channel.find(*p.channels.begin()); it != unit_of_channel.end())
                f.unit = it->second;
        f.severity = Severity::major;
        auto secs = std::to_string(seconds);
        f.text_vi = join({"Kênh ", channels, " im lặng ", secs, " giây trong khi đang phát"});
        f.text_en = join({"Dead air on ", channels, ": silent for ", secs, " s during an airing"});
        f.figures = {{"program", p.key},
                     {"channels", std::move(listed)},
                     {"silent_s", seconds},
                     {"level_dbfs", p.level_dbfs},
                     {"dead_air_s", settings.dead_air_after.count()}};
        out.push_back(std::move(f));
    }
    return out;
}

} // namespace loa::server
