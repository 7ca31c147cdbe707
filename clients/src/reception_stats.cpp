#include "loa/clients/reception_stats.hpp"

#include <algorithm>
#include <cmath>

namespace loa::clients {

void ReceptionStats::reset(std::uint16_t sequence) {
    *this = ReceptionStats{};
    base_sequence_ = sequence;
    max_sequence_ = sequence;
}

void ReceptionStats::on_packet(std::uint16_t sequence, std::uint32_t timestamp,
                               std::int64_t arrival) {
    auto delta = static_cast<std::uint16_t>(sequence - max_sequence_);
    if (delta < 0x8000) { // in order, possibly with a gap; a smaller one is late or duplicate
        if (sequence < max_sequence_)
            cycles_ += 0x10000;
        max_sequence_ = sequence;
    }
    std::int64_t transit = arrival - static_cast<std::int64_t>(timestamp);
    if (received_ > 0) {
        double d = std::abs(static_cast<double>(transit - last_transit_));
        jitter_ += (d - jitter_) / 16.0;
    }
    last_transit_ = transit;
    ++received_;
}

std::int64_t ReceptionStats::cumulative_lost() const {
    return received_ == 0 ? 0 : static_cast<std::int64_t>(expected()) - received_;
}

pipeline::ReceptionReport ReceptionStats::next_report(std::uint32_t source_ssrc) {
    pipeline::ReceptionReport block;
    block.source_ssrc = source_ssrc;
    std::uint32_t expected_now = received_ == 0 ? 0 : expected();
    std::uint32_t expected_interval = expected_now - expected_prior_;
    std::uint32_t received_interval = received_ - received_prior_;
    expected_prior_ = expected_now;
    received_prior_ = received_;
    std::int64_t lost_interval = static_cast<std::int64_t>(expected_interval) - received_interval;
    block.fraction_lost = expected_interval == 0 || lost_interval <= 0
                              ? 0
                              : static_cast<std::uint8_t>((lost_interval << 8) / expected_interval);
    block.cumulative_lost =
        static_cast<std::int32_t>(std::clamp<std::int64_t>(cumulative_lost(), -0x800000, 0x7fffff));
    block.highest_sequence = extended_max();
    block.jitter = static_cast<std::uint32_t>(jitter_);
    return block;
}

} // namespace loa::clients
