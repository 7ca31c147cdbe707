#include "loa/server/supervision/airing_checks.hpp"

#include <algorithm>
#include <utility>

namespace loa::server {
namespace {

/// A program's channels, for a text ("70-001, 70-002") and for figures.
std::pair<std::string, boost::json::array> listed_channels(const std::set<std::string>& channels) {
    std::string text;
    boost::json::array listed;
    for (const auto& c : channels) {
        text += text.empty() ? "" : ", ";
        text += c;
        listed.emplace_back(c);
    }
    return {std::move(text), std::move(listed)};
}

/// One channel: its unit's operators are told; many (a province's program): the province's.
std::optional<std::int64_t> unit_of_program(
    const ProgramSound& p,
    const std::function<std::optional<std::int64_t>(const std::string&)>& unit_of_channel,
    std::optional<std::int64_t> province) {
    return p.channels.size() == 1 ? unit_of_channel(*p.channels.begin()) : province;
}

} // namespace

std::vector<Fault> dead_air_faults(
    const std::vector<ProgramSound>& programs,
    const std::function<std::optional<std::int64_t>(const std::string&)>& unit_of_channel,
    std::optional<std::int64_t> province, const SupervisionSettings& settings,
    std::set<std::string>& undetermined) {
    std::vector<Fault> out;
    for (const auto& p : programs) {
        if (p.silent_for < settings.dead_air_after) {
            // Silent since it went on air (or since the server started again): not long enough
            // to say, and an alarm it had stays.
            if (p.silent_for >= p.on_air_for - std::chrono::milliseconds(500))
                undetermined.insert(p.key);
            continue;
        }
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(p.silent_for).count();
        auto [channels, listed] = listed_channels(p.channels);
        Fault f;
        f.kind = AlarmKind::dead_air;
        f.subject = p.key;
        // One channel: its unit's operators are told; many (a province's program): the
        // province's.
        f.unit = unit_of_program(p, unit_of_channel, province);
        f.severity = Severity::major;
        auto secs = std::to_string(seconds);
        f.text_vi = concat({"Kênh ", channels, " im lặng ", secs, " giây trong khi đang phát"});
        f.text_en =
            concat({"Dead air on ", channels, ": silent for ", secs, " s during an airing"});
        f.figures = {{"program", p.key},
                     {"channels", std::move(listed)},
                     {"silent_s", seconds},
                     {"level_dbfs", p.level_dbfs},
                     {"dead_air_s", settings.dead_air_after.count()}};
        out.push_back(std::move(f));
    }
    return out;
}

std::vector<Fault> late_airing_faults(
    const std::vector<ProgramSound>& programs,
    const std::function<std::optional<std::int64_t>(const std::string&)>& unit_of_channel,
    std::optional<std::int64_t> province, const SupervisionSettings& settings,
    std::set<std::string>& undetermined) {
    std::vector<Fault> out;
    for (const auto& p : programs) {
        if (p.started)
            continue;
        if (p.on_air_for < settings.airing_late) {
            undetermined.insert(p.key);
            continue;
        }
        auto [channels, listed] = listed_channels(p.channels);
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(p.on_air_for).count();
        auto secs = std::to_string(seconds);
        Fault f;
        f.kind = AlarmKind::airing_late;
        f.subject = p.key;
        f.unit = unit_of_program(p, unit_of_channel, province);
        f.severity = Severity::major;
        f.text_vi = concat({"Chương trình trên kênh ", channels, " chưa có âm thanh sau ", secs,
                            " giây kể từ giờ phát"});
        f.text_en = concat(
            {"The airing on ", channels, " has had no audio for ", secs, " s since its time"});
        f.figures = {{"program", p.key},
                     {"channels", std::move(listed)},
                     {"on_air_s", seconds},
                     {"airing_late_s", settings.airing_late.count()}};
        out.push_back(std::move(f));
    }
    return out;
}

std::vector<Fault> failed_airing_faults(const std::vector<FailedAiring>& failed,
                                        std::chrono::system_clock::time_point now,
                                        const SupervisionSettings& settings,
                                        std::optional<std::int64_t> province) {
    std::vector<Fault> out;
    for (const auto& a : failed) {
        if (a.at <= now - settings.event_hold || a.at > now)
            continue;
        Fault f;
        f.kind = AlarmKind::airing_failed;
        f.subject = a.key;
        f.unit = a.unit ? a.unit : province;
        f.severity = a.emergency ? Severity::critical : Severity::major;
        auto title = a.title.empty() ? a.key : concat({"\"", a.title, "\""});
        f.text_vi = concat({"Chương trình ", title, " không phát được: ", a.reason});
        f.text_en = concat({"The airing of ", title, " failed: ", a.reason});
        f.figures = {{"program", a.key},
                     {"title", a.title},
                     {"reason", a.reason},
                     {"failed_at_ms",
                      std::chrono::duration_cast<std::chrono::milliseconds>(a.at.time_since_epoch())
                          .count()},
                     {"event_hold_s", settings.event_hold.count()}};
        // An airing that failed again (made ready, then not put on air) is one alarm: the
        // first failure says most.
        if (std::none_of(out.begin(), out.end(),
                         [&](const Fault& o) { return o.subject == f.subject; }))
            out.push_back(std::move(f));
    }
    return out;
}

void EventWatch::observe(std::uint64_t count, std::chrono::steady_clock::time_point now) {
    if (count <= count_)
        return;
    if (!recent(now)) // a new episode
        episode_base_ = count_;
    count_ = count;
    grew_at_ = now;
}

bool EventWatch::recent(std::chrono::steady_clock::time_point now) const {
    return grew_at_ && now - *grew_at_ < hold_;
}

std::vector<Fault> fanout_faults(const EventWatch& drops, std::chrono::steady_clock::time_point now,
                                 std::optional<std::int64_t> province) {
    if (!drops.recent(now))
        return {};
    auto dropped = std::to_string(drops.in_episode());
    Fault f;
    f.kind = AlarmKind::fanout_behind;
    f.subject = "server";
    f.unit = province;
    f.severity = Severity::major;
    f.text_vi =
        concat({"Máy chủ phân phối chậm so với thời gian thực: đã bỏ ", dropped, " gói âm thanh"});
    f.text_en = concat({"The media path fell behind real time: ", dropped, " frames dropped"});
    f.figures = {{"dropped", drops.in_episode()}, {"dropped_since_start", drops.count()}};
    return {std::move(f)};
}

std::vector<Fault> database_faults(const EventWatch& errors, const std::string& last,
                                   std::chrono::steady_clock::time_point now,
                                   std::optional<std::int64_t> province) {
    if (!errors.recent(now))
        return {};
    auto count = std::to_string(errors.in_episode());
    // The message, without the statement it names (kept in the figures).
    auto message = std::string_view(last).substr(0, last.find(" (in: "));
    Fault f;
    f.kind = AlarmKind::database_errors;
    f.subject = "server";
    f.unit = province;
    f.severity = Severity::major;
    f.text_vi = concat({"Cơ sở dữ liệu báo ", count, " lỗi; lỗi cuối: ", message});
    f.text_en = concat({"The database failed ", count, " times; the last: ", message});
    f.figures = {
        {"errors", errors.in_episode()}, {"errors_since_start", errors.count()}, {"last", last}};
    return {std::move(f)};
}

} // namespace loa::server
