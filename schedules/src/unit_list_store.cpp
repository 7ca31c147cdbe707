// The national list of administrative units applied to the store: units added, renamed and
// retired from a date, all or nothing.
#include "loa/schedules/unit_list.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;

} // namespace

common::Result<std::size_t> ScheduleStore::uses_of(std::int64_t unit) {
    auto s = db_.prepare("SELECT (SELECT COUNT(*) FROM cluster WHERE unit = ?1) + "
                         "(SELECT COUNT(*) FROM entry_target WHERE unit = ?1) + "
                         "(SELECT COUNT(*) FROM program WHERE unit = ?1)");
    s.bind(1, unit);
    auto row = s.step();
    if (!row)
        return row.error();
    return static_cast<std::size_t>(s.integer(0));
}

common::Result<UnitListPlan> ScheduleStore::apply_unit_list(const OfficialList& list,
                                                            const std::string& province,
                                                            const std::string& date, bool keep) {
    UnitListPlan plan;
    auto done = atomically(
        [&]() -> common::Result<void> {
            auto all = units();
            if (!all)
                return all.error();
            plan = plan_unit_list(list, *all, province);
            const Unit* ours = nullptr;
            for (const auto& u : *all)
                if (u.code == province && !u.parent)
                    ours = &u;
            for (const auto& change : plan.changes) {
                if (change.kind != UnitListChange::Kind::retire)
                    continue;
                auto unit = unit_by_code(change.code);
                if (!unit)
                    return unit.error();
                auto used = uses_of(unit->id);
                if (!used)
                    return used.error();
                // Its clusters, programs and entries would be left on a unit that no longer
                // exists: the unit that takes it over is for a person to say.
                if (date <= unit->named_from)
                    plan.problems.push_back("unit " + change.code + " (" + change.name +
                                            ") bears its code and name from " + unit->named_from +
                                            ": it ends on a later day");
                if (*used > 0)
                    plan.problems.push_back(
                        "unit " + change.code + " (" + change.name +
                        ") is not in the list but has clusters, programs or entries: merge it "
                        "into the unit that takes it over (units.merge) first");
            }
            if (!plan.problems.empty() || !ours)
                return {};
            for (const auto& change : plan.changes) {
                common::Result<void> applied;
                if (change.kind == UnitListChange::Kind::add) {
                    Unit u;
                    u.code = change.code;
                    u.name = change.name;
                    u.parent = ours->id;
                    u.valid_from = date;
                    u.named_from = date;
                    u.approval_required = ours->approval_required;
                    u.quiet_start = ours->quiet_start;
                    u.quiet_end = ours->quiet_end;
                    if (auto added = add_unit(u); !added)
                        applied = added.error();
                } else if (change.kind == UnitListChange::Kind::rename) {
                    applied = rename_unit(unit_by_code(change.code)->id, change.name, date);
                } else {
                    auto s = db_.prepare("UPDATE unit SET valid_to = ? WHERE code = ?");
                    s.bind(1, std::string_view(date)).bind(2, std::string_view(change.code));
                    applied = s.run();
                }
                if (!applied)
                    return make_error(applied.error().code,
                                      "unit " + change.code + ": " + applied.error().message);
            }
            return {};
        },
        keep);
    if (!done)
        return done.error();
    return plan;
}

} // namespace loa::schedules
