// The API keys of machine accounts (reporters): created, listed, rotated and revoked by
// admins; only their SHA-256 digests are kept, and each use is counted.
#include <sstream>

#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"
#include "loa/server/api/auth_store.hpp"

namespace loa::server {
namespace {

using common::Errc;
using common::make_error;

constexpr std::string_view kKeyPrefix = "loa_key_";
/// How many characters of a key are kept in clear to tell keys apart.
constexpr std::size_t kShownPrefix = kKeyPrefix.size() + 6;

auto log() {
    static auto logger = common::logger("auth");
    return logger;
}

std::int64_t ms(ApiKey::Millis t) {
    return static_cast<std::int64_t>(t.time_since_epoch().count());
}

std::optional<ApiKey::Millis> optional_ms(const common::Statement& row, int column) {
    if (auto v = row.optional_integer(column))
        return ApiKey::Millis(std::chrono::milliseconds(*v));
    return std::nullopt;
}

std::string units_text(const std::vector<std::int64_t>& units) {
    std::string out;
    for (auto u : units)
        out += (out.empty() ? "" : ",") + std::to_string(u);
    return out;
}

std::vector<std::int64_t> units_of(const std::string& text) {
    std::vector<std::int64_t> out;
    std::istringstream in(text);
    std::string part;
    while (std::getline(in, part, ','))
        if (!part.empty())
            out.push_back(std::stoll(part));
    return out;
}

constexpr const char* kKeyColumns =
    "SELECT id, name, units, prefix, created_at_ms, created_by, rotated_at_ms, last_used_at_ms, "
    "uses, revoked_at_ms FROM api_key";

ApiKey key_of(const common::Statement& row) {
    ApiKey k;
    k.id = row.integer(0);
    k.name = row.text(1);
    k.units = units_of(row.text(2));
    k.prefix = row.text(3);
    k.created_at = ApiKey::Millis(std::chrono::milliseconds(row.integer(4)));
    k.created_by = row.text(5);
    k.rotated_at = optional_ms(row, 6);
    k.last_used_at = optional_ms(row, 7);
    k.uses = row.integer(8);
    k.revoked_at = optional_ms(row, 9);
    return k;
}

std::string new_secret() {
    return std::string(kKeyPrefix) + common::random_token(24);
}

} // namespace

bool is_api_key(std::string_view token) {
    return token.starts_with(kKeyPrefix);
}

common::Result<std::pair<ApiKey, std::string>>
AuthStore::create_key(const std::string& name, const std::vector<std::int64_t>& units,
                      const std::string& who) {
    if (name.empty() || name.size() > 64 || name.find_first_of(" \t\n:,") != std::string::npos)
        return make_error(Errc::invalid_argument,
                          "a key's name is 1 to 64 characters, without spaces, colons or commas");
    auto secret = new_secret();
    std::lock_guard lock(mutex_);
    auto insert = db_.prepare("INSERT INTO api_key (name, units, secret_hash, prefix, "
                              "created_at_ms, created_by) VALUES (?, ?, ?, ?, ?, ?)");
    insert.bind(1, name)
        .bind(2, units_text(units))
        .bind(3, common::sha256_hex(secret))
        .bind(4, secret.substr(0, kShownPrefix))
        .bind(5, ms(now()))
        .bind(6, who);
    if (auto done = insert.run(); !done)
        return make_error(Errc::already_exists, "a key named \"" + name + "\" exists already");
    auto key = read_key(db_.last_insert_id());
    if (!key)
        return key.error();
    log()->info("API key \"{}\" created by {}", common::loggable(name), common::loggable(who));
    return std::pair{std::move(*key), std::move(secret)};
}

common::Result<std::vector<ApiKey>> AuthStore::keys() {
    std::lock_guard lock(mutex_);
    auto q = db_.prepare(std::string(kKeyColumns) + " ORDER BY id");
    return common::collect<ApiKey>(q, key_of);
}

common::Result<ApiKey> AuthStore::read_key(std::int64_t id) {
    auto q = db_.prepare(std::string(kKeyColumns) + " WHERE id = ?");
    q.bind(1, id);
    auto row = q.step();
    if (!row)
        return row.error();
    if (!*row)
        return make_error(Errc::not_found, "no API key " + std::to_string(id));
    return key_of(q);
}

common::Result<std::pair<ApiKey, std::string>> AuthStore::rotate_key(std::int64_t id) {
    auto secret = new_secret();
    std::lock_guard lock(mutex_);
    auto update = db_.prepare("UPDATE api_key SET secret_hash = ?, prefix = ?, rotated_at_ms = ? "
                              "WHERE id = ? AND revoked_at_ms IS NULL");
    update.bind(1, common::sha256_hex(secret))
        .bind(2, secret.substr(0, kShownPrefix))
        .bind(3, ms(now()))
        .bind(4, id);
    if (auto done = update.run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no live API key " + std::to_string(id) +
                                               " (a revoked key stays revoked)");
    ++sessions_generation_; // connections opened with the old secret check it again
    auto key = read_key(id);
    if (!key)
        return key.error();
    return std::pair{std::move(*key), std::move(secret)};
}

common::Result<ApiKey> AuthStore::revoke_key(std::int64_t id) {
    std::lock_guard lock(mutex_);
    auto update =
        db_.prepare("UPDATE api_key SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL");
    update.bind(1, ms(now())).bind(2, id);
    if (auto done = update.run(); !done)
        return done.error();
    ++sessions_generation_;
    return read_key(id);
}

common::Result<User> AuthStore::authenticate_key(const std::string& secret) {
    auto q =
        db_.prepare(std::string(kKeyColumns) + " WHERE secret_hash = ? AND revoked_at_ms IS NULL");
    q.bind(1, common::sha256_hex(secret));
    auto row = q.step();
    if (!row)
        return row.error();
    if (!*row)
        return make_error(Errc::unauthorized, "unknown or revoked API key");
    auto key = key_of(q);
    q.reset(); // its read ends: the update below is a transaction of its own
    auto used = db_.prepare("UPDATE api_key SET uses = uses + 1, last_used_at_ms = ? WHERE id = ?");
    used.bind(1, ms(now())).bind(2, key.id);
    if (auto done = used.run(); !done)
        return done.error();
    // A machine account is no user: its id is negative, so it never names a user's row.
    return User{-key.id, "key:" + key.name, Role::reporter, key.units, false};
}

} // namespace loa::server
