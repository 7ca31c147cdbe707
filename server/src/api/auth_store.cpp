#include "loa/server/api/auth_store.hpp"

#include <algorithm>

#include "loa/common/logging.hpp"
#include "loa/common/secret.hpp"

namespace loa::server {
namespace {

using common::Errc;
using common::make_error;

const std::vector<common::Migration> kMigrations = {
    {1, R"(
CREATE TABLE user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'approver', 'manager', 'viewer')),
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE user_unit (
    user INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    unit INTEGER NOT NULL,
    PRIMARY KEY (user, unit)
);
CREATE TABLE session (
    token_hash TEXT PRIMARY KEY,
    user INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    who TEXT NOT NULL,
    from_address TEXT NOT NULL,
    what TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit(at_ms);
)"},
    {2, R"(
CREATE TABLE api_key (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    units TEXT NOT NULL DEFAULT '',
    secret_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    rotated_at_ms INTEGER,
    last_used_at_ms INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    revoked_at_ms INTEGER
);
)"},
};

constexpr const char* kRoles[] = {"admin", "approver", "manager", "viewer", "reporter"};
constexpr std::size_t kMinPassword = 10;
constexpr int kFreeFailures = 5;         ///< of one name from one address
constexpr int kFreeAddressFailures = 20; ///< of any names from one address
constexpr auto kFirstWait = std::chrono::milliseconds(1000);
constexpr auto kFailureWindow = std::chrono::minutes(15);
constexpr std::size_t kMaxTracked = 100000;

auto log() {
    static auto logger = common::logger("auth");
    return logger;
}

std::int64_t ms(std::chrono::sys_time<std::chrono::milliseconds> t) {
    return static_cast<std::int64_t>(t.time_since_epoch().count());
}

} // namespace

std::string to_string(Role role) {
    return kRoles[static_cast<int>(role)];
}

std::optional<Role> parse_role(std::string_view name) {
    for (int r = 0; r < 5; ++r)
        if (name == kRoles[r])
            return static_cast<Role>(r);
    return std::nullopt;
}

AuthStore::AuthStore(const std::string& path, const common::Clock& clock)
    : clock_(clock), db_(path) {
    db_.migrate("auth", kMigrations);
}

AuthStore::Millis AuthStore::now() const {
    return std::chrono::floor<std::chrono::milliseconds>(clock_.system_now());
}

common::Result<User> AuthStore::create_user(const std::string& name, const std::string& password,
                                            Role role, const std::vector<std::int64_t>& units) {
    if (name.empty() || name.size() > 64 || name.find_first_of(" \t\n:") != std::string::npos)
        return make_error(Errc::invalid_argument,
                          "a user name is 1 to 64 characters, without spaces or colons");
    if (password.size() < kMinPassword)
        return make_error(Errc::invalid_argument, "a password needs at least " +
                                                      std::to_string(kMinPassword) + " characters");
    if (role == Role::reporter)
        return make_error(Errc::invalid_argument,
                          "a reporter is a machine account: create an API key (api_keys.create)");
    if ((role == Role::manager || role == Role::approver) && units.empty())
        return make_error(Errc::invalid_argument,
                          "a " + to_string(role) + " needs at least one unit to act in");
    std::string hash = common::hash_password(password); // slow on purpose: outside the lock
    std::lock_guard lock(mutex_);
    common::Transaction tx(db_);
    auto insert = db_.prepare("INSERT INTO user (name, password_hash, role) VALUES (?, ?, ?)");
    insert.bind(1, std::string_view(name))
        .bind(2, std::string_view(hash))
        .bind(3, std::string_view(to_string(role)));
    if (auto done = insert.run(); !done)
        return make_error(Errc::already_exists, "a user named \"" + name + "\" exists already");
    auto id = db_.last_insert_id();
    auto scope = db_.prepare("INSERT OR IGNORE INTO user_unit (user, unit) VALUES (?, ?)");
    for (auto u : units) {
        scope.bind(1, id).bind(2, u);
        if (auto done = scope.run(); !done)
            return done.error();
    }
    if (auto done = tx.commit(); !done)
        return done.error();
    return User{id, name, role, units, false};
}

common::Result<User> AuthStore::read_user(common::Statement& query, const std::string& missing) {
    auto row = query.step();
    if (!row)
        return row.error();
    if (!*row)
        return make_error(Errc::not_found, missing);
    User u;
    u.id = query.integer(0);
    u.name = query.text(1);
    u.role = parse_role(query.text(2)).value_or(Role::viewer);
    u.disabled = query.integer(3) != 0;
    auto scope = db_.prepare("SELECT unit FROM user_unit WHERE user = ? ORDER BY unit");
    scope.bind(1, u.id);
    auto units = common::collect<std::int64_t>(
        scope, [](const common::Statement& row) { return row.integer(0); });
    if (!units)
        return units.error();
    u.units = std::move(*units);
    return u;
}

common::Result<User> AuthStore::user(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto q = db_.prepare("SELECT id, name, role, disabled FROM user WHERE name = ?");
    q.bind(1, std::string_view(name));
    return read_user(q, "no user \"" + name + "\"");
}

common::Result<std::vector<User>> AuthStore::users() {
    std::lock_guard lock(mutex_);
    auto names = db_.prepare("SELECT name FROM user ORDER BY id");
    auto all = common::collect<std::string>(
        names, [](const common::Statement& row) { return row.text(0); });
    if (!all)
        return all.error();
    std::vector<User> out;
    for (const auto& name : *all) {
        auto q = db_.prepare("SELECT id, name, role, disabled FROM user WHERE name = ?");
        q.bind(1, std::string_view(name));
        auto u = read_user(q, name);
        if (!u)
            return u.error();
        out.push_back(std::move(*u));
    }
    return out;
}

common::Result<void> AuthStore::set_password(const std::string& name, const std::string& password) {
    if (password.size() < kMinPassword)
        return make_error(Errc::invalid_argument, "a password needs at least " +
                                                      std::to_string(kMinPassword) + " characters");
    std::string hash = common::hash_password(password);
    std::lock_guard lock(mutex_);
    auto update = db_.prepare("UPDATE user SET password_hash = ? WHERE name = ?");
    update.bind(1, std::string_view(hash)).bind(2, std::string_view(name));
    return change_ending_sessions(name, update);
}

common::Result<void> AuthStore::disable(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto update = db_.prepare("UPDATE user SET disabled = 1 WHERE name = ?");
    update.bind(1, std::string_view(name));
    return change_ending_sessions(name, update);
}

common::Result<void> AuthStore::change_ending_sessions(const std::string& name,
                                                       common::Statement& update) {
    common::Transaction tx(db_);
    if (auto done = update.run(); !done)
        return done.error();
    if (db_.changes() == 0)
        return make_error(Errc::not_found, "no user \"" + name + "\"");
    auto end = db_.prepare(
        "UPDATE session SET revoked = 1 WHERE user = (SELECT id FROM user WHERE name = ?)");
    end.bind(1, std::string_view(name));
    if (auto done = end.run(); !done)
        return done.error();
    auto committed = tx.commit();
    ++sessions_generation_;
    return committed;
}

std::optional<AuthStore::Millis> AuthStore::locked(const std::string& key, Millis at) {
    auto it = failures_.find(key);
    if (it == failures_.end())
        return std::nullopt;
    // Forgotten a window after the last failure and after the lock it earned: a patient
    // guesser keeps waiting the longest lock, never starts free again.
    if (std::max(it->second.last, it->second.locked_until) + kFailureWindow <= at) {
        failures_.erase(it);
        return std::nullopt;
    }
    if (at < it->second.locked_until)
        return it->second.locked_until;
    return std::nullopt;
}

void AuthStore::note_failure(const std::string& key, int free_failures, Millis at) {
    if (failures_.size() >= kMaxTracked) // many addresses at once: forget the stale ones
        std::erase_if(failures_, [&](const auto& f) {
            return std::max(f.second.last, f.second.locked_until) + kFailureWindow <= at;
        });
    auto& f = failures_[key];
    ++f.count;
    f.last = at;
    if (f.count > free_failures) {
        int doublings = std::min(f.count - free_failures - 1, 20);
        f.locked_until = at + std::min<std::chrono::milliseconds>(kFirstWait * (1LL << doublings),
                                                                  kFailureWindow);
    }
}

void AuthStore::forget_failure(const std::string& key) {
    auto it = failures_.find(key);
    if (it != failures_.end() && --it->second.count <= 0)
        failures_.erase(it);
}

common::Result<std::int64_t> AuthStore::verify(const std::string& name, const std::string& password,
                                               const std::string& from) {
    auto at = now();
    const std::string pair = name + "@" + from, address = "@" + from;
    std::string hash;
    std::optional<std::int64_t> id;
    {
        std::lock_guard lock(mutex_);
        auto until =
            std::max(locked(pair, at).value_or(Millis{}), locked(address, at).value_or(Millis{}));
        if (until > at) {
            auto wait = std::chrono::ceil<std::chrono::seconds>(until - at).count();
            return make_error(Errc::unauthorized, "too many failed logins from this address; try "
                                                  "again in " +
                                                      std::to_string(wait) + " s");
        }
        // Counted before it is verified: concurrent guesses cannot all pass the check above.
        note_failure(pair, kFreeFailures, at);
        note_failure(address, kFreeAddressFailures, at);
        auto q = db_.prepare("SELECT id, password_hash FROM user WHERE name = ? AND disabled = 0");
        q.bind(1, std::string_view(name));
        auto row = q.step();
        if (!row)
            return row.error();
        if (*row) {
            id = q.integer(0);
            hash = q.text(1);
        }
    }
    // Verify even for an unknown name, so that timing does not tell which names exist.
    static const std::string decoy = common::hash_password("not a password of anyone");
    bool ok = common::verify_password(password, id ? hash : decoy) && id.has_value();
    std::lock_guard lock(mutex_);
    if (!ok) {
        log()->warn("failed login for {} from {}", common::loggable(name), common::loggable(from));
        return make_error(Errc::unauthorized, "wrong name or password");
    }
    failures_.erase(pair);
    forget_failure(address);
    return *id;
}

common::Result<void> AuthStore::check_password(const std::string& name, const std::string& password,
                                               const std::string& from) {
    auto id = verify(name, password, from);
    if (!id)
        return id.error();
    return {};
}

common::Result<std::string> AuthStore::login(const std::string& name, const std::string& password,
                                             const std::string& from, std::chrono::seconds ttl) {
    auto id = verify(name, password, from);
    if (!id)
        return id.error();
    auto at = now();
    std::lock_guard lock(mutex_);
    std::string token = common::random_token();
    auto insert = db_.prepare("INSERT INTO session (token_hash, user, created_at_ms, "
                              "expires_at_ms) VALUES (?, ?, ?, ?)");
    insert.bind(1, std::string_view(common::sha256_hex(token)))
        .bind(2, *id)
        .bind(3, ms(at))
        .bind(4, ms(at + ttl));
    if (auto done = insert.run(); !done)
        return done.error();
    log()->info("{} logged in from {}", common::loggable(name), common::loggable(from));
    return token;
}

common::Result<User> AuthStore::authenticate(const std::string& token) {
    std::lock_guard lock(mutex_);
    if (is_api_key(token))
        return authenticate_key(token);
    auto q = db_.prepare(
        "SELECT u.id, u.name, u.role, u.disabled FROM session s JOIN user u ON u.id = s.user "
        "WHERE s.token_hash = ? AND s.revoked = 0 AND s.expires_at_ms > ? AND u.disabled = 0");
    q.bind(1, std::string_view(common::sha256_hex(token))).bind(2, ms(now()));
    auto u = read_user(q, "");
    if (!u && u.error().code == Errc::not_found)
        return make_error(Errc::unauthorized, "not logged in, or the session has ended");
    return u;
}

common::Result<void> AuthStore::revoke(const std::string& token) {
    std::lock_guard lock(mutex_);
    auto q = db_.prepare("UPDATE session SET revoked = 1 WHERE token_hash = ?");
    q.bind(1, std::string_view(common::sha256_hex(token)));
    auto done = q.run();
    ++sessions_generation_;
    return done;
}

common::Result<std::optional<std::string>> AuthStore::ensure_admin(const std::string& password) {
    {
        std::lock_guard lock(mutex_);
        auto q = db_.prepare("SELECT COUNT(*) FROM user");
        auto row = q.step();
        if (!row)
            return row.error();
        if (q.integer(0) > 0)
            return std::optional<std::string>();
    }
    std::string chosen = password.empty() ? common::random_token(15) : password;
    auto made = create_user("admin", chosen, Role::admin, {});
    if (!made)
        return made.error();
    return std::optional<std::string>(chosen);
}

common::Result<void> AuthStore::record(const AuditRecord& r) {
    std::lock_guard lock(mutex_);
    auto q = db_.prepare("INSERT INTO audit (at_ms, who, from_address, what, summary) "
                         "VALUES (?, ?, ?, ?, ?)");
    q.bind(1, ms(r.at == Millis{} ? now() : r.at))
        .bind(2, std::string_view(r.who))
        .bind(3, std::string_view(r.from))
        .bind(4, std::string_view(r.what))
        .bind(5, std::string_view(r.summary));
    return q.run();
}

common::Result<std::vector<AuditRecord>> AuthStore::audit(Millis from, Millis to) {
    std::lock_guard lock(mutex_);
    auto q = db_.prepare("SELECT id, at_ms, who, from_address, what, summary FROM audit "
                         "WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms, id");
    q.bind(1, ms(from)).bind(2, ms(to));
    return common::collect<AuditRecord>(q, [](const common::Statement& row) {
        return AuditRecord{row.integer(0), Millis(std::chrono::milliseconds(row.integer(1))),
                           row.text(2),    row.text(3),
                           row.text(4),    row.text(5)};
    });
}

} // namespace loa::server
