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

bool same_spec(const pipeline::SourceSpec& a, const pipeline::SourceSpec& b) {
    return a.kind == b.kind && a.location == b.location && a.frequency_hz == b.frequency_hz &&
           a.loop == b.loop;
}

} // namespace

pipeline::RtpStream MediaServer::fresh_stream(std::uint32_t ssrc) {
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
    {
        std::lock_guard lock(programs_mutex_);
        apply_bindings(settings_.channels);
    }
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

void MediaServer::add_unit_channel(const std::string& code) {
    if (router_->find_channel(code))
        return;
    if (settings_.key_mode == KeyMode::group) {
        log()->error("unit {} has no channel: in group key mode its key belongs in the "
                     "configuration (\"channels\")",
                     code);
        return;
    }
    router_->add_channel(code);
    log()->info("channel {} added for a unit of the database", code);
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
    std::lock_guard lock(programs_mutex_);
    settings_.sources = updated.sources;
    settings_.channels.clear();
    for (const auto& channel : updated.channels)
        settings_.channels.push_back(channel);
    apply_bindings(settings_.channels);
    log()->info("configuration reloaded: {} source(s), {} channel binding(s)",
                settings_.sources.size(), settings_.channels.size());
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
    std::lock_guard lock(receivers_mutex_);
    for (const auto& [id, r] : receivers_)
        if (r.link->address.load(std::memory_order_relaxed) != 0)
            ++s.receivers_latched;
    return s;
}

} // namespace loa::server
