// Units through reorganisations: renames that keep the names units bore before, and searches
// that find a unit by any of them.
#include <algorithm>
#include <optional>

#include "loa/schedules/search_text.hpp"
#include "loa/schedules/store.hpp"

namespace loa::schedules {
namespace {

using common::Errc;
using common::make_error;

constexpr std::size_t kMaxUnitName = 200;

UnitName read_former(const common::Statement& s) {
    return {s.text(1), s.text(2), s.text(3), s.text(4)};
}

UnitName current_name(const Unit& u) {
    return {u.code, u.name, u.named_from, u.valid_to};
}

/// Whether `name` may name a unit: 1 to kMaxUnitName bytes, not blank, without C0 or C1
/// control characters (U+0080-U+009F are C2 80 - C2 9F in UTF-8); the reason if not.
std::optional<std::string> bad_unit_name(const std::string& name) {
    if (name.empty() || name.size() > kMaxUnitName)
        return "a name has 1 to " + std::to_string(kMaxUnitName) + " bytes";
    if (name.find_first_not_of(" \t") == std::string::npos)
        return "a name is not blank";
    for (std::size_t i = 0; i < name.size(); ++i) {
        auto c = static_cast<unsigned char>(name[i]);
        bool c1 = c == 0xc2 && i + 1 < name.size() &&
                  static_cast<unsigned char>(name[i + 1]) >= 0x80 &&
                  static_cast<unsigned char>(name[i + 1]) <= 0x9f;
        if (c < 0x20 || c == 0x7f || c1)
            return "a name has no control characters";
    }
    return std::nullopt;
}

} // namespace

common::Result<void> ScheduleStore::rename_unit(std::int64_t id, const std::string& name,
                                                const std::string& date) {
    // Read, checked and changed in one transaction: nothing renames it in between.
    return atomically([&]() -> common::Result<void> {
        auto u = unit(id);
        if (!u)
            return u.error();
        auto refused = [&](const std::string& why) {
            return make_error(Errc::invalid_argument,
                              "cannot rename unit \"" + u->code + "\" (" + u->name + "): " + why);
        };
        if (u->merged_into || u->valid_to)
            return refused("it ended on " + u->valid_to.value_or("?") +
                           "; rename the unit it became");
        if (auto bad = bad_unit_name(name))
            return refused(*bad);
        if (name == u->name)
            return refused("it is named so already");
        if (date <= u->named_from)
            return refused("it bears its name from " + u->named_from +
                           "; a rename takes effect on a later day");
        auto keep = db_.prepare("INSERT INTO unit_former_name (unit, code, name, valid_from, "
                                "valid_to) VALUES (?, ?, ?, ?, ?)");
        keep.bind(1, id)
            .bind(2, std::string_view(u->code))
            .bind(3, std::string_view(u->name))
            .bind(4, std::string_view(u->named_from))
            .bind(5, std::string_view(date));
        if (auto kept = keep.run(); !kept)
            return kept;
        auto rename = db_.prepare("UPDATE unit SET name = ?, named_from = ? WHERE id = ?");
        rename.bind(1, std::string_view(name)).bind(2, std::string_view(date)).bind(3, id);
        return rename.run();
    });
}

common::Result<std::vector<UnitName>> ScheduleStore::unit_names(std::int64_t id) {
    auto u = unit(id);
    if (!u)
        return u.error();
    auto s = db_.prepare("SELECT unit, code, name, valid_from, valid_to FROM unit_former_name "
                         "WHERE unit = ? ORDER BY valid_from");
    s.bind(1, id);
    auto names = common::collect<UnitName>(s, read_former);
    if (!names)
        return names;
    names->push_back(current_name(*u));
    return names;
}

common::Result<std::map<std::int64_t, std::vector<UnitName>>> ScheduleStore::former_unit_names() {
    auto s = db_.prepare("SELECT unit, code, name, valid_from, valid_to FROM unit_former_name "
                         "ORDER BY unit, valid_from");
    std::map<std::int64_t, std::vector<UnitName>> out;
    for (;;) {
        auto row = s.step();
        if (!row)
            return row.error();
        if (!*row)
            return out;
        out[s.integer(0)].push_back(read_former(s));
    }
}

common::Result<std::vector<FoundUnit>> ScheduleStore::find_units(const std::string& text,
                                                                 std::size_t limit) {
    auto wanted = search_key(text);
    auto all = units();
    if (!all)
        return all.error();
    auto former = former_unit_names();
    if (!former)
        return former.error();
    std::vector<FoundUnit> found;
    auto matches = [&](const UnitName& n) {
        return search_key(n.code).find(wanted) != std::string::npos ||
               search_key(n.name).find(wanted) != std::string::npos;
    };
    for (const auto& u : *all) {
        if (found.size() >= limit)
            break;
        // The current name first: a unit is shown by what it is called now when that matches.
        std::vector<UnitName> names{current_name(u)};
        if (auto it = former->find(u.id); it != former->end())
            names.insert(names.end(), it->second.rbegin(), it->second.rend());
        if (auto hit = std::find_if(names.begin(), names.end(), matches); hit != names.end())
            found.push_back({u, *hit});
    }
    return found;
}

} // namespace loa::schedules
