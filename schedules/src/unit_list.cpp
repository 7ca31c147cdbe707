// The national list of administrative units: read from CSV, compared with a province's units.
#include "loa/schedules/unit_list.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "loa/schedules/search_text.hpp"

namespace loa::schedules {
namespace {

/// CSV text split into rows of fields, each with its first line.
struct CsvRows {
    std::vector<std::pair<int, std::vector<std::string>>> rows;
    int unclosed_quote = 0; ///< the line of a quote never closed (the rest is its field), or 0
};

/// Splits CSV text into rows of fields (RFC 4180) with `separator`.
CsvRows csv_rows(std::string_view text, char separator) {
    CsvRows out;
    auto& rows = out.rows;
    int quote_line = 0;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    int line = 1;
    int row_line = 1;
    auto end_row = [&] {
        row.push_back(std::move(field));
        field.clear();
        bool blank = std::all_of(row.begin(), row.end(), [](const std::string& f) {
            return f.find_first_not_of(" \t") == std::string::npos;
        });
        if (!blank)
            rows.emplace_back(row_line, std::move(row));
        row.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                line += c == '\n' ? 1 : 0;
                field += c;
            }
        } else if (c == '"' && field.empty()) {
            quoted = true;
            quote_line = line;
        } else if (c == separator) {
            row.push_back(std::move(field));
            field.clear();
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
            end_row();
            row_line = ++line;
        } else {
            field += c;
        }
    }
    if (!field.empty() || !row.empty())
        end_row();
    if (quoted)
        out.unclosed_quote = quote_line;
    return out;
}

std::string trimmed(const std::string& s) {
    auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos)
        return "";
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

/// The names each column goes by, as search keys.
const std::map<std::string, std::string> kNames = {{"ma", "code"},
                                                   {"code", "code"},
                                                   {"ma don vi", "code"},
                                                   {"ma xa", "code"},
                                                   {"ten", "name"},
                                                   {"name", "name"},
                                                   {"ten don vi", "name"},
                                                   {"ten xa", "name"},
                                                   {"cap", "level"},
                                                   {"level", "level"},
                                                   {"ma tinh", "province"},
                                                   {"province_code", "province"},
                                                   {"ma tinh/tp", "province"}};

/// Which column a header names: its search key among the names each column goes by.
std::optional<std::string> column_of(const std::string& header) {
    auto it = kNames.find(search_key(trimmed(header)));
    return it == kNames.end() ? std::nullopt : std::optional(it->second);
}

bool all_digits(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Whether `level` (as the list writes it) fits a code of `digits` digits.
bool level_fits(const std::string& level, std::size_t digits) {
    auto key = search_key(level);
    auto starts = [&](const char* prefix) { return key.rfind(prefix, 0) == 0; };
    if (digits == 2)
        return starts("tinh") || starts("thanh pho") || starts("province");
    return starts("xa") || starts("phuong") || starts("dac khu") || starts("thi tran") ||
           starts("commune") || starts("ward");
}

} // namespace

OfficialList read_official_list(std::string_view csv) {
    OfficialList list;
    if (csv.substr(0, 3) == "\xEF\xBB\xBF")
        csv.remove_prefix(3);
    auto header_end = csv.find_first_of("\r\n");
    auto header = csv.substr(0, header_end);
    char separator = std::count(header.begin(), header.end(), ';') >
                             std::count(header.begin(), header.end(), ',')
                         ? ';'
                         : ',';
    auto split = csv_rows(csv, separator);
    if (split.unclosed_quote > 0) {
        // The rest of the file would be one name, and its units missing: none is read.
        list.problems.push_back("line " + std::to_string(split.unclosed_quote) +
                                ": a quote (\") is opened and never closed");
        return list;
    }
    const auto& rows = split.rows;
    if (rows.empty()) {
        list.problems.emplace_back("the file is empty: its first row names the columns");
        return list;
    }
    std::map<std::string, std::size_t> at;
    for (std::size_t i = 0; i < rows[0].second.size(); ++i)
        if (auto column = column_of(rows[0].second[i]))
            at.emplace(*column, i);
    for (const char* needed : {"code", "name"})
        if (!at.contains(needed)) {
            list.problems.emplace_back(
                std::string("line 1: no column for the unit's ") +
                (std::string(needed) == "code" ? "code (\"Mã\")" : "name (\"Tên\")"));
            return list;
        }
    auto cell = [&](const std::vector<std::string>& row, const char* column) {
        auto it = at.find(column);
        return it == at.end() || it->second >= row.size() ? std::string()
                                                          : trimmed(row[it->second]);
    };
    for (std::size_t r = 1; r < rows.size(); ++r) {
        const auto& [line, row] = rows[r];
        auto where = "line " + std::to_string(line) + ": ";
        OfficialUnit u{cell(row, "code"), cell(row, "name"), cell(row, "province"), line};
        if (!all_digits(u.code) || (u.code.size() != 2 && u.code.size() != 5)) {
            list.problems.push_back(where + "code \"" + u.code +
                                    "\" is not 2 digits (a province) or 5 (a commune or ward)");
            continue;
        }
        if (auto bad = bad_unit_name(u.name)) {
            list.problems.push_back(where + "unit " + u.code + ": " + *bad);
            continue;
        }
        if (u.code.size() == 5 && at.contains("province") && u.province_code.empty()) {
            list.problems.push_back(where + "commune " + u.code + " has no province code");
            continue;
        }
        if (!u.province_code.empty() &&
            (u.province_code.size() != 2 || !all_digits(u.province_code))) {
            list.problems.push_back(where + "province code \"" + u.province_code +
                                    "\" is not 2 digits");
            continue;
        }
        if (auto level = cell(row, "level"); !level.empty() && !level_fits(level, u.code.size())) {
            auto problem = where;
            problem += "unit " + u.code + " is " + level;
            problem +=
                ", which does not fit a code of " + std::to_string(u.code.size()) + " digits";
            list.problems.push_back(std::move(problem));
            continue;
        }
        list.units.push_back(std::move(u));
    }
    return list;
}

UnitListPlan plan_unit_list(const OfficialList& list, const std::vector<Unit>& units,
                            const std::string& province) {
    UnitListPlan plan;
    plan.problems = list.problems;
    std::set<std::string> provinces;
    bool has_province_column = false;
    std::map<std::string, int> first_line;
    for (const auto& u : list.units) {
        if (u.code.size() == 2)
            provinces.insert(u.code);
        has_province_column |= !u.province_code.empty();
        if (auto [it, fresh] = first_line.emplace(u.code, u.line); !fresh)
            plan.problems.push_back("line " + std::to_string(u.line) + ": code " + u.code +
                                    " is on line " + std::to_string(it->second) + " already");
    }
    bool named = provinces.contains(province) ||
                 std::any_of(list.units.begin(), list.units.end(),
                             [&](const OfficialUnit& u) { return u.province_code == province; });
    if (!named)
        plan.problems.push_back("the list has no row for province " + province +
                                ": a list of another province would retire every commune");
    if (!has_province_column && provinces.size() > 1)
        plan.problems.emplace_back("the list has several provinces and no \"Mã tỉnh\" column: "
                                   "which communes are whose cannot be told");
    std::map<std::string, const Unit*> by_code;
    const Unit* ours = nullptr;
    for (const auto& u : units) {
        by_code[u.code] = &u;
        if (u.code == province && !u.parent)
            ours = &u;
    }
    if (!ours)
        plan.problems.push_back("province " + province + " is not among this server's units");
    std::set<std::string> listed;
    for (const auto& u : list.units) {
        bool mine = u.code == province ||
                    (u.code.size() == 5 && (u.province_code.empty() ? provinces.size() <= 1
                                                                    : u.province_code == province));
        if (!mine) {
            ++plan.other_provinces;
            continue;
        }
        listed.insert(u.code);
        auto it = by_code.find(u.code);
        if (it == by_code.end()) {
            plan.changes.push_back({UnitListChange::Kind::add, u.code, u.name, "", u.line});
            continue;
        }
        const Unit& have = *it->second;
        auto where = "line " + std::to_string(u.line) + ": ";
        if (have.merged_into || have.valid_to) {
            plan.problems.push_back(where + "unit " + u.code + " (" + have.name + ") ended on " +
                                    have.valid_to.value_or("?") +
                                    "; a code of the list is a unit that exists");
        } else if (u.code != province && (!ours || have.parent != ours->id)) {
            auto problem = where;
            problem += "unit " + u.code + " (" + have.name + ")";
            problem += " is not a commune of province " + province;
            plan.problems.push_back(std::move(problem));
        } else if (have.name != u.name) {
            plan.changes.push_back(
                {UnitListChange::Kind::rename, u.code, u.name, have.name, u.line});
        } else {
            ++plan.unchanged;
        }
    }
    for (const auto& u : units)
        if (ours && u.parent == ours->id && !u.merged_into && !u.valid_to &&
            !listed.contains(u.code))
            plan.changes.push_back({UnitListChange::Kind::retire, u.code, u.name, "", 0});
    return plan;
}

std::string to_string(UnitListChange::Kind kind) {
    switch (kind) {
    case UnitListChange::Kind::add:
        return "add";
    case UnitListChange::Kind::rename:
        return "rename";
    case UnitListChange::Kind::retire:
        return "retire";
    }
    return "?";
}

} // namespace loa::schedules
