#include "loa/server/schedule/air_adapter.hpp"

#include "loa/common/logging.hpp"
#include "loa/server/schedule/schedule_api.hpp"

namespace loa::server {
namespace {

auto log() {
    static auto logger = common::logger("on-air");
    return logger;
}

} // namespace

AirAdapter::AirAdapter(MediaServer& media, schedules::ScheduleStore& store,
                       const ProgramStore& programs, const common::Clock& clock,
                       std::function<void(const std::string& key, bool failed)> on_ended)
    : media_(media), store_(store), programs_(programs), clock_(clock),
      on_ended_(std::move(on_ended)) {}

void AirAdapter::prepare(const schedules::Instance& instance, std::chrono::milliseconds offset) {
    auto program = store_.program(instance.program);
    if (!program) {
        failed(instance, nullptr, program.error().message);
        return;
    }
    if (program->duration && offset >= *program->duration) {
        // Resumed after a stop that outlasted the rest of the program: it has played.
        on_ended_(instance.key, false);
        return;
    }
    auto spec = live_voice(instance, *program) ? voice_source(instance)
                                               : programs_.source_for(*program, offset);
    if (!spec) {
        failed(instance, &*program, spec.error().message);
        return;
    }
    FailedAiring failure{instance.key,
                         program->title,
                         instance.priority == schedules::PriorityClass::emergency,
                         program->unit,
                         "its source failed",
                         {}};
    media_.start_program(instance.key, *spec,
                         [on_ended = on_ended_, on_failure = on_failure_, &clock = clock_,
                          failure = std::move(failure)](bool failed) {
                             if (failed && on_failure) {
                                 auto noted = failure;
                                 noted.at = clock.system_now();
                                 on_failure(std::move(noted));
                             }
                             on_ended(failure.key, failed);
                         });
}

bool AirAdapter::live_voice(const schedules::Instance& instance,
                            const schedules::Program& program) const {
    return instance.override_id && program.kind == schedules::ProgramKind::live &&
           program.source.starts_with(kLiveVoicePrefix);
}

common::Result<pipeline::SourceSpec> AirAdapter::voice_source(const schedules::Instance& instance) {
    auto feed = live_feed_ ? live_feed_(*instance.override_id) : nullptr;
    if (!feed)
        return common::make_error(common::Errc::not_found, "its live speaker has gone");
    pipeline::SourceSpec spec;
    spec.id = instance.key;
    spec.kind = pipeline::SourceKind::feed;
    spec.feed = std::move(feed);
    return spec;
}

void AirAdapter::failed(const schedules::Instance& instance, const schedules::Program* program,
                        std::string reason) {
    log()->error("{}: {}", instance.key, reason);
    if (on_failure_)
        on_failure_({instance.key, program != nullptr ? program->title : "",
                     instance.priority == schedules::PriorityClass::emergency,
                     program != nullptr ? std::optional(program->unit) : std::nullopt,
                     std::move(reason), clock_.system_now()});
    on_ended_(instance.key, true);
}

void AirAdapter::assign(const std::string& channel, const schedules::Instance* instance) {
    bool emergency =
        instance != nullptr && instance->priority == schedules::PriorityClass::emergency;
    // An emergency's volume before its first packet (the receivers' jitter buffers hold it
    // longer than the control message takes); the clusters' own after its last.
    if (on_emergency_ && emergency)
        on_emergency_(channel, instance->key);
    if (!media_.play_on(channel, instance != nullptr ? &instance->key : nullptr) &&
        instance != nullptr && on_failure_)
        on_failure_({instance->key, "", emergency, std::nullopt,
                     std::string("it could not be put on channel ").append(channel),
                     clock_.system_now()});
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
