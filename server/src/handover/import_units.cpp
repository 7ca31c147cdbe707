// The archive's units placed in the importing server: each added under its mapped code, or
// merged into the current unit bearing that code, with the codes and names it bore kept as
// former ones (so that a search by an old code finds where its history went).
#include "import_units.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "archive.hpp"
#include "loa/schedules/unit_list.hpp"

namespace loa::server::handover_import {
namespace {

namespace json = boost::json;
using common::Errc;
using common::make_error;

/// A unit, in the archive or here.
struct UnitRow {
    std::int64_t id = 0;
    std::string code;
    std::string name;
    std::optional<std::int64_t> parent;
    std::string valid_from;
    std::optional<std::string> valid_to;
    std::optional<std::int64_t> merged_into;
    std::int64_t approval_required = 1;
    std::string quiet_start;
    std::string quiet_end;
    std::optional<std::string> named_from;

    bool ended() const { return valid_to.has_value() || merged_into.has_value(); }
};

common::Result<std::vector<UnitRow>> read_units(common::Database& db, const std::string& schema) {
    auto s = db.prepare("SELECT id, code, name, parent, valid_from, valid_to, merged_into, "
                        "approval_required, quiet_start, quiet_end, named_from FROM " +
                        schema + ".unit ORDER BY id");
    return common::collect<UnitRow>(s, [](const common::Statement& r) {
        return UnitRow{r.integer(0),
                       r.text(1),
                       r.text(2),
                       r.optional_integer(3),
                       r.text(4),
                       r.optional_text(5),
                       r.optional_integer(6),
                       r.integer(7),
                       r.text(8),
                       r.text(9),
                       r.optional_text(10)};
    });
}

/// A former code or name of a unit, in the archive or here.
struct FormerRow {
    std::int64_t unit = 0;
    std::string code;
    std::string name;
    std::string valid_from;
    std::string valid_to;
};

common::Result<std::vector<FormerRow>> read_former(common::Database& db,
                                                   const std::string& schema) {
    auto s = db.prepare("SELECT unit, code, name, valid_from, valid_to FROM " + schema +
                        ".unit_former_name ORDER BY rowid");
    return common::collect<FormerRow>(s, [](const common::Statement& r) {
        return FormerRow{r.integer(0), r.text(1), r.text(2), r.text(3), r.text(4)};
    });
}

/// The archive's units, each after the unit above it.
std::vector<UnitRow> parents_first(std::vector<UnitRow> units) {
    std::map<std::int64_t, std::optional<std::int64_t>> parent;
    for (const auto& u : units)
        parent[u.id] = u.parent;
    auto depth = [&](std::int64_t id) {
        int d = 0;
        for (auto at = parent[id]; at && parent.count(*at) != 0 && d < 64; at = parent[*at])
            ++d;
        return d;
    };
    std::stable_sort(units.begin(), units.end(),
                     [&](const UnitRow& a, const UnitRow& b) { return depth(a.id) < depth(b.id); });
    return units;
}

/// The unit here that bears or bore `code`, with whether it bears it now.
struct Bearer {
    const UnitRow* unit = nullptr;
    bool current = false;
};

/// The importing database's units and their former codes.
class Here {
public:
    Here(std::vector<UnitRow> units, std::vector<FormerRow> former)
        : units_(std::move(units)), former_(std::move(former)) {}

    Bearer bearer(const std::string& code) const {
        for (const auto& u : units_)
            if (u.code == code)
                return {&u, true};
        for (const auto& f : former_)
            if (f.code == code)
                for (const auto& u : units_)
                    if (u.id == f.unit)
                        return {&u, false};
        return {};
    }
    /// Codes borne by units added during this import.
    void note(std::int64_t id, const std::string& code) {
        UnitRow added;
        added.id = id;
        added.code = code;
        units_.push_back(added);
    }
    void note_former(std::int64_t unit, const std::string& code) {
        former_.push_back({unit, code, "", "", ""});
    }

private:
    std::vector<UnitRow> units_;
    std::vector<FormerRow> former_;
};

std::string mapped(const HandoverMapping& mapping, const std::string& code) {
    auto it = mapping.codes.find(code);
    return it == mapping.codes.end() ? code : it->second;
}

common::Result<std::int64_t> add_unit(common::Database& db, const UnitRow& u,
                                      const std::string& code, std::optional<std::int64_t> parent) {
    auto s = db.prepare("INSERT INTO unit (code, name, parent, valid_from, valid_to, "
                        "approval_required, quiet_start, quiet_end, named_from) VALUES (?, ?, "
                        "?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, code)
        .bind(2, u.name)
        .bind(3, parent)
        .bind(4, u.valid_from)
        .bind(5, u.valid_to)
        .bind(6, u.approval_required)
        .bind(7, u.quiet_start)
        .bind(8, u.quiet_end)
        .bind(9, u.named_from);
    if (auto done = s.run(); !done)
        return done.error();
    return db.last_insert_id();
}

/// Keeps a former code and name of `unit`, unless it has it already (an earlier archive).
common::Result<void> add_former(common::Database& db, std::int64_t unit, const FormerRow& f) {
    auto s = db.prepare("INSERT INTO unit_former_name (unit, code, name, valid_from, valid_to) "
                        "SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM "
                        "unit_former_name WHERE unit = ?1 AND code = ?2 AND name = ?3)");
    s.bind(1, unit).bind(2, f.code).bind(3, f.name).bind(4, f.valid_from).bind(5, f.valid_to);
    return s.run();
}

} // namespace

common::Result<std::map<std::int64_t, std::int64_t>> place_units(common::Database& db,
                                                                 const HandoverMapping& mapping,
                                                                 HandoverImport& out,
                                                                 std::int64_t& home) {
    auto archived = read_units(db, "arc");
    if (!archived)
        return archived.error();
    auto archived_former = read_former(db, "arc");
    if (!archived_former)
        return archived_former.error();
    auto here_units = read_units(db, "main");
    if (!here_units)
        return here_units.error();
    auto here_former = read_former(db, "main");
    if (!here_former)
        return here_former.error();
    auto outside_text = handover_archive::manifest_value(db, "outside_parents", "arc");
    if (!outside_text)
        return outside_text.error();
    json::object outside;
    try {
        outside = json::parse(outside_text->empty() ? "{}" : *outside_text).as_object();
    } catch (const std::exception&) {
        return make_error(Errc::invalid_argument, "the archive's manifest is not readable");
    }
    auto ordered = parents_first(std::move(*archived));

    Here here(std::move(*here_units), std::move(*here_former));
    std::map<std::int64_t, std::int64_t> ids;
    std::map<std::int64_t, std::string> codes_here; // archive id -> code here
    auto refuse = [&](HandoverUnitStep& step, const std::string& reason) {
        step.action = "refused";
        step.reason = reason;
        out.refused.push_back(step.code + " (" + step.name + "): " + reason);
    };
    for (const auto& u : ordered) {
        HandoverUnitStep step{u.code, u.name, mapped(mapping, u.code), "", ""};
        bool province = !u.parent.has_value();
        auto bearer = here.bearer(step.as);
        if (bearer.unit != nullptr && bearer.current) {
            const auto& into = *bearer.unit;
            // An ended unit takes only an ended one: the same history again (a later archive).
            if (into.ended() && !u.ended())
                refuse(step, step.as + " here is a unit that ended; map it to its successor");
            else if (province != !into.parent.has_value())
                refuse(step, std::string("a ") + (province ? "province" : "commune") +
                                 " cannot merge into the " + (province ? "commune" : "province") +
                                 " " + step.as);
            else {
                step.action = "merged";
                ids[u.id] = into.id;
            }
        } else if (bearer.unit != nullptr) {
            refuse(step, step.as + " was the code here of the unit now " + bearer.unit->code +
                             "; map it to another code");
        } else if (auto bad = step.as != u.code ? schedules::bad_unit_code(step.as, province)
                                                : std::nullopt) {
            // An archive's own codes are taken as they are; a mapped one must be of the form.
            refuse(step, *bad);
        } else {
            std::optional<std::int64_t> parent;
            std::string fault;
            if (u.parent && ids.count(*u.parent) != 0) {
                parent = ids[*u.parent];
            } else if (u.parent) {
                auto above = outside.if_contains(u.code);
                std::string above_code =
                    above != nullptr && above->is_string() ? std::string(above->as_string()) : "";
                auto above_here = here.bearer(mapped(mapping, above_code));
                bool missing =
                    above_here.unit == nullptr || !above_here.current || above_here.unit->ended();
                if (above_code.empty()) {
                    fault = "the unit above it is refused";
                } else if (missing) {
                    fault = "the unit above it, " + above_code;
                    fault += R"(, is not a unit here: map it to one (codes {")";
                    fault += above_code + R"(": "..."}))";
                } else if (above_here.unit->parent) {
                    fault = "the unit above it, " + above_code;
                    fault += ", is mapped to " + above_here.unit->code;
                    fault += ", a commune here; map it to a province";
                } else {
                    parent = above_here.unit->id;
                }
            }
            if (!fault.empty()) {
                refuse(step, fault);
            } else {
                auto id = add_unit(db, u, step.as, parent);
                if (!id)
                    return id.error();
                step.action = "added";
                ids[u.id] = *id;
                here.note(*id, step.as);
                out.added_units.push_back(step.as);
            }
        }
        codes_here[u.id] = step.as;
        // The archive's code and name, if the unit here is known by others from now on.
        if (step.action != "refused" && (step.as != u.code || step.action == "merged")) {
            auto other = here.bearer(u.code);
            if (other.unit != nullptr && other.unit->id != ids[u.id])
                refuse(step, u.code + " is borne here by another unit (" + other.unit->code +
                                 "); it cannot be kept as a former code");
            else if (auto done = add_former(
                         db, ids[u.id],
                         {0, u.code, u.name, u.named_from.value_or(u.valid_from), mapping.date});
                     !done)
                return done.error();
            else
                here.note_former(ids[u.id], u.code);
        }
        out.units.push_back(std::move(step));
    }
    // The codes and names the units bore in the archive's server.
    for (const auto& f : *archived_former) {
        auto it = ids.find(f.unit);
        if (it == ids.end())
            continue;
        auto other = here.bearer(f.code);
        if (other.unit != nullptr && other.unit->id != it->second) {
            out.refused.push_back(f.code + " (" + f.name + "), a former code of " +
                                  codes_here[f.unit] + ", is borne here by another unit (" +
                                  other.unit->code + ")");
            continue;
        }
        if (auto done = add_former(db, it->second, f); !done)
            return done.error();
        here.note_former(it->second, f.code);
    }
    // Units merged in the archive's server stay merged into their successor here.
    for (const auto& u : ordered) {
        if (!u.merged_into || ids.count(u.id) == 0 || ids.count(*u.merged_into) == 0)
            continue;
        auto s = db.prepare("UPDATE unit SET merged_into = ? WHERE id = ? AND merged_into IS NULL "
                            "AND valid_to IS NOT NULL");
        if (auto done = s.bind(1, ids[*u.merged_into]).bind(2, ids[u.id]).run(); !done)
            return done.error();
    }
    if (auto made = db.execute("CREATE TEMP TABLE map_unit (old INTEGER PRIMARY KEY, new INTEGER "
                               "NOT NULL)");
        !made)
        return made.error();
    for (const auto& [old_id, new_id] : ids) {
        auto s = db.prepare("INSERT INTO map_unit (old, new) VALUES (?, ?)");
        if (auto done = s.bind(1, old_id).bind(2, new_id).run(); !done)
            return done.error();
    }
    // Units split in the archive's server keep the parts that came with them.
    if (auto done = db.execute("INSERT OR IGNORE INTO main.unit_split (unit, part, date) SELECT "
                               "w.new, p.new, s.date FROM arc.unit_split s JOIN map_unit w ON "
                               "w.old = s.unit JOIN map_unit p ON p.old = s.part WHERE w.new != "
                               "p.new");
        !done)
        return done.error();
    // The unit asked for first (its programs' home here), else the first top unit.
    auto asked = handover_archive::manifest_value(db, "units", "arc");
    if (!asked)
        return asked.error();
    std::string first;
    try {
        auto listed = json::parse(asked->empty() ? "[]" : *asked);
        if (!listed.as_array().empty())
            first = listed.as_array().front().as_string();
    } catch (const std::exception&) {
        return make_error(Errc::invalid_argument, "the archive's manifest is not readable");
    }
    home = 0;
    for (const auto& u : ordered)
        if (ids.count(u.id) != 0 && (u.code == first || (home == 0 && first.empty())))
            home = ids[u.id];
    if (home == 0 && !ids.empty())
        home = ids.begin()->second;
    return ids;
}

} // namespace loa::server::handover_import
