// Which backups are kept (grandfather-father-son), and removing the others.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <tuple>

#include "loa/common/logging.hpp"
#include "loa/schedules/recurrence.hpp"
#include "loa/server/backups/backup.hpp"

namespace loa::server {
namespace {

namespace fs = std::filesystem;

auto log() {
    static auto logger = common::logger("backups");
    return logger;
}

/// A backup with the day, week (its Monday) and month it was taken in, local time.
struct Dated {
    const Backup* backup;
    std::string day, week, month;
};

std::optional<Dated> dated(const Backup& b, const std::string& time_zone) {
    auto local = schedules::utc_to_local(
        schedules::TimePoint(std::chrono::seconds(b.taken_ms / 1000)), time_zone);
    int y = 0;
    unsigned m = 0, d = 0;
    if (!local || std::sscanf(local->c_str(), "%d-%u-%u", &y, &m, &d) != 3)
        return std::nullopt;
    std::chrono::sys_days date = std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d);
    auto monday = date - std::chrono::days((std::chrono::weekday(date).c_encoding() + 6) % 7);
    std::chrono::year_month_day week(monday);
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(week.year()),
                  static_cast<unsigned>(week.month()), static_cast<unsigned>(week.day()));
    return Dated{&b, local->substr(0, 10), text, local->substr(0, 7)};
}

} // namespace

std::set<std::string> kept_backups(const std::vector<Backup>& backups, const Retention& keep) {
    std::set<std::string> kept;
    std::vector<Dated> newest_first;
    for (const auto& b : backups) {
        if (auto d = dated(b, keep.time_zone))
            newest_first.push_back(*d);
        else
            kept.insert(b.name); // a date that cannot be read is not a reason to delete
    }
    std::sort(newest_first.begin(), newest_first.end(), [](const Dated& a, const Dated& b) {
        // Within one second, the later of loa-NAME and loa-NAME-2.
        return std::tie(a.backup->taken_ms, a.backup->name) >
               std::tie(b.backup->taken_ms, b.backup->name);
    });
    // The newest backup of each of the last `count` periods that have one.
    auto newest_of = [&](const std::function<const std::string&(const Dated&)>& period, int count) {
        std::set<std::string> periods;
        for (const auto& d : newest_first) {
            if (periods.contains(period(d)))
                continue;
            if (static_cast<int>(periods.size()) >= count)
                break;
            periods.insert(period(d));
            kept.insert(d.backup->name);
        }
    };
    newest_of([](const Dated& d) -> const std::string& { return d.day; }, keep.daily);
    newest_of([](const Dated& d) -> const std::string& { return d.week; }, keep.weekly);
    newest_of([](const Dated& d) -> const std::string& { return d.month; }, keep.monthly);
    if (!newest_first.empty())
        kept.insert(newest_first.front().backup->name); // the last one, whatever the settings
    return kept;
}

common::Result<std::vector<std::string>> prune_backups(const std::string& dir,
                                                       const Retention& keep) {
    auto backups = list_backups(dir);
    auto kept = kept_backups(backups, keep);
    std::vector<std::string> removed;
    std::set<std::string> needed;
    std::error_code ec;
    for (const auto& b : backups) {
        if (kept.contains(b.name)) {
            for (const auto& m : b.media)
                needed.insert(m.name);
            continue;
        }
        fs::remove_all(b.path, ec);
        if (ec)
            return common::make_error(common::Errc::io_error,
                                      "cannot remove " + b.path + ": " + ec.message());
        removed.push_back(b.name);
        log()->info("backup {} removed (retention)", b.name);
    }
    // A backup folder whose manifest cannot be read (or one being written) may need any
    // media: then the pool is left whole.
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        auto name = entry.path().filename().string();
        bool listed = std::any_of(backups.begin(), backups.end(),
                                  [&](const Backup& b) { return b.path == entry.path().string(); });
        if ((name.starts_with("loa-") && !listed) || name.starts_with(".partial-")) {
            log()->warn("{}: the backups' media are kept whole", entry.path().string());
            return removed;
        }
    }
    for (const auto& entry : fs::directory_iterator(fs::path(dir) / "media", ec))
        if (!needed.contains(entry.path().filename().string()))
            fs::remove(entry.path(), ec);
    return removed;
}

} // namespace loa::server
