#pragma once
/// @file
/// The receiver's network side: verifies SRTP from the server, follows the server across
/// restarts (a newer epoch's SSRC is accepted, an older one refused), hands the player one
/// continuous stream, and sends authenticated SRTCP receiver reports that latch its address at
/// the server and keep the NAT binding open.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "loa/clients/player.hpp"
#include "loa/clients/receiver_settings.hpp"
#include "loa/clients/reception_stats.hpp"
#include "loa/common/clock.hpp"
#include "loa/pipeline/srtp.hpp"
#include "loa/pipeline/udp_socket.hpp"

namespace loa::clients {

/// Counters of the receiving side.
struct LinkStats {
    std::uint64_t received = 0; ///< authenticated media packets
    std::uint64_t rejected = 0; ///< failed authentication (forged, wrong key) or replayed
    std::uint64_t stale = 0;    ///< from an older server start
    std::int64_t lost = 0;      ///< by sequence numbers (RFC 3550 A.3)
    double jitter_ms = 0;       ///< interarrival jitter (RFC 3550 A.8)
    std::uint64_t reports_sent = 0;
    std::uint32_t server_epoch = 0;
    std::uint64_t state_write_failures = 0;
};

// Fields are grouped by meaning, not packed: one object per receiver process.
/// Receives, verifies and forwards media; sends reports. Runs on the caller's thread.
class MediaLink { // NOLINT(clang-analyzer-optin.performance.Padding)
public:
    /// The largest datagram read; longer ones are refused.
    static constexpr std::size_t kMaxDatagram = 2048;

    /// Throws on start-up failures (state directory, socket, keys). `player` is the Player,
    /// or any sink of the verified packets.
    MediaLink(const ReceiverSettings& settings, RtpSink& player, const common::Clock& clock);

    /// Serves until `stop` becomes true; wakes at least every 100 ms to check it.
    void run(const std::atomic<bool>& stop);
    LinkStats stats() const;
    /// The receiver moved to another server: the settings this link reads (the caller's) now
    /// name its media address and keys. The server start followed and the replay floor kept
    /// across restarts are forgotten (that server's starts and keys are its own), and its
    /// stream continues the one handed to the player. Call it while run() is not running.
    void move_server();
    /// A new key from the control channel (any thread). Packets under the current key are
    /// still played; the first one that verifies only under the new key switches over, so a
    /// rotation loses nothing. Reports switch to the new key with it.
    void install_key(std::vector<std::uint8_t> key);
    /// Whether media arrived in the last second.
    bool receiving() const;
    /// This start's report SSRC (fresh per start).
    std::uint32_t report_ssrc() const { return report_ssrc_; }
    /// Handles one datagram from the media socket, in place: verified, renumbered and handed
    /// to the player, or counted and dropped. run() calls it for each datagram it reads; tests
    /// and the fuzzer call it directly, without run() (same thread rules).
    void on_datagram(std::uint8_t* data, std::size_t len);

private:
    bool verify(std::uint8_t* data, std::size_t& len, std::uint32_t ssrc);
    void follow(std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t timestamp);
    void forward(std::uint8_t* data, std::size_t payload_offset, std::size_t payload_size,
                 bool marker, std::uint16_t sequence, std::uint32_t timestamp);
    void send_report();
    void take_new_key();
    bool verify_with_next_key(std::uint8_t* data, std::size_t& len);
    void save_state();
    std::string state_path() const;

    const ReceiverSettings& settings_;
    RtpSink& player_;
    const common::Clock& clock_;
    std::string owner_; ///< whose SSRC salt the server uses (receiver id or group channel)
    pipeline::UdpSocket socket_;
    pipeline::SrtpSession inbound_;
    std::uint32_t report_ssrc_ = 0;
    pipeline::SrtpSession reports_;

    // The server start being followed, and the replay floor across this receiver's restarts:
    // packets of `floor_epoch_` at or below `floor_index_` were played before and are refused.
    std::optional<std::uint32_t> epoch_;
    std::uint32_t remote_ssrc_ = 0;
    std::uint64_t last_index_ = 0;
    std::uint32_t floor_epoch_ = 0;
    std::uint64_t floor_index_ = 0;
    std::uint64_t saved_index_ = 0;
    std::chrono::steady_clock::time_point last_save_{};
    std::chrono::steady_clock::time_point last_recovery_{};

    // Local numbering handed to the player: one stream across server restarts, gaps kept.
    std::uint16_t next_local_sequence_ = 0;
    std::uint16_t sequence_offset_ = 0;
    std::uint32_t timestamp_offset_ = 0;
    std::uint32_t last_local_timestamp_ = 0;
    std::chrono::steady_clock::time_point last_arrival_{};
    bool have_media_ = false;
    bool moved_ = false; ///< the next packet starts the new server's stream (move_server)

    ReceptionStats stats_; ///< of the current server start

    std::chrono::steady_clock::time_point last_report_{};
    std::atomic<std::uint64_t> received_total_{0}, rejected_{0}, stale_{0}, reports_sent_{0},
        state_write_failures_{0};
    std::atomic<std::int64_t> lost_{0};
    std::atomic<std::uint32_t> jitter_units_{0}, epoch_seen_{0};
    std::atomic<std::int64_t> last_media_ms_{0};
    std::optional<pipeline::SrtpSession> next_inbound_; ///< after install_key, until it is used
    std::vector<std::uint8_t> next_key_;
    std::mutex key_mutex_;
    std::optional<std::vector<std::uint8_t>> offered_key_; ///< from install_key, not taken yet
    std::atomic<bool> key_offered_{false};
};

} // namespace loa::clients
