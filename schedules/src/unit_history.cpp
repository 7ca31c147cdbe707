// Units through reorganisations: renames and changes of code that keep the codes and names
// units bore before, and searches that find a unit by any of them.
#include <algorithm>
#include <optional>

#include "loa/schedules/search_text.hpp"
#include "loa/schedules/store.hpp"
#include "loa/schedules/unit_list.hpp"

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

} // namespace

std::optional<std::string> bad_unit_code(const std::string& code, bool province) {
    std::size_t digits = province ? 2 : 5;
    bool all_digits =
        std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (code.size() != digits || !all_digits)
        return std::string("a ") + (province ? "province's" : "commune's") + " code is " +
               std::to_string(digits) + " digits (Decision 19/2025/QĐ-TTg)";
    return std::nullopt;
}

// U+0080-U+009F are C2 80 - C2 9F in UTF-8.
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

common::Result<void> ScheduleStore::rename_unit(std::int64_t id, const std::string& name,
                                                const std::string& date) {
    return change_identity(id, std::nullopt, name, date);
}

common::Result<void> ScheduleStore::recode_unit(std::int64_t id, const std::string& code,
                                                const std::string& date) {
    return change_identity(id, code, std::nullopt, date);
}

common::Result<void> ScheduleStore::change_identity(std::int64_t id,
                                                    const std::optional<std::string>& code,
                                                    const std::optional<std::string>& name,
                                                    const std::string& date) {
    // Read, checked and changed in one transaction: nothing changes it in between.
    return atomically([&]() -> common::Result<void> {
        auto u = unit(id);
        if (!u)
            return u.error();
        auto refused = [&](const std::string& why) {
            return make_error(Errc::invalid_argument,
                              std::string("cannot ") + (code ? "recode" : "rename") + " unit \"" +
                                  u->code + "\" (" + u->name + "): " + why);
        };
        if (u->merged_into || u->valid_to)
            return refused("it ended on " + u->valid_to.value_or("?") + "; " +
                           (code ? "recode" : "rename") + " the unit it became");
        if (name) {
            if (auto bad = bad_unit_name(*name))
                return refused(*bad);
            if (*name == u->name)
                return refused("it is named so already");
        }
        if (code) {
            if (auto bad = bad_unit_code(*code, !u->parent))
                return refused(*bad);
            if (*code == u->code)
                return refused("its code is " + *code + " already");
            if (auto taken = code_holder(*code, id); !taken)
                return taken.error();
            else if (*taken)
                return refused(**taken);
        }
        if (date <= u->named_from)
            return refused(code ? "it bears its code from " + u->named_from +
                                      "; a change of code takes effect on a later day"
                                : "it bears its name from " + u->named_from +
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
        auto change =
            db_.prepare("UPDATE unit SET code = ?, name = ?, named_from = ? WHERE id = ?");
        change.bind(1, std::string_view(code.value_or(u->code)))
            .bind(2, std::string_view(name.value_or(u->name)))
            .bind(3, std::string_view(date))
            .bind(4, id);
        return change.run();
    });
}

common::Result<std::optional<std::string>> ScheduleStore::code_holder(const std::string& code,
                                                                      std::int64_t unit) {
    if (auto other = unit_by_code(code))
        return std::optional<std::string>("unit \"" + code + "\" (" + other->name +
                                          ") bears that code");
    else if (other.error().code != Errc::not_found)
        return other.error();
    auto bore = unit_that_bore(code);
    if (!bore)
        return bore.error();
    if (!*bore || (*bore)->id == unit)
        return std::optional<std::string>();
    // Two units under one code at different times would make the history by code ambiguous.
    return std::optional<std::string>("code " + code + " was borne by the unit now \"" +
                                      (*bore)->code + "\" (" + (*bore)->name + ")");
}

common::Result<std::optional<Unit>> ScheduleStore::unit_that_bore(const std::string& code) {
    auto s = db_.prepare("SELECT unit FROM unit_former_name WHERE code = ? AND unit NOT IN "
                         "(SELECT id FROM unit WHERE code = ?) ORDER BY valid_to DESC LIMIT 1");
    s.bind(1, std::string_view(code)).bind(2, std::string_view(code));
    auto row = s.step();
    if (!row)
        return row.error();
    if (!*row)
        return std::optional<Unit>();
    auto u = unit(s.integer(0));
    if (!u)
        return u.error();
    return std::optional<Unit>(std::move(*u));
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
