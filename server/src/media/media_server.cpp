#include "loa/server/media/media_server.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "loa/common/logging.hpp"
#include "loa/common/persistent_counter.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/ssrc.hpp"
#include "loa/schedules/store.hpp"

namespace loa::server {
namespace {

auto log() {
    static auto logger = common::logger("media");
    return logger;
}

const char* state_name(pipeline::SourceState state) {
    switch (state) {
    case pipeline::SourceState::starting:
        return "starting";
    case pipeline::SourceState::playing:
        return "playing";
    case pipeline::SourceState::ended:
        return "ended";
    case pipeline::SourceState::failed:
        return "failed";
    case pipeline::SourceState::retrying:
        return "retrying";
    }
    return "?";
}

pipeline::RtpStream fresh_stream(std::uint32_t ssrc) {
    std::uint16_t sequence = 0;
    std::uint32_t offset = 0;
    common::random_bytes(&sequence, sizeof sequence);
    common::random_bytes(&offset, sizeof offset);
    // Random, but in the lower half: no wrap in the first 11 minutes, so a standard player
    // given the SDP soon after a start can assume rollover counter 0 (Loa's own receivers
    // find it in any case).
    sequence &= 0x7fff;
    return pipeline::RtpStream(ssrc, sequence, offset);
}

bool same_spec(const pipeline::SourceSpec& a, const pipeline::SourceSpec& b) {
    return a.kind == b.kind && a.location == b.location && a.frequency_hz == b.frequency_hz &&
           a.loop == b.loop;
}

} // namespace

MediaServer::MediaServer(Settings settings, const common::Clock& clock)
    : settings_(std::move(settings)), clock_(clock) {}

MediaServer::~MediaServer() {
    stop();
}

void MediaServer::start() {
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.system_now().time_since_epoch());
    auto epoch = common::advance_persistent_counter(epoch_file(settings_),
                                                    static_cast<std::uint32_t>(now.count()));
    if (!epoch)
        throw std::runtime_error("cannot take a media epoch: " + epoch.error().message);
    epoch_ = *epoch;

    auto bind = pipeline::Endpoint::parse(settings_.media_bind + ":" +
                                          std::to_string(settings_.media_port));
    auto socket = pipeline::UdpSocket::bind(*bind);
    if (!socket)
        throw std::runtime_error(socket.error().message);
    socket_ = std::make_unique<pipeline::UdpSocket>(std::move(socket).value());

    fanout_ = std::make_unique<pipeline::FanOut>(socket_->fd(), settings_.workers);
    router_ = std::make_unique<pipeline::Router>(*fanout_, clock_);
    reports_ = std::make_unique<pipeline::ReportListener>(socket_->fd(), clock_);

    add_channels();
    add_receivers();

    fanout_->start();
    router_->start();
    reports_->start();
    apply_bindings(settings_.channels);
    log()->info("media plane on UDP {}:{}, epoch {}, {} channel(s), {} receiver(s), {}",
                settings_.media_bind, media_port(), epoch_, router_->channel_count(),
                settings_.receivers.size(), pipeline::to_string(settings_.profile));
}

void MediaServer::add_channels() {
    for (const auto& id : all_channels(settings_)) {
        std::optional<pipeline::GroupKey> group;
        if (settings_.key_mode == KeyMode::group) {
            auto configured = std::find_if(settings_.channels.begin(), settings_.channels.end(),
                                           [&](const ChannelSettings& c) { return c.id == id; });
            std::uint32_t ssrc = pipeline::ssrc_for(epoch_, id);
            auto session =
                pipeline::SrtpSession::outbound(settings_.profile, configured->group_key, ssrc);
            if (!session)
                throw std::runtime_error("channel " + id + ": " + session.error().message);
            group.emplace(pipeline::GroupKey{fresh_stream(ssrc), std::move(session).value()});
        }
        router_->add_channel(id, std::move(group));
    }
}

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
    std::lock_guard lock(sources_mutex_);
    if (receiver_of_.contains(schedules::cluster_channel(id)))
        return common::make_error(common::Errc::already_exists, "receiver " + id + " exists");
    auto link = std::make_unique<pipeline::ReceiverLink>();
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
    if (settings_.key_mode == KeyMode::per_receiver &&
        !private_channel_.contains(schedules::cluster_channel(id))) {
        auto own = router_->find_channel(schedules::cluster_channel(id));
        private_channel_[schedules::cluster_channel(id)] =
            own ? *own : router_->add_channel(schedules::cluster_channel(id));
    }
    handles_.push_back(
        fanout_->add_receiver(channel, fresh_stream(ssrc), std::move(session), link.get()));
    home_channel_.push_back(channel);
    current_channel_.push_back(channel);
    receiver_ids_.push_back(id);
    removed_.push_back(false);
    receiver_of_[schedules::cluster_channel(id)] = links_.size();
    links_.push_back(std::move(link));
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
    std::lock_guard lock(sources_mutex_);
    auto it = receiver_of_.find(schedules::cluster_channel(id));
    if (it == receiver_of_.end())
        return common::make_error(common::Errc::not_found, "no receiver " + id);
    auto i = it->second;
    fanout_->remove_receiver(handles_[i]);
    reports_->remove_receiver(id);
    removed_[i] = true;
    receiver_of_.erase(it);
    // The link stays allocated: the fan-out may still hold it until its next delivery.
    return {};
}

common::Result<void> MediaServer::rekey_receiver(const std::string& id,
                                                 const std::vector<std::uint8_t>& key) {
    std::lock_guard lock(sources_mutex_);
    auto it = receiver_of_.find(schedules::cluster_channel(id));
    if (it == receiver_of_.end())
        return common::make_error(common::Errc::not_found, "no receiver " + id);
    if (settings_.key_mode == KeyMode::per_receiver) {
        auto session = pipeline::SrtpSession::outbound(settings_.profile, key, receiver_ssrc(id));
        if (!session)
            return common::make_error(session.error().code,
                                      "receiver " + id + ": " + session.error().message);
        fanout_->rekey_receiver(handles_[it->second], std::move(session).value());
    }
    return reports_->rekey_receiver(id, key);
}

std::uint32_t MediaServer::receiver_ssrc(const std::string& id) const {
    return pipeline::ssrc_for(epoch_, id);
}

std::optional<std::vector<std::uint8_t>> MediaServer::group_key(const std::string& channel) const {
    for (const auto& c : settings_.channels)
        if (c.id == channel && !c.group_key.empty())
            return c.group_key;
    return std::nullopt;
}

std::uint32_t MediaServer::source_index(const pipeline::SourceSpec& spec) {
    std::uint32_t index = 0;
    if (auto it = source_ids_.find(spec.id); it != source_ids_.end()) {
        index = it->second;
        if (same_spec(sources_[index]->spec(), spec))
            return index;
        sources_[index]->stop(); // its description changed: replaced below
        running_[index] = false;
    } else {
        index = static_cast<std::uint32_t>(sources_.size());
        sources_.emplace_back();
        running_.push_back(false);
        source_ids_[spec.id] = index;
    }
    auto on_frame = [router = router_.get(), index](const pipeline::OpusFrame& frame) {
        router->post_frame(index, frame);
    };
    auto on_state = [id = spec.id](pipeline::SourceState state, const std::string& detail) {
        if (state == pipeline::SourceState::failed || state == pipeline::SourceState::retrying)
            log()->warn("source {}: {} {}", id, state_name(state), detail);
        else
            log()->info("source {}: {}", id, state_name(state));
    };
    sources_[index] =
        std::make_unique<pipeline::Source>(spec, settings_.encoder, on_frame, on_state);
    return index;
}

void MediaServer::apply_bindings(const std::vector<ChannelSettings>& channels) {
    std::lock_guard lock(sources_mutex_);
    std::set<std::string> units; // their channels play what the schedule says
    if (settings_.province) {
        units.insert(settings_.province->province.code);
        for (const auto& c : settings_.province->communes)
            units.insert(c.code);
    }
    std::map<std::string, const pipeline::SourceSpec*> specs;
    for (const auto& s : settings_.sources)
        specs[s.id] = &s;
    std::vector<bool> wanted(sources_.size(), false);
    for (const auto& channel : channels) {
        if (!channel.source && units.contains(channel.id))
            continue;
        auto index = router_->find_channel(channel.id);
        if (!index) {
            log()->warn("channel {} is new; channels are fixed until restart", channel.id);
            continue;
        }
        std::optional<std::uint32_t> source;
        if (channel.source) {
            source = source_index(*specs.at(*channel.source));
            wanted.resize(sources_.size(), false);
            wanted[*source] = true;
        }
        router_->bind(*index, source);
    }
    wanted.resize(sources_.size(), false);
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        if (wanted[i] && !running_[i])
            sources_[i]->start();
        else if (!wanted[i] && running_[i])
            sources_[i]->stop();
        running_[i] = wanted[i];
    }
}

void MediaServer::reload(const Settings& updated) {
    std::lock_guard lock(sources_mutex_);
    settings_.sources = updated.sources;
    settings_.channels.clear();
    for (const auto& channel : updated.channels)
        settings_.channels.push_back(channel);
    apply_bindings(settings_.channels);
    log()->info("configuration reloaded: {} source(s), {} channel binding(s)",
                settings_.sources.size(), settings_.channels.size());
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
    std::lock_guard lock(sources_mutex_);
    for (std::size_t i = 0; i < links_.size(); ++i) {
        auto p = pipeline::ReportPosition::unpack(links_[i]->report_position.load());
        if (!removed_[i] && (p.ssrc != 0 || p.index != 0))
            text += receiver_ids_[i] + " " + std::to_string(p.ssrc) + " " +
                    std::to_string(p.index) + "\n";
    }
    if (text == saved_positions_)
        return;
    if (auto written = common::write_file_durably(positions_file(), text); !written) {
        log()->warn("cannot save the receivers' report positions: {}", written.error().message);
        return;
    }
    saved_positions_ = std::move(text);
}

void MediaServer::stop() {
    for (auto& source : sources_)
        if (source)
            source->stop();
    if (reports_)
        reports_->stop();
    if (router_)
        router_->stop();
    if (fanout_)
        fanout_->stop();
    if (reports_)
        save_report_positions();
}

std::uint16_t MediaServer::media_port() const {
    return socket_ ? socket_->local_port() : 0;
}

MediaStats MediaServer::stats() const {
    MediaStats s;
    if (fanout_)
        s.fanout = fanout_->stats();
    if (reports_)
        s.reports = reports_->stats();
    if (router_) {
        s.router_drops = router_->queue_drops();
        s.fanout.protect_failures += router_->protect_failures();
    }
    std::lock_guard lock(sources_mutex_);
    for (std::size_t i = 0; i < links_.size(); ++i)
        if (!removed_[i] && links_[i]->address.load(std::memory_order_relaxed) != 0)
            ++s.receivers_latched;
    return s;
}

} // namespace loa::server

namespace loa::server {

std::vector<ReceiverStatus> MediaServer::receiver_status() const {
    std::vector<ReceiverStatus> out;
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      clock_.steady_now().time_since_epoch())
                      .count();
    std::lock_guard lock(sources_mutex_);
    for (std::size_t i = 0; i < links_.size(); ++i) {
        if (removed_[i])
            continue;
        const auto& link = *links_[i];
        ReceiverStatus r;
        r.id = receiver_ids_[i];
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

} // namespace loa::server
