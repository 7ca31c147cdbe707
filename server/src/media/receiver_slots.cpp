// Receivers on the media plane: those of the configuration and those provisioned at run time,
// each with its link, its place in the fan-out, its home channel and its own; removed ones let
// go of everything (the fan-out shard frees the link once the removal is applied).
#include <fstream>

#include "loa/common/logging.hpp"
#include "loa/common/persistent_counter.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/ssrc.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/media/media_server.hpp"

namespace loa::server {
namespace {

auto log() {
    static auto logger = common::logger("media");
    return logger;
}

} // namespace

void MediaServer::add_receivers() {
    auto floors = load_report_positions();
    for (const auto& r : settings_.receivers) {
        std::optional<pipeline::ReportPosition> floor;
        if (auto it = floors.find(r.id); it != floors.end())
            floor = it->second;
        if (auto added = attach(r.id, *router_->find_channel(r.channel), r.key, r.address, floor);
            !added)
            throw std::runtime_error(added.error().message);
    }
}

common::Result<void> MediaServer::attach(const std::string& id, std::uint32_t channel,
                                         const std::vector<std::uint8_t>& key,
                                         std::optional<pipeline::Endpoint> address,
                                         std::optional<pipeline::ReportPosition> floor) {
    std::lock_guard lock(receivers_mutex_);
    if (receivers_.contains(id))
        return common::make_error(common::Errc::already_exists, "receiver " + id + " exists");
    auto link = std::make_shared<pipeline::ReceiverLink>();
    if (address)
        link->address.store(address->packed());
    pipeline::ReceiverSpec spec{id, channel, settings_.profile, key, address};
    std::optional<pipeline::SrtpSession> session;
    std::uint32_t ssrc = pipeline::ssrc_for(epoch_, id);
    if (settings_.key_mode == KeyMode::per_receiver) {
        auto created = pipeline::SrtpSession::outbound(settings_.profile, key, ssrc);
        if (!created)
            return common::make_error(created.error().code,
                                      "receiver " + id + ": " + created.error().message);
        session.emplace(std::move(created).value());
    }
    if (auto added = reports_->add_receiver(spec, link.get(), floor); !added)
        return added;
    // Each receiver also has a channel of its own, for what targets it alone. In group key
    // mode a receiver only holds its channel's key, so it cannot be addressed alone.
    auto own_channel = schedules::cluster_channel(id);
    if (settings_.key_mode == KeyMode::per_receiver && !private_channel_.contains(own_channel)) {
        auto own = router_->find_channel(own_channel);
        private_channel_[own_channel] = own ? *own : router_->add_channel(own_channel);
    }
    auto handle =
        fanout_->add_receiver(channel, fresh_stream(ssrc), std::move(session), link.get(), link);
    receivers_[id] = ReceiverSlot{std::move(link), handle, channel, channel};
    return {};
}

common::Result<void> MediaServer::add_receiver(const std::string& id, const std::string& channel,
                                               const std::vector<std::uint8_t>& key) {
    auto index = router_ ? router_->find_channel(channel) : std::nullopt;
    if (!index)
        return common::make_error(common::Errc::not_found, "no channel " + channel);
    return attach(id, *index, key, std::nullopt, std::nullopt);
}

common::Result<void> MediaServer::remove_receiver(const std::string& id) {
    std::lock_guard lock(receivers_mutex_);
    auto it = receivers_.find(id);
    if (it == receivers_.end())
        return common::make_error(common::Errc::not_found, "no receiver " + id);
    fanout_->remove_receiver(it->second.handle);
    reports_->remove_receiver(id);
    // The link goes with the last of its holders: this slot now, the shard once it has
    // applied the removal (it may be sending to it this very moment).
    receivers_.erase(it);
    return {};
}

common::Result<void> MediaServer::rekey_receiver(const std::string& id,
                                                 const std::vector<std::uint8_t>& key) {
    std::lock_guard lock(receivers_mutex_);
    auto it = receivers_.find(id);
    if (it == receivers_.end())
        return common::make_error(common::Errc::not_found, "no receiver " + id);
    if (settings_.key_mode == KeyMode::per_receiver) {
        auto session = pipeline::SrtpSession::outbound(settings_.profile, key, receiver_ssrc(id));
        if (!session)
            return common::make_error(session.error().code,
                                      "receiver " + id + ": " + session.error().message);
        fanout_->rekey_receiver(it->second.handle, std::move(session).value());
    }
    return reports_->rekey_receiver(id, key);
}

std::uint32_t MediaServer::receiver_ssrc(const std::string& id) const {
    return pipeline::ssrc_for(epoch_, id);
}

std::string MediaServer::positions_file() const {
    return settings_.state_dir + "/report-positions";
}

std::map<std::string, pipeline::ReportPosition> MediaServer::load_report_positions() const {
    std::map<std::string, pipeline::ReportPosition> floors;
    std::ifstream in(positions_file());
    std::string id;
    pipeline::ReportPosition p;
    while (in >> id >> p.ssrc >> p.index)
        floors[id] = p;
    return floors;
}

void MediaServer::save_report_positions() {
    std::string text;
    {
        std::lock_guard lock(receivers_mutex_);
        for (const auto& [id, r] : receivers_) {
            auto p = pipeline::ReportPosition::unpack(r.link->report_position.load());
            if (p.ssrc != 0 || p.index != 0)
                text += id + " " + std::to_string(p.ssrc) + " " + std::to_string(p.index) + "\n";
        }
    }
    if (text == saved_positions_)
        return;
    if (auto written = common::write_file_durably(positions_file(), text); !written) {
        log()->warn("cannot save the receivers' report positions: {}", written.error().message);
        return;
    }
    saved_positions_ = std::move(text);
}

std::vector<ReceiverStatus> MediaServer::receiver_status() const {
    std::vector<ReceiverStatus> out;
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      clock_.steady_now().time_since_epoch())
                      .count();
    std::lock_guard lock(receivers_mutex_);
    for (const auto& [id, slot] : receivers_) {
        const auto& link = *slot.link;
        ReceiverStatus r;
        r.id = id;
        r.address = pipeline::Endpoint::from_packed(link.address.load()).to_string();
        r.packets_sent = link.packets_sent.load();
        r.reports = link.reports.load();
        if (r.reports > 0)
            r.seconds_since_report =
                static_cast<double>(now_ms - link.last_report_ms.load()) / 1000;
        r.loss_percent = link.fraction_lost.load() * 100.0 / 256;
        r.cumulative_lost = link.cumulative_lost.load();
        r.jitter_ms = link.jitter.load() / 48.0;
        out.push_back(std::move(r));
    }
    return out;
}

std::function<std::int64_t()> MediaServer::reach_counter(const std::string& channel) const {
    std::lock_guard lock(receivers_mutex_);
    auto index = channel_index(channel);
    // Each link is held by the counter: a receiver removed meanwhile still counts as reached
    // or not by what it was sent before.
    std::vector<std::pair<std::shared_ptr<const pipeline::ReceiverLink>, std::uint64_t>> start;
    if (index)
        for (const auto& [id, r] : receivers_)
            if (r.current == *index)
                start.emplace_back(r.link, r.link->packets_sent.load());
    return [start = std::move(start)] {
        return static_cast<std::int64_t>(std::count_if(start.begin(), start.end(), [](auto& s) {
            return s.first->packets_sent.load() > s.second;
        }));
    };
}

} // namespace loa::server
