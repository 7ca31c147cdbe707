#include "loa/server/supervision/checks.hpp"

namespace loa::server {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

} // namespace

std::vector<Fault> offline_faults(const std::vector<ReceiverView>& receivers,
                                  const std::map<std::string, std::int64_t>& unit_of,
                                  std::chrono::seconds up, std::chrono::seconds grace,
                                  std::chrono::system_clock::time_point now,
                                  std::set<std::string>& undetermined) {
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    auto grace_ms = std::chrono::milliseconds(grace).count();
    std::vector<Fault> out;
    for (const auto& r : receivers) {
        bool waiting = up < grace || now_ms.count() - r.provisioned_at_ms < grace_ms;
        if (r.online)
            continue;
        if (!r.seen && waiting) {
            undetermined.insert(r.id);
            continue;
        }
        Fault f;
        f.kind = AlarmKind::cluster_offline;
        f.subject = r.id;
        if (auto it = unit_of.find(r.id); it != unit_of.end())
            f.unit = it->second;
        f.severity = Severity::major;
        std::string name = r.name.empty() ? r.id : r.id + " (" + r.name + ")";
        f.text_vi = "Cụm thu " + name + " mất kết nối với máy chủ";
        f.text_en = "Cluster " + name + " is offline";
        f.figures = {
            {"unit", r.unit}, {"seen_since_start", r.seen}, {"offline_grace_s", grace.count()}};
        if (r.seen) {
            f.figures["last_seen_ms"] = r.last_seen_ms;
            f.figures["address"] = r.address;
        }
        out.push_back(std::move(f));
    }
    return out;
}

std::vector<Fault> disk_faults(const std::optional<DiskSpace>& space, const std::string& state_dir,
                               const SupervisionSettings& settings,
                               std::optional<std::int64_t> server_unit) {
    if (!space || space->total == 0)
        return {};
    auto min_bytes = static_cast<std::uint64_t>(settings.disk_free_min_mb) * kMiB;
    auto min_share =
        space->total / 100 * static_cast<std::uint64_t>(settings.disk_free_min_percent);
    if (space->free >= min_bytes && space->free >= min_share)
        return {};
    auto free_mb = static_cast<std::int64_t>(space->free / kMiB);
    auto percent = static_cast<double>(space->free) * 100.0 / static_cast<double>(space->total);
    Fault f;
    f.kind = AlarmKind::disk_low;
    f.subject = "server";
    f.unit = server_unit;
    // Nearly full: the database and the as-run log stop being written.
    f.severity = space->free < min_bytes / 4 ? Severity::critical : Severity::major;
    f.text_vi =
        "Ổ đĩa máy chủ sắp đầy: còn " + std::to_string(free_mb) + " MB trống ở " + state_dir;
    f.text_en =
        "The server's disk is nearly full: " + std::to_string(free_mb) + " MB free in " + state_dir;
    f.figures = {{"free_mb", free_mb},
                 {"free_percent", percent},
                 {"total_mb", static_cast<std::int64_t>(space->total / kMiB)},
                 {"min_free_mb", settings.disk_free_min_mb},
                 {"min_free_percent", settings.disk_free_min_percent}};
    return {std::move(f)};
}

std::vector<Fault> clock_faults(std::optional<bool> synchronised,
                                const SupervisionSettings& settings,
                                std::optional<std::int64_t> server_unit) {
    if (!settings.clock_check || !synchronised || *synchronised)
        return {};
    Fault f;
    f.kind = AlarmKind::clock_unsynchronised;
    f.subject = "server";
    f.unit = server_unit;
    f.severity = Severity::major;
    f.text_vi = "Đồng hồ máy chủ chưa được đồng bộ thời gian (NTP); lịch phát dựa vào nó";
    f.text_en = "The server's clock is not synchronised (NTP); the schedules rely on it";
    f.figures = {{"synchronised", false}};
    return {std::move(f)};
}

std::vector<Fault> certificate_faults(std::optional<std::chrono::system_clock::time_point> expiry,
                                      std::chrono::system_clock::time_point now,
                                      const SupervisionSettings& settings,
                                      std::optional<std::int64_t> server_unit) {
    if (!expiry || *expiry - now > std::chrono::days(settings.certificate_warn_days))
        return {};
    auto left = std::chrono::duration_cast<std::chrono::hours>(*expiry - now).count();
    Fault f;
    f.kind = AlarmKind::certificate_expiring;
    f.subject = "server";
    f.unit = server_unit;
    bool expired = *expiry <= now;
    f.severity = expired ? Severity::critical : Severity::warning;
    std::string days = std::to_string(left / 24);
    f.text_vi = expired ? "Chứng chỉ TLS của máy chủ đã hết hạn: trình duyệt và cụm thu sẽ từ chối"
                        : "Chứng chỉ TLS của máy chủ hết hạn sau " + days + " ngày";
    f.text_en = expired ? "The server's TLS certificate has expired: browsers and clusters will "
                          "refuse it"
                        : "The server's TLS certificate expires in " + days + " days";
    f.figures = {
        {"expires_at_ms",
         std::chrono::duration_cast<std::chrono::milliseconds>(expiry->time_since_epoch()).count()},
        {"hours_left", left},
        {"warn_days", settings.certificate_warn_days}};
    return {std::move(f)};
}

std::vector<Fault> backup_faults(const BackupState& state,
                                 std::chrono::system_clock::time_point now,
                                 std::chrono::system_clock::time_point up_since,
                                 std::chrono::hours late_after,
                                 std::optional<std::int64_t> server_unit) {
    if (!state.enabled)
        return {};
    std::vector<Fault> out;
    auto fault = [&](AlarmKind kind, Severity severity) -> Fault& {
        Fault& f = out.emplace_back();
        f.kind = kind;
        f.subject = "server";
        f.unit = server_unit;
        f.severity = severity;
        return f;
    };
    if (!state.last_error.empty()) {
        Fault& f = fault(AlarmKind::backup_failed, Severity::major);
        f.text_vi = "Sao lưu thất bại: " + state.last_error;
        f.text_en = "The backup failed: " + state.last_error;
        f.figures = {{"dir", state.dir}, {"failures", state.failures}, {"error", state.last_error}};
    }
    using std::chrono::system_clock;
    auto newest = state.newest
                      ? system_clock::time_point(std::chrono::milliseconds(state.newest->taken_ms))
                      : up_since;
    if (now - newest > late_after) {
        auto hours = std::chrono::duration_cast<std::chrono::hours>(now - newest).count();
        Fault& f = fault(AlarmKind::backup_late, Severity::minor);
        std::string newest_name = state.newest ? state.newest->name : std::string();
        f.text_vi = state.newest ? "Không có bản sao lưu nào trong " + std::to_string(hours) +
                                       " giờ qua (mới nhất: " + newest_name + ")"
                                 : "Chưa có bản sao lưu nào ở " + state.dir;
        f.text_en = state.newest ? "No backup in the last " + std::to_string(hours) +
                                       " hours (newest: " + newest_name + ")"
                                 : "No backup in " + state.dir + " yet";
        f.figures = {{"dir", state.dir},
                     {"hours_since", hours},
                     {"late_after_h", late_after.count()},
                     {"newest", newest_name}};
    }
    return out;
}

} // namespace loa::server
