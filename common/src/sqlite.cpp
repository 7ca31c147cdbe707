#include "loa/common/sqlite.hpp"

#include <chrono>
#include <mutex>
#include <sqlite3.h>
#include <stdexcept>

namespace loa::common {
namespace {

std::mutex errors_mutex;
DatabaseErrors errors; // guarded by errors_mutex

/// Counts an error, unless `code` is a constraint violation (a caller's bad input).
void count_error(int code, const std::string& message) {
    if ((code & 0xff) == SQLITE_CONSTRAINT)
        return;
    std::lock_guard lock(errors_mutex);
    ++errors.count;
    errors.last = message;
}

/// Why the database was busy, so that a lock held too long can be told from a conflict.
std::string busy_reason(int code, std::chrono::steady_clock::duration waited) {
    if (code == SQLITE_BUSY_SNAPSHOT)
        return ", another connection wrote since this one began reading";
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(waited).count();
    return ", waited " + std::to_string(ms) + " ms for another connection's write to end";
}

Error sql_error(sqlite3* db, const std::string& sql,
                std::chrono::steady_clock::duration waited = {}) {
    int code = sqlite3_extended_errcode(db);
    std::string why = (code & 0xff) == SQLITE_BUSY ? busy_reason(code, waited) : "";
    auto error = make_error(Errc::io_error, std::string("database: ") + sqlite3_errmsg(db) + why +
                                                " (in: " + sql + ")");
    count_error(code, error.message);
    return error;
}

} // namespace

Statement::Statement(Statement&& other) noexcept : stmt_(other.stmt_), sql_(std::move(other.sql_)) {
    other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        stmt_ = other.stmt_;
        sql_ = std::move(other.sql_);
        other.stmt_ = nullptr;
    }
    return *this;
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, std::string_view(*value)) : bind(index, std::nullopt);
}

Result<bool> Statement::step() {
    auto began = std::chrono::steady_clock::now();
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    return sql_error(sqlite3_db_handle(stmt_), sql_, std::chrono::steady_clock::now() - began);
}

Result<void> Statement::run() {
    auto stepped = step();
    reset();
    if (!stepped)
        return stepped.error();
    return {};
}

void Statement::reset() {
    sqlite3_reset(stmt_);
}

std::int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(p),
                             static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<std::int64_t> Statement::optional_integer(int column) const {
    if (is_null(column))
        return std::nullopt;
    return integer(column);
}

std::optional<std::string> Statement::optional_text(int column) const {
    if (is_null(column))
        return std::nullopt;
    return text(column);
}

Database::Database(const std::string& path, Access access) : path_(path) {
    int flags = access == Access::read_only ? SQLITE_OPEN_READONLY
                                            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
        std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error("cannot open the database " + path + ": " + reason);
    }
    set_busy_timeout(std::chrono::seconds(5));
    if (access == Access::read_only)
        return; // as it is: a backup looked at, never changed
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"})
        if (auto done = execute(pragma); !done)
            throw std::runtime_error("cannot set up the database " + path + ": " +
                                     done.error().message);
}

Database::Database(Database&& other) noexcept : db_(other.db_), path_(std::move(other.path_)) {
    other.db_ = nullptr;
}

Database::~Database() {
    sqlite3_close_v2(db_);
}

Statement Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK)
        throw std::logic_error(sql_error(db_, std::string(sql)).message);
    return Statement(stmt, std::string(sql));
}

Result<void> Database::execute(std::string_view sql) {
    std::string text(sql);
    char* message = nullptr;
    auto began = std::chrono::steady_clock::now();
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string reason = message != nullptr ? message : "unknown error";
        sqlite3_free(message);
        int code = sqlite3_extended_errcode(db_);
        if ((code & 0xff) == SQLITE_BUSY)
            reason += busy_reason(code, std::chrono::steady_clock::now() - began);
        auto error = make_error(Errc::io_error, "database: " + reason);
        count_error(code, error.message);
        return error;
    }
    return {};
}

int Database::schema_version() {
    auto s = prepare("PRAGMA user_version");
    auto row = s.step();
    return row && *row ? static_cast<int>(s.integer(0)) : 0;
}

void Database::migrate(const std::vector<Migration>& migrations) {
    int current = schema_version();
    for (const auto& m : migrations) {
        if (m.version <= current)
            continue;
        Transaction tx(*this);
        auto applied = execute(m.sql);
        if (applied)
            applied = execute("PRAGMA user_version=" + std::to_string(m.version));
        if (applied)
            applied = tx.commit();
        if (!applied)
            throw std::runtime_error(path_ + ": migration to schema " + std::to_string(m.version) +
                                     " failed: " + applied.error().message);
        current = m.version;
    }
}

void Database::migrate(const std::string& component, const std::vector<Migration>& migrations) {
    if (auto made = execute("CREATE TABLE IF NOT EXISTS loa_schema ("
                            "component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
        !made)
        throw std::runtime_error(path_ + ": " + made.error().message);
    auto read = prepare("SELECT version FROM loa_schema WHERE component = ?");
    read.bind(1, std::string_view(component));
    auto row = read.step();
    if (!row)
        throw std::runtime_error(path_ + ": " + row.error().message);
    std::int64_t current = *row ? read.integer(0) : 0;
    read.reset();
    for (const auto& m : migrations) {
        if (m.version <= current)
            continue;
        Transaction tx(*this);
        auto applied = execute(m.sql);
        if (applied) {
            auto note = prepare("INSERT INTO loa_schema (component, version) VALUES (?, ?) "
                                "ON CONFLICT (component) DO UPDATE SET version = excluded.version");
            note.bind(1, std::string_view(component)).bind(2, std::int64_t{m.version});
            applied = note.run();
        }
        if (applied)
            applied = tx.commit();
        if (!applied)
            throw std::runtime_error(path_ + ": " + component + " migration to schema " +
                                     std::to_string(m.version) +
                                     " failed: " + applied.error().message);
        current = m.version;
    }
}

std::int64_t Database::last_insert_id() const {
    return sqlite3_last_insert_rowid(db_);
}

int Database::changes() const {
    return sqlite3_changes(db_);
}

Transaction::Transaction(Database& db) : db_(db), nested_(db.transactions_ > 0) {
    // SQLite ends a transaction by itself on some errors (a full disk): what would follow
    // inside it must not run, and commit, on its own.
    if (nested_ && !db_.in_transaction())
        throw std::runtime_error("database: the enclosing transaction was rolled back after an "
                                 "error");
    if (auto begun = db_.execute(nested_ ? "SAVEPOINT loa_nested" : "BEGIN IMMEDIATE"); !begun)
        throw std::runtime_error(begun.error().message);
    ++db_.transactions_;
}

Result<bool> Database::has_table(const std::string& table, const std::string& schema) {
    auto s =
        prepare("SELECT 1 FROM \"" + schema + "\".sqlite_master WHERE type = 'table' AND name = ?");
    s.bind(1, table);
    return s.step();
}

Result<void> Database::vacuum_into(const std::string& file) {
    auto copy = prepare("VACUUM INTO ?");
    copy.bind(1, std::string_view(file));
    return copy.run();
}

void Database::set_busy_timeout(std::chrono::milliseconds wait) {
    sqlite3_busy_timeout(db_, static_cast<int>(wait.count()));
}

bool Database::in_transaction() const {
    return sqlite3_get_autocommit(db_) == 0;
}

Transaction::~Transaction() {
    // An error such as a full disk may have rolled the transaction back already: a ROLLBACK
    // then fails, and would be counted in place of the error that mattered.
    if (!done_ && db_.in_transaction())
        (void)db_.execute(nested_ ? "ROLLBACK TO loa_nested; RELEASE loa_nested" : "ROLLBACK");
    if (!done_)
        --db_.transactions_;
}

Result<void> Transaction::commit() {
    auto committed = db_.execute(nested_ ? "RELEASE loa_nested" : "COMMIT");
    if (committed) {
        done_ = true;
        --db_.transactions_;
    }
    return committed;
}

DatabaseErrors database_errors() {
    std::lock_guard lock(errors_mutex);
    return errors;
}

} // namespace loa::common
