#pragma once
/// @file
/// Listens on the media port for receivers' SRTCP receiver reports. A report that passes
/// authentication with its receiver's own key latches the receiver's address (NAT latching) and
/// updates its loss and jitter; anything else is counted and dropped, and moves nothing. An
/// address whose receiver has stopped reporting is forgotten after a while, and a key replaced
/// by a rekey stops working once the receiver has switched.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/pipeline/receiver_link.hpp"
#include "loa/pipeline/srtp.hpp"

namespace loa::pipeline {

/// Counters of the report listener.
struct ReportStats {
    std::uint64_t accepted = 0;
    std::uint64_t unknown_receiver = 0; ///< CNAME names no receiver
    std::uint64_t rejected = 0;         ///< failed authentication or replayed
    std::uint64_t stale_ssrc = 0;       ///< from an older start of the receiver
    std::uint64_t malformed = 0;
    std::uint64_t latched = 0; ///< address changes
    std::uint64_t expired = 0; ///< addresses forgotten: no report for the latch lifetime
};

/// How long a latched address is kept without an authenticated report. Receivers report every
/// 5 s by default (at most every 60 s), and every second while no media arrives.
inline constexpr std::chrono::seconds kDefaultLatchLifetime{180};
/// How long a key replaced by a rekey is still accepted if the receiver never reports under the
/// new one; a report under the new key ends it at once.
inline constexpr std::chrono::seconds kPreviousKeyGrace{60};

/// Owns the receivers' inbound SRTCP sessions, on one thread.
class ReportListener {
public:
    /// `latch_lifetime`: how long a receiver's address is kept after its last report.
    ReportListener(int socket_fd, const common::Clock& clock,
                   std::chrono::seconds latch_lifetime = kDefaultLatchLifetime);
    ReportListener(const ReportListener&) = delete;
    ReportListener& operator=(const ReportListener&) = delete;
    ~ReportListener();

    /// Registers a receiver (any thread, also while running); fails if the key does not fit
    /// the profile or the id is taken.
    /// `floor` is where its reports had got to before a restart: anything at or before it is
    /// refused as a replay (libsrtp's own replay window starts empty on every start).
    common::Result<void> add_receiver(const ReceiverSpec& spec, ReceiverLink* link,
                                      std::optional<ReportPosition> floor = std::nullopt);
    /// Forgets a receiver (any thread): its reports are unknown from now on, its inbound
    /// session is freed, and its link is not touched again once this returns.
    void remove_receiver(const std::string& id);
    /// Receivers registered now.
    std::size_t size() const;
    /// Gives a receiver a new key (any thread). Reports under the previous key are still
    /// accepted, so that none is lost while the receiver switches, until the first report under
    /// the new key or kPreviousKeyGrace, whichever comes first.
    common::Result<void> rekey_receiver(const std::string& id,
                                        const std::vector<std::uint8_t>& key);

    void start();
    void stop();

    /// Forgets the addresses of receivers that have not reported for the latch lifetime (their
    /// stream stops until they report again; a fixed address comes back) and previous keys past
    /// their grace. The thread calls this every second; tests call it with a manual clock.
    void expire();

    /// Handles one datagram (the thread calls this; tests may call it directly before start()).
    void handle(std::uint8_t* data, std::size_t len, const sockaddr_in& from);
    ReportStats stats() const;

private:
    struct Entry {
        std::string id;
        SrtpSession session;
        std::optional<SrtpSession> previous;                  ///< the key before the last rekey
        std::chrono::steady_clock::time_point previous_until; ///< its grace
        std::optional<Endpoint> fixed;                        ///< the configured address, if any
        SrtpProfile profile;
        ReceiverLink* link;
        std::optional<std::uint32_t> ssrc; ///< the receiver's current start
        std::optional<ReportPosition> floor;
        std::size_t tag_length; ///< SRTCP authentication tag of its profile
        bool aead;              ///< AES-GCM: the SRTCP index follows the tag
    };
    bool replayed(const Entry& entry, std::uint32_t ssrc, std::uint32_t index) const;
    /// Authenticates and decrypts in place; a report under the new key ends the previous one.
    bool unprotect(Entry& entry, std::uint8_t* data, std::size_t& len);
    void run();

    int fd_;
    const common::Clock& clock_;
    std::chrono::milliseconds latch_lifetime_;
    mutable std::mutex mutex_; ///< guards entries_ and by_cname_ (reports are few: a lock is cheap)
    std::vector<Entry> entries_;
    /// Transparent hashing: a CNAME read from a packet is looked up without a copy.
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view name) const {
            return std::hash<std::string_view>{}(name);
        }
    };
    std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> by_cname_;
    std::thread thread_;
    std::atomic<bool> running_{false};
    std::atomic<std::uint64_t> accepted_{0}, unknown_{0}, rejected_{0}, stale_{0}, malformed_{0},
        latched_{0}, expired_{0};
};

} // namespace loa::pipeline
