#include "loa/server/receivers/registry.hpp"

#include <algorithm>
#include <cmath>
#include <sodium.h>
#include <stdexcept>

#include "loa/common/secret.hpp"

namespace loa::server {
namespace {

using common::Errc;
using common::make_error;

const std::vector<common::Migration> kMigrations = {
    {1, R"(
CREATE TABLE receiver (
    id TEXT PRIMARY KEY,
    unit INTEGER NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    secret_hash TEXT NOT NULL,
    key TEXT NOT NULL,
    volume_permille INTEGER NOT NULL DEFAULT 1000,
    muted INTEGER NOT NULL DEFAULT 0,
    provisioned_by TEXT NOT NULL,
    provisioned_at_ms INTEGER NOT NULL
);
)"},
    // A rekey rotates the device secret: the new one waits in next_secret_hash until the
    // receiver has it; a rekey made while it was offline is owed at its next connection.
    {2, R"(
ALTER TABLE receiver ADD COLUMN next_secret_hash TEXT;
ALTER TABLE receiver ADD COLUMN rotation_owed INTEGER NOT NULL DEFAULT 0;
)"},
};

constexpr const char* kColumns = "id, unit, name, key, volume_permille, muted, provisioned_by, "
                                 "provisioned_at_ms, rotation_owed";

/// Compares two digests in constant time.
bool same_digest(const std::string& a, const std::string& b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

bool valid_receiver_id(const std::string& id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

ReceiverRegistry::ReceiverRegistry(const std::string& path, const common::Clock& clock,
                                   pipeline::SrtpProfile profile,
                                   std::optional<common::SealingKey> sealing)
    : clock_(clock), profile_(profile), sealing_(sealing), db_(path) {
    db_.migrate("receivers", kMigrations);
    seal_keys();
}

ReceiverRecord ReceiverRegistry::read_record(const common::Statement& q) const {
    ReceiverRecord r;
    r.id = q.text(0);
    r.unit = q.integer(1);
    r.name = q.text(2);
    std::string stored = q.text(3);
    if (common::SealingKey::is_sealed(stored)) { // checked at start: it opens
        auto opened = sealing_ ? sealing_->open(stored) : common::Result<std::string>("");
        stored = opened ? *opened : "";
    }
    r.key = common::from_base64(stored).value_or(std::vector<std::uint8_t>{});
    r.volume = static_cast<double>(q.integer(4)) / 1000;
    r.muted = q.integer(5) != 0;
    r.provisioned_by = q.text(6);
    r.provisioned_at_ms = q.integer(7);
    r.rotation_owed = q.integer(8) != 0;
    return r;
}

std::string ReceiverRegistry::stored_key(const std::vector<std::uint8_t>& key) const {
    auto text = common::to_base64(key);
    return sealing_ ? sealing_->seal(text) : text;
}

void ReceiverRegistry::seal_keys() {
    if (!sealing_)
        return;
    auto stored = db_.prepare("SELECT id, key FROM receiver");
    auto rows = common::collect<std::pair<std::string, std::string>>(
        stored, [](const common::Statement& row) { return std::pair(row.text(0), row.text(1)); });
    if (!rows)
        throw std::runtime_error("cannot read the receivers' keys: " + rows.error().message);
    common::Transaction tx(db_);
    auto update = db_.prepare("UPDATE receiver SET key = ? WHERE id = ?");
    for (const auto& [id, key] : *rows) {
        if (common::SealingKey::is_sealed(key)) {
            if (auto opened = sealing_->open(key); !opened)
                throw std::runtime_error("receiver \"" + id + "\": its key " +
                                         opened.error().message +
                                         "; start with the sealing key this database was made "
                                         "with (secrets.seal_key_file or LOA_SEAL_KEY)");
            continue;
        }
        update.bind(1, sealing_->seal(key)).bind(2, id);
        if (auto done = update.run(); !done)
            throw std::runtime_error("cannot seal the receivers' keys: " + done.error().message);
        update.reset();
    }
    if (auto done = tx.commit(); !done)
        throw std::runtime_error("cannot seal the receivers' keys: " + done.error().message);
}

std::vector<std::uint8_t> ReceiverRegistry::new_key() const {
    std::vector<std::uint8_t> key(pipeline::srtp_master_length(profile_));
    common::random_bytes(key.data(), key.size());
    return key;
}

common::Result<Provisioned> ReceiverRegistry::provision(const std::string& id, std::int64_t unit,
                                                        const std::string& name,
                                                        const std::string& who) {
    if (!valid_receiver_id(id))
        return make_error(Errc::invalid_argument,
                          "a receiver id is 1-64 letters, digits, '-', '_' or '.', not \"" + id +
                              "\"");
    Provisioned out;
    out.secret = common::random_token(32);
    out.record.id = id;
    out.record.unit = unit;
    out.record.name = name;
    out.record.key = new_key();
    out.record.provisioned_by = who;
    out.record.provisioned_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       clock_.system_now().time_since_epoch())
                                       .count();
    std::lock_guard lock(mutex_);
    auto exists = db_.prepare("SELECT 1 FROM receiver WHERE id = ?").bind(1, id).step();
    if (!exists)
        return exists.error();
    if (*exists)
        return make_error(Errc::already_exists,
                          "receiver \"" + id + "\" is provisioned already; unprovision it first");
    auto insert = db_.prepare("INSERT INTO receiver (id, unit, name, secret_hash, key, "
                              "provisioned_by, provisioned_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, id)
        .bind(2, unit)
        .bind(3, name)
        .bind(4, common::sha256_hex(out.secret))
        .bind(5, stored_key(out.record.key))
        .bind(6, who)
        .bind(7, out.record.provisioned_at_ms);
    if (auto done = insert.run(); !done)
        return done.error();
    return out;
}

common::Result<ReceiverRecord> ReceiverRegistry::read_one(common::Statement& query,
                                                          const std::string& id) {
    auto row = query.step();
    if (!row)
        return row.error();
    if (!*row)
        return make_error(Errc::not_found, "no receiver \"" + id + "\"");
    return read_record(query);
}

common::Result<ReceiverRecord> ReceiverRegistry::check_secret(const std::string& id,
                                                              const std::string& secret) {
    std::lock_guard lock(mutex_);
    auto query = db_.prepare(std::string("SELECT ") + kColumns +
                             ", secret_hash, next_secret_hash FROM receiver WHERE id = ?");
    query.bind(1, id);
    auto row = query.step();
    if (!row)
        return row.error();
    if (!*row)
        return make_error(Errc::unauthorized, "unknown receiver or wrong secret");
    auto digest = common::sha256_hex(secret);
    bool current = same_digest(query.text(9), digest);
    std::string next = query.is_null(10) ? "" : query.text(10);
    bool rotated = !next.empty() && same_digest(next, digest);
    if (!current && !rotated)
        return make_error(Errc::unauthorized, "unknown receiver or wrong secret");
    auto record = read_record(query);
    query.reset(); // a read left open would make the write below fail if another connection wrote
    if (!next.empty()) {
        // A rekey that got no answer: the secret the receiver comes back with settles it.
        auto settle = db_.prepare(rotated ? "UPDATE receiver SET secret_hash = next_secret_hash, "
                                            "next_secret_hash = NULL WHERE id = ?"
                                          : "UPDATE receiver SET next_secret_hash = NULL "
                                            "WHERE id = ?");
        if (auto done = settle.bind(1, id).run(); !done)
            return done.error();
    }
    return record;
}

common::Result<ReceiverRecord> ReceiverRegistry::find(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto query = db_.prepare(std::string("SELECT ") + kColumns + " FROM receiver WHERE id = ?");
    query.bind(1, id);
    return read_one(query, id);
}

common::Result<std::vector<ReceiverRecord>> ReceiverRegistry::all() {
    std::lock_guard lock(mutex_);
    auto query = db_.prepare(std::string("SELECT ") + kColumns + " FROM receiver ORDER BY id");
    return common::collect<ReceiverRecord>(
        query, [this](const common::Statement& row) { return read_record(row); });
}

common::Result<void> ReceiverRegistry::unprovision(const std::string& id) {
    std::lock_guard lock(mutex_);
    if (auto done = db_.prepare("DELETE FROM receiver WHERE id = ?").bind(1, id).run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no receiver \"" + id + "\"");
    return {};
}

common::Result<ReceiverRecord> ReceiverRegistry::set_output(const std::string& id,
                                                            std::optional<double> volume,
                                                            std::optional<bool> muted) {
    if (volume && !(*volume >= 0 && *volume <= 2))
        return make_error(Errc::invalid_argument,
                          "volume: expected a number from 0 to 2 (1 = as broadcast)");
    {
        std::lock_guard lock(mutex_);
        auto update = db_.prepare("UPDATE receiver SET volume_permille = COALESCE(?, "
                                  "volume_permille), muted = COALESCE(?, muted) WHERE id = ?");
        update
            .bind(1,
                  volume ? std::optional<std::int64_t>(std::llround(*volume * 1000)) : std::nullopt)
            .bind(2, muted ? std::optional<std::int64_t>(*muted ? 1 : 0) : std::nullopt)
            .bind(3, id);
        if (auto done = update.run(); !done)
            return done.error();
        if (db_.changes() == 0)
            return make_error(Errc::not_found, "no receiver \"" + id + "\"");
    }
    return find(id);
}

common::Result<void> ReceiverRegistry::update(const std::string& id, const std::string& sql,
                                              std::optional<std::string> value) {
    std::lock_guard lock(mutex_);
    auto statement = db_.prepare(sql);
    if (value)
        statement.bind(1, *value).bind(2, id);
    else
        statement.bind(1, id);
    if (auto done = statement.run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no receiver \"" + id + "\"");
    return {};
}

common::Result<void> ReceiverRegistry::offer_secret(const std::string& id,
                                                    const std::string& secret) {
    return update(id, "UPDATE receiver SET next_secret_hash = ? WHERE id = ?",
                  common::sha256_hex(secret));
}

common::Result<void> ReceiverRegistry::withdraw_secret(const std::string& id) {
    return update(id, "UPDATE receiver SET next_secret_hash = NULL WHERE id = ?", std::nullopt);
}

common::Result<void> ReceiverRegistry::complete_rekey(const std::string& id,
                                                      const std::vector<std::uint8_t>& key) {
    return update(id,
                  "UPDATE receiver SET key = ?, secret_hash = COALESCE(next_secret_hash, "
                  "secret_hash), next_secret_hash = NULL, rotation_owed = 0 WHERE id = ?",
                  stored_key(key));
}

common::Result<void>
ReceiverRegistry::set_key_owing_rotation(const std::string& id,
                                         const std::vector<std::uint8_t>& key) {
    return update(id,
                  "UPDATE receiver SET key = ?, next_secret_hash = NULL, rotation_owed = 1 "
                  "WHERE id = ?",
                  stored_key(key));
}

} // namespace loa::server
