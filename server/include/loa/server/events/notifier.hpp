#pragma once
/// @file
/// Server push: events (a receiver came online, a channel changed program, an emergency
/// started, the schedule changed) go to every subscriber whose scope covers them. Each event
/// is serialised once, whatever the number of subscribers.

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace loa::server {

/// One event, as a JSON-RPC notification.
struct Notification {
    std::string topic;  ///< "receivers", "channels", "overrides", "schedule", "alarms", "backups"
    std::string method; ///< e.g. "receiver.online"
    boost::json::object params;      ///< what happened
    std::vector<std::int64_t> units; ///< the units it concerns; empty: everyone may see it
    std::string text;                ///< the notification's JSON text (filled by publish)
};

/// The topics a subscriber may ask for.
inline const std::vector<std::string> kTopics = {"receivers", "channels", "overrides",
                                                 "schedule",  "alarms",   "backups"};

/// Fans events out to subscribers. Thread-safe; sinks are called on the publishing thread and
/// must not block (a WebSocket link queues).
class Notifier {
public:
    using Sink = std::function<void(const Notification&)>;

    /// Adds a subscriber; returns its id for unsubscribe().
    std::uint64_t subscribe(Sink sink);
    void unsubscribe(std::uint64_t id);
    /// Serialises `n` as a JSON-RPC notification and hands it to every subscriber.
    void publish(Notification n);
    /// Events published so far.
    std::uint64_t published() const;

private:
    mutable std::mutex mutex_;
    std::map<std::uint64_t, Sink> sinks_;
    std::uint64_t next_ = 1;
    std::uint64_t published_ = 0;
};

} // namespace loa::server
