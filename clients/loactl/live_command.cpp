// loactl live: speaking live to the loudspeakers from a shell (a file, a capture device or a
// test tone) over WebRTC, until Ctrl-C, the file's end or --for seconds (docs/live.md).
#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "loa/clients/live_sender.hpp"
#include "loa/clients/table.hpp"

namespace loactl {
namespace {

std::atomic<bool> stop_requested{false};

/// After a file's end, how long its last words take to reach the loudspeakers (the jitter
/// buffers on the way) before the broadcast is ended.
constexpr auto kTail = std::chrono::milliseconds(1000);

std::string channels_text(const json::value& result) {
    std::string out;
    if (const auto* list = result.as_object().if_contains("channels"))
        for (const auto& c : list->as_array())
            out.append(out.empty() ? "" : ", ").append(loa::clients::cell_text(c));
    return out;
}

/// Why the broadcast should end now ("" to go on), waiting up to 200 ms for the server's word.
std::string reason_to_end(Context& c, loa::clients::LiveSender& sender, std::int64_t session,
                          std::chrono::steady_clock::time_point until, bool& server_ended) {
    if (stop_requested)
        return "stopped";
    if (sender.finished())
        return "the file ended";
    if (std::chrono::steady_clock::now() >= until)
        return "its time was up";
    if (auto error = sender.take_error(); !error.empty())
        return "sending failed: " + error;
    // Whether the voice still arrives is the server's to say (live.state): ICE may call the
    // connection failed for a moment through loss and then find it again.
    auto note = c.next(std::chrono::milliseconds(200));
    if (!note || note->at("method").as_string() != "live.state")
        return {};
    const auto& params = note->at("params").as_object();
    if (params.at("session").to_number<std::int64_t>() != session ||
        params.at("state").as_string() != "ended")
        return {};
    server_ended = true;
    return "the server ended it: " + std::string(params.at("reason").as_string());
}

} // namespace

int live(Context& c, const Args& a) {
    a.at_most(0);
    auto from = a.value("--from");
    if (!from)
        throw UsageError(
            "`live` needs --from FILE, --from alsa:DEVICE, --from tone:HZ or --from ticks:MS");
    json::object params;
    add_targets(a, params, true);
    if (auto priority = a.value("--priority"))
        params["priority"] = *priority;
    if (auto title = a.value("--title"))
        params["title"] = *title;
    auto until = std::chrono::steady_clock::time_point::max();
    if (auto seconds = a.value("--for"))
        until = std::chrono::steady_clock::now() +
                std::chrono::seconds(parse_integer(*seconds, "--for"));

    loa::clients::LiveSenderSettings settings;
    settings.from = *from;
    // libnice leaves loopback out: a server on this machine is reached over it.
    if (loa::clients::is_loopback_host(c.endpoint().host))
        settings.addresses = {"127.0.0.1"};
    loa::clients::LiveSender sender(settings);
    auto offer = sender.offer();
    if (!offer)
        throw std::runtime_error("cannot send from " + *from + ": " + offer.error().message);
    params["sdp"] = *offer;
    auto started = c.call("live.start", std::move(params));
    auto session = started.at("session").to_number<std::int64_t>();
    if (auto accepted = sender.accept(std::string(started.at("sdp").as_string())); !accepted) {
        c.call("live.stop", {{"session", session}});
        throw std::runtime_error("the server's answer was refused: " + accepted.error().message);
    }
    if (!c.json_output())
        std::cout << "live broadcast " << session << " on air ("
                  << loa::clients::cell_text(started.at("priority")) << ") on "
                  << channels_text(started) << "; Ctrl-C ends it\n"
                  << std::flush;

    stop_requested = false;
    auto on_signal = [](int) { stop_requested = true; };
    auto previous_int = std::signal(SIGINT, on_signal);
    auto previous_term = std::signal(SIGTERM, on_signal);
    bool server_ended = false;
    std::string reason;
    while (reason.empty())
        reason = reason_to_end(c, sender, session, until, server_ended);
    if (reason == "the file ended")
        std::this_thread::sleep_for(kTail);
    std::signal(SIGINT, previous_int);
    std::signal(SIGTERM, previous_term);
    sender.stop();
    if (server_ended) {
        std::cerr << "live broadcast " << session << ": " << reason << "\n";
        return 1;
    }
    auto ended = c.call("live.stop", {{"session", session}});
    c.print(ended, [&](const json::value& r) {
        std::cout << "live broadcast " << session << " ended (" << reason
                  << "); its recording is program "
                  << loa::clients::cell_text(r.as_object().at("program")) << "\n";
    });
    return 0;
}

} // namespace loactl
