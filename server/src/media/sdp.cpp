#include "loa/server/media/sdp.hpp"

#include <fstream>

#include "loa/common/secret.hpp"
#include "loa/pipeline/sdp.hpp"
#include "loa/pipeline/ssrc.hpp"

namespace loa::server {

common::Result<std::string> receiver_sdp(const Settings& settings, const std::string& receiver_id) {
    const ReceiverSettings* receiver = nullptr;
    for (const auto& r : settings.receivers)
        if (r.id == receiver_id)
            receiver = &r;
    if (receiver == nullptr)
        return common::make_error(common::Errc::not_found,
                                  "no receiver \"" + receiver_id + "\" in the configuration");
    auto key = receiver->key;
    std::string owner = receiver_id;
    if (settings.key_mode == KeyMode::group) {
        for (const auto& c : settings.channels)
            if (c.id == receiver->channel) {
                key = c.group_key;
                owner = c.id;
            }
    }
    if (!receiver->address)
        return common::make_error(common::Errc::invalid_argument,
                                  "receiver \"" + receiver_id +
                                      "\" has no fixed \"address\": a standard player sends no "
                                      "reports to latch, so give it one in the configuration");
    std::optional<std::uint32_t> ssrc;
    std::ifstream epoch_in(epoch_file(settings));
    unsigned long long next = 0;
    if (epoch_in >> next && next > 0)
        ssrc = pipeline::ssrc_for(static_cast<std::uint32_t>(next - 1), owner);
    return player_sdp(settings, receiver_id, std::move(key), ssrc, *receiver->address);
}

std::string player_sdp(const Settings& settings, const std::string& receiver_id,
                       std::vector<std::uint8_t> key, std::optional<std::uint32_t> ssrc,
                       const pipeline::Endpoint& at) {
    pipeline::SdpDescription d;
    d.receiver_id = receiver_id;
    d.profile = settings.profile;
    d.channels = settings.encoder.channels;
    d.key = std::move(key);
    d.ssrc = ssrc;
    d.listen_address = at.address();
    d.listen_port = at.port();
    return pipeline::make_sdp(d);
}

std::string new_key(pipeline::SrtpProfile profile) {
    std::vector<std::uint8_t> key(pipeline::srtp_master_length(profile));
    common::random_bytes(key.data(), key.size());
    return common::to_base64(key);
}

} // namespace loa::server
