#include "loa/server/monitoring/figures_log.hpp"

#include "loa/common/logging.hpp"

namespace loa::server {

void log_figures(const MediaServer& media) {
    auto s = media.stats();
    common::logger("server")->info(
        "sent {} packets, {} receivers latched, drops: send {} queue {} router {}; reports: "
        "{} accepted, {} rejected, {} unknown",
        s.fanout.packets_sent, s.receivers_latched, s.fanout.send_drops, s.fanout.queue_drops,
        s.router_drops, s.reports.accepted, s.reports.rejected, s.reports.unknown_receiver);
}

void log_troubled_receivers(const MediaServer& media) {
    constexpr std::size_t kMaxLines = 20;
    auto log = common::logger("server");
    std::size_t shown = 0, troubled = 0;
    for (const auto& r : media.receiver_status()) {
        bool silent = r.seconds_since_report < 0 || r.seconds_since_report > 30;
        if (!silent && r.loss_percent <= 5)
            continue;
        if (++troubled <= kMaxLines) {
            ++shown;
            log->info("receiver {}: at {}, {} reports, last {:.0f} s ago, loss {:.1f} %, "
                      "jitter {:.1f} ms",
                      r.id, r.address, r.reports, r.seconds_since_report, r.loss_percent,
                      r.jitter_ms);
        }
    }
    if (troubled > shown)
        log->info("... and {} more receivers silent or lossy", troubled - shown);
}

} // namespace loa::server
