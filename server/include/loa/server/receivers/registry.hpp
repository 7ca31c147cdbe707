#pragma once
/// @file
/// The provisioned receivers (cluster boxes), in the server's database (loa.db, component
/// "receivers"): each with its unit, a device secret kept as a SHA-256 digest (the secret is
/// random and long, so a slow hash adds nothing), its SRTP master key, and its volume and mute
/// as operators last set them.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/common/sealed.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/pipeline/srtp.hpp"

namespace loa::server {

/// A provisioned receiver as stored.
struct ReceiverRecord {
    std::string id;
    std::int64_t unit = 0; ///< the unit (schedule store id) whose channel it plays
    std::string name;
    std::vector<std::uint8_t> key; ///< SRTP master key + salt; never logged
    double volume = 1.0;           ///< 0..2
    bool muted = false;
    std::string provisioned_by;
    std::int64_t provisioned_at_ms = 0;
    /// Rekeyed while offline: it is rekeyed again, secret and all, once it connects.
    bool rotation_owed = false;
};

/// What provisioning hands out once: the record and the device secret in clear.
struct Provisioned {
    ReceiverRecord record;
    std::string secret;
};

/// The provisioned receivers. Thread-safe.
class ReceiverRegistry {
public:
    /// Opens `path` (the server's database) and brings its tables up to date; throws on
    /// failure. New keys are made for `profile`. With `sealing`, SRTP keys are kept sealed
    /// (keys stored in clear before are sealed now); a key that does not open with it fails
    /// the start. Without it (tests), keys are kept in clear.
    ReceiverRegistry(const std::string& path, const common::Clock& clock,
                     pipeline::SrtpProfile profile,
                     std::optional<common::SealingKey> sealing = std::nullopt);

    /// Provisions a receiver: a fresh secret and key. Ids are 1-64 characters of letters,
    /// digits, '-', '_' and '.'; an id in use is refused.
    common::Result<Provisioned> provision(const std::string& id, std::int64_t unit,
                                          const std::string& name, const std::string& who);
    /// The receiver whose secret this is; a wrong id or secret is one and the same error.
    /// While a new secret is offered (a rekey without an answer), the old and the new one both
    /// open; the first hello settles which one the receiver kept, and the other stops working.
    common::Result<ReceiverRecord> check_secret(const std::string& id, const std::string& secret);
    common::Result<ReceiverRecord> find(const std::string& id);
    common::Result<std::vector<ReceiverRecord>> all();
    /// Removes a receiver for good: its secret and key stop working.
    common::Result<void> unprovision(const std::string& id);
    /// Sets volume (0..2) and/or mute; returns the record as it is now.
    common::Result<ReceiverRecord> set_output(const std::string& id, std::optional<double> volume,
                                              std::optional<bool> muted);
    /// A fresh random key for this registry's profile.
    std::vector<std::uint8_t> new_key() const;
    /// A fresh key as this registry stores it (sealed): for receivers a handover imports.
    std::string new_stored_key() const { return stored_key(new_key()); }
    /// Offers a receiver a new device secret during a rekey (kept as a digest beside the old).
    common::Result<void> offer_secret(const std::string& id, const std::string& secret);
    /// Withdraws the offered secret: the receiver refused the rekey or was not there.
    common::Result<void> withdraw_secret(const std::string& id);
    /// The receiver took the rekey: its new key and the offered secret replace the old ones,
    /// which stop working, and no rotation is owed any more.
    common::Result<void> complete_rekey(const std::string& id,
                                        const std::vector<std::uint8_t>& key);
    /// Rekey of an offline receiver: the new key is stored (it gets it at its hello) and a
    /// rotation of its secret is owed for when it connects.
    common::Result<void> set_key_owing_rotation(const std::string& id,
                                                const std::vector<std::uint8_t>& key);

private:
    common::Result<ReceiverRecord> read_one(common::Statement& query, const std::string& id);
    ReceiverRecord read_record(const common::Statement& row) const;
    /// Runs `sql` on receiver `id` (its last parameter), with `value` as its first if given.
    common::Result<void> update(const std::string& id, const std::string& sql,
                                std::optional<std::string> value);
    /// A key as stored: sealed, or base64 without a sealing key.
    std::string stored_key(const std::vector<std::uint8_t>& key) const;
    /// Seals the keys kept in clear before; throws if a sealed key does not open.
    void seal_keys();

    const common::Clock& clock_;
    pipeline::SrtpProfile profile_;
    std::optional<common::SealingKey> sealing_;
    std::mutex mutex_;
    common::Database db_;
};

/// Whether `id` may name a receiver (see ReceiverRegistry::provision).
bool valid_receiver_id(const std::string& id);

} // namespace loa::server
