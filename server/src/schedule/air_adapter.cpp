#include "loa/server/schedule/air_adapter.hpp"

#include "loa/common/logging.hpp"

namespace loa::server {
namespace {

auto log() {
    static auto logger = common::logger("on-air");
    return logger;
}

} // namespace

AirAdapter::AirAdapter(MediaServer& media, schedules::ScheduleStore& store,
                       const ProgramStore& programs,
                       std::function<void(const std::string& key, bool failed)> on_ended)
    : media_(media), store_(store), programs_(programs), on_ended_(std::move(on_ended)) {}

void AirAdapter::prepare(const schedules::Instance& instance, std::chrono::milliseconds offset) {
    auto program = store_.program(instance.program);
    if (!program) {
        log()->error("{}: {}", instance.key, program.error().message);
        on_ended_(instance.key, true);
        return;
    }
    if (program->duration && offset >= *program->duration) {
        // Resumed after a stop that outlasted the rest of the program: it has played.
        on_ended_(instance.key, false);
        return;
    }
    auto spec = programs_.source_for(*program, offset);
    if (!spec) {
        log()->error("{}: {}", instance.key, spec.error().message);
        on_ended_(instance.key, true);
        return;
    }
    media_.start_program(
        instance.key, *spec,
        [on_ended = on_ended_, key = instance.key](bool failed) { on_ended(key, failed); });
}

void AirAdapter::assign(const std::string& channel, const schedules::Instance* instance) {
    bool emergency =
        instance != nullptr && instance->priority == schedules::PriorityClass::emergency;
    // An emergency's volume before its first packet (the receivers' jitter buffers hold it
    // longer than the control message takes); the clusters' own after its last.
    if (on_emergency_ && emergency)
        on_emergency_(channel, instance->key);
    media_.play_on(channel, instance != nullptr ? &instance->key : nullptr);
    if (on_emergency_ && !emergency)
        on_emergency_(channel, "");
}

void AirAdapter::release(const std::string& key) {
    media_.stop_program(key);
}

void AirAdapter::silence(const std::string& channel) {
    media_.silence_receiver(channel);
}

std::function<std::int64_t()> AirAdapter::count_reached(const std::string& channel) {
    return media_.reach_counter(channel);
}

} // namespace loa::server
