#pragma once
/// @file
/// Users, roles, sessions and the audit log, in the server's database (loa.db, component
/// "auth"). Passwords are kept as argon2id hashes and session tokens as SHA-256 digests: the
/// database alone lets nobody in. There is never a default password.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"

namespace loa::server {

/// What a user may do. Managers act within their units; the others across the province.
enum class Role {
    admin,    ///< everything, including users and the audit log
    approver, ///< approves programs of their units, and everything a manager does
    manager,  ///< programs, entries and clusters of their units
    viewer,   ///< reads
    /// A machine account (an API key, never a user): reads the indicators of its units only.
    reporter,
};
/// "admin", "approver", "manager", "viewer", "reporter".
std::string to_string(Role role);
std::optional<Role> parse_role(std::string_view name);

/// A user as the API sees it (never with a password).
struct User {
    std::int64_t id = 0;
    std::string name;
    Role role = Role::viewer;
    std::vector<std::int64_t> units; ///< scope of approvers and managers; empty = all (admin)
    bool disabled = false;
};

/// A machine account's key, as the API shows it (never its secret): what an operations
/// centre or the ministry's system reads the indicators with.
struct ApiKey {
    using Millis = std::chrono::sys_time<std::chrono::milliseconds>;
    std::int64_t id = 0;
    std::string name;                ///< what it is for, e.g. "ioc"; unique
    std::vector<std::int64_t> units; ///< the units it reads; empty = the whole province
    std::string prefix;              ///< the key's first characters, to tell keys apart
    Millis created_at{};
    std::string created_by;
    std::optional<Millis> rotated_at;
    std::optional<Millis> last_used_at;
    std::int64_t uses = 0;
    std::optional<Millis> revoked_at; ///< a revoked key opens nothing, at once
};

/// Whether `token` has the form of an API key ("loa_key_..."), not of a session token.
bool is_api_key(std::string_view token);

/// One change, on record.
struct AuditRecord {
    std::int64_t id = 0;
    std::chrono::sys_time<std::chrono::milliseconds> at;
    std::string who;     ///< user name, or "local uid ..." for the control socket
    std::string from;    ///< network address or "local"
    std::string what;    ///< method, e.g. "entries.create"
    std::string summary; ///< before/after, in a few words; never a secret
};

/// Users, sessions and audit. Thread-safe.
class AuthStore {
public:
    /// Opens `path` (the server's database) and brings the auth tables up to date.
    AuthStore(const std::string& path, const common::Clock& clock);

    /// Creates a user; the password must be at least 10 characters. The name is unique.
    common::Result<User> create_user(const std::string& name, const std::string& password,
                                     Role role, const std::vector<std::int64_t>& units);
    common::Result<User> user(const std::string& name);
    common::Result<std::vector<User>> users();
    /// Sets a new password; every session of the user ends.
    common::Result<void> set_password(const std::string& name, const std::string& password);
    common::Result<void> disable(const std::string& name);

    /// Checks a password; on success returns a fresh session token (shown once) valid for
    /// `ttl`. Failures say only "wrong name or password". They are counted per name and
    /// address together, and per address: past 5 failures of a name from an address (20 of
    /// any names), that pair (that address) waits 1 s, then 2, 4... up to 15 minutes before
    /// its next try, which is refused unverified meanwhile. A lock on one address never
    /// refuses the right password from another. An attempt counts before it is verified, so
    /// concurrent guesses cannot pass the check together; failures are forgotten 15 minutes
    /// after the last one and its lock, or at a right password.
    common::Result<std::string> login(const std::string& name, const std::string& password,
                                      const std::string& from, std::chrono::seconds ttl);
    /// Checks a user's password as login does (same counting and locks), without a session:
    /// for changing one's own password.
    common::Result<void> check_password(const std::string& name, const std::string& password,
                                        const std::string& from);
    /// Creates a reporter key for `units` (empty: the whole province); returns it with its
    /// secret, which is shown this once: only its SHA-256 digest is kept.
    common::Result<std::pair<ApiKey, std::string>>
    create_key(const std::string& name, const std::vector<std::int64_t>& units,
               const std::string& who);
    common::Result<std::vector<ApiKey>> keys();
    /// A new secret for key `id` (the old one opens nothing from now on), shown once.
    common::Result<std::pair<ApiKey, std::string>> rotate_key(std::int64_t id);
    /// Revokes key `id` for good.
    common::Result<ApiKey> revoke_key(std::int64_t id);

    /// The user behind a token that is known, unexpired and not revoked: a session's, or an
    /// API key's (a reporter named "key:NAME", whose use is counted).
    common::Result<User> authenticate(const std::string& token);
    /// Ends a session.
    common::Result<void> revoke(const std::string& token);
    /// Changes whenever sessions may have ended (a logout, a password changed, a user
    /// disabled): connections that logged in earlier check their token again.
    std::uint64_t sessions_generation() const { return sessions_generation_.load(); }
    /// Users' units changed elsewhere (a merge moved them): sessions check their user again.
    void note_scopes_changed() { ++sessions_generation_; }

    /// At first start: if there is no user, creates "admin" with `password` or, if empty, a
    /// random one, which is returned to be shown once; nullopt if users exist already.
    common::Result<std::optional<std::string>> ensure_admin(const std::string& password);

    /// Records a change (at now, unless `record.at` is set).
    common::Result<void> record(const AuditRecord& record);
    /// The audit records in [from, to), oldest first.
    common::Result<std::vector<AuditRecord>>
    audit(std::chrono::sys_time<std::chrono::milliseconds> from,
          std::chrono::sys_time<std::chrono::milliseconds> to);

private:
    using Millis = std::chrono::sys_time<std::chrono::milliseconds>;
    /// Failed logins of one key ("NAME@ADDRESS" or "@ADDRESS").
    struct Failures {
        int count = 0;
        Millis last{};
        Millis locked_until{};
    };
    /// Verifies `password` for an enabled user `name`, counting the attempt; the user's id.
    common::Result<std::int64_t> verify(const std::string& name, const std::string& password,
                                        const std::string& from);
    /// Until when `key` is locked at `now` (nullopt: free); forgets stale failures.
    std::optional<Millis> locked(const std::string& key, Millis now);
    void note_failure(const std::string& key, int free_failures, Millis now);
    void forget_failure(const std::string& key);
    common::Result<User> read_user(common::Statement& query, const std::string& missing);
    /// The reporter behind a live key, counting its use (under mutex_).
    common::Result<User> authenticate_key(const std::string& secret);
    common::Result<ApiKey> read_key(std::int64_t id);
    /// Runs `update` (a bound change to user `name`) and ends the user's sessions, together.
    common::Result<void> change_ending_sessions(const std::string& name, common::Statement& update);
    Millis now() const;

    const common::Clock& clock_;
    std::mutex mutex_;
    std::atomic<std::uint64_t> sessions_generation_{0};
    common::Database db_;
    std::map<std::string, Failures> failures_; ///< by "NAME@ADDRESS" and "@ADDRESS"
};

} // namespace loa::server
