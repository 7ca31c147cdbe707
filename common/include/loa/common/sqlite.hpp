#pragma once
/// @file
/// A small RAII wrapper over SQLite: one connection per owner, WAL mode, foreign keys on,
/// prepared statements only, versioned migrations.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loa/common/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace loa::common {

class Database;

/// A prepared statement. Bind with 1-based indexes, then step() row by row.
class Statement {
public:
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const std::string& value) {
        return bind(index, std::string_view(value));
    }
    Statement& bind(int index, std::nullopt_t);
    Statement& bind(int index, const std::optional<std::int64_t>& value);
    Statement& bind(int index, const std::optional<std::string>& value);
    /// Binds bytes as a BLOB (read back with text()).
    Statement& bind_blob(int index, std::string_view bytes);

    /// Advances to the next row: true if there is one, false when done; errors become a
    /// Result error naming the statement.
    Result<bool> step();
    /// Runs a statement that returns no rows.
    Result<void> run();
    /// Resets for another execution (bindings are kept).
    void reset();

    std::int64_t integer(int column) const;
    std::string text(int column) const;
    bool is_null(int column) const;
    std::optional<std::int64_t> optional_integer(int column) const;
    std::optional<std::string> optional_text(int column) const;

private:
    friend class Database;
    Statement(sqlite3_stmt* stmt, std::string sql) : stmt_(stmt), sql_(std::move(sql)) {}
    sqlite3_stmt* stmt_ = nullptr;
    std::string sql_;
};

/// Steps through every row of `query`, turning each into a T with `read(query)`.
template <class T, class Read> Result<std::vector<T>> collect(Statement& query, Read&& read) {
    std::vector<T> out;
    for (;;) {
        auto row = query.step();
        if (!row)
            return row.error();
        if (!*row)
            return out;
        out.push_back(read(static_cast<const Statement&>(query)));
    }
}

/// Steps through every row of `query`, calling `visit(query)` on each.
template <class Visit> Result<void> for_each_row(Statement& query, Visit&& visit) {
    for (;;) {
        auto row = query.step();
        if (!row)
            return row.error();
        if (!*row)
            return {};
        visit(static_cast<const Statement&>(query));
    }
}

/// One schema change: applied once, in order of version, inside a transaction.
struct Migration {
    int version;
    std::string sql;
};

/// A connection to one SQLite file.
class Database {
public:
    enum class Access { read_write, read_only };
    /// Opens (creating if needed) with WAL, foreign keys and a busy timeout; throws on failure.
    /// Read-only opens an existing file as it is (a backup being checked).
    explicit Database(const std::string& path, Access access = Access::read_write);
    Database(Database&& other) noexcept;
    Database& operator=(Database&&) = delete;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    /// Prepares a statement; a malformed statement is a bug, so this throws.
    Statement prepare(std::string_view sql);
    /// Runs one or more statements without parameters (schema, pragmas).
    Result<void> execute(std::string_view sql);
    /// Applies the migrations newer than the stored user_version; throws if one fails.
    void migrate(const std::vector<Migration>& migrations);
    /// The schema version (PRAGMA user_version).
    int schema_version();
    /// Whether the database (`schema`: "main", "temp" or an attached one's name) has `table`.
    Result<bool> has_table(const std::string& table, const std::string& schema = "main");
    /// The same for one component sharing the file with others: its versions are kept in the
    /// table loa_schema (component, version), apart from user_version.
    void migrate(const std::string& component, const std::vector<Migration>& migrations);
    /// Row id of the last insert on this connection.
    std::int64_t last_insert_id() const;
    /// Rows changed by the last statement.
    int changes() const;
    /// Whether a transaction is open (SQLite ends one by itself on some errors).
    bool in_transaction() const;
    /// How long a statement waits for another connection's write before failing (5 s unless
    /// set). A failure says how long it waited, or that another connection wrote since this
    /// one's read began (a conflict no wait resolves).
    void set_busy_timeout(std::chrono::milliseconds wait);
    /// Writes a consistent copy of the whole database into `file` (which must not exist) while
    /// other connections go on writing: SQLite's VACUUM INTO, one read transaction long.
    Result<void> vacuum_into(const std::string& file);

private:
    friend class Transaction;
    sqlite3* db_ = nullptr;
    std::string path_;
    int transactions_ = 0; ///< Transactions open on this connection, outermost first
};

/// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless commit() was called. Inside
/// another transaction it is a savepoint: commit() keeps its changes for the outer one to
/// commit, and destruction without it undoes only its own.
class Transaction {
public:
    explicit Transaction(Database& db);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();
    Result<void> commit();

private:
    Database& db_;
    bool nested_; ///< inside another transaction: a savepoint, released or rolled back to
    bool done_ = false;
};

/// The database errors of every connection in this process so far: what the supervisor's
/// database_errors alarm watches. A constraint violation is a caller's bad input (a name
/// taken, a row still referenced), answered as such, and not counted.
struct DatabaseErrors {
    std::uint64_t count = 0;
    std::string last; ///< the last one's message and statement (never bound values)
};

/// A snapshot of the process's database errors. Thread-safe.
DatabaseErrors database_errors();

} // namespace loa::common
