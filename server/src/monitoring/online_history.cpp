#include "loa/server/monitoring/online_history.hpp"

namespace loa::server {
namespace {

const std::vector<common::Migration> kMigrations = {
    {1, "CREATE TABLE online_sample (at_ms INTEGER NOT NULL, unit TEXT NOT NULL, "
        "online INTEGER NOT NULL, clusters INTEGER NOT NULL, PRIMARY KEY (at_ms, unit));"},
};

std::int64_t ms(schedules::Millis at) {
    return at.time_since_epoch().count();
}

} // namespace

OnlineHistory::OnlineHistory(const std::string& database) : db_(database) {
    db_.migrate("history", kMigrations);
}

common::Result<void>
OnlineHistory::record(schedules::Millis at,
                      const std::map<std::string, std::pair<int, int>>& units) {
    std::lock_guard lock(mutex_);
    common::Transaction tx(db_);
    auto insert = db_.prepare(
        "INSERT OR REPLACE INTO online_sample (at_ms, unit, online, clusters) VALUES (?, ?, ?, ?)");
    for (const auto& [unit, counts] : units) {
        insert.bind(1, ms(at))
            .bind(2, std::string_view(unit))
            .bind(3, std::int64_t{counts.first})
            .bind(4, std::int64_t{counts.second});
        if (auto done = insert.run(); !done)
            return done;
    }
    auto old = db_.prepare("DELETE FROM online_sample WHERE at_ms < ?");
    old.bind(1, ms(at - std::chrono::duration_cast<std::chrono::milliseconds>(kKeep)));
    if (auto done = old.run(); !done)
        return done;
    return tx.commit();
}

common::Result<std::vector<OnlineSample>> OnlineHistory::between(schedules::Millis from,
                                                                 schedules::Millis to) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT at_ms, unit, online, clusters FROM online_sample "
                         "WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms, unit");
    s.bind(1, ms(from)).bind(2, ms(to));
    return common::collect<OnlineSample>(s, [](const common::Statement& row) {
        return OnlineSample{schedules::Millis(std::chrono::milliseconds(row.integer(0))),
                            row.text(1), static_cast<int>(row.integer(2)),
                            static_cast<int>(row.integer(3))};
    });
}

} // namespace loa::server
