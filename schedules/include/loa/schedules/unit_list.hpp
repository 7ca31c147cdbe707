#pragma once
/// @file
/// The national list of administrative units (Decision 19/2025/QĐ-TTg: 2-digit province codes,
/// 5-digit commune and ward codes), read from a CSV file and compared with the units a server
/// has: which to add, rename and retire, and why a list cannot be applied as it is.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loa/schedules/store.hpp"

namespace loa::schedules {

/// One unit of the list.
struct OfficialUnit {
    std::string code; ///< 2 digits (a province) or 5 (a commune, ward or special zone)
    std::string name;
    std::string province_code; ///< a commune's province ("" when the file does not say)
    int line = 0;              ///< in the file, for messages
};

/// The list as read: its units, and what could not be read (each naming its line).
struct OfficialList {
    std::vector<OfficialUnit> units;
    std::vector<std::string> problems;
};

/// Whether `name` may name a unit: 1 to 200 bytes, not blank, without C0 or C1 control
/// characters; the reason if not.
std::optional<std::string> bad_unit_name(const std::string& name);

/// Whether `code` may be the code of a province (`province`) or of a commune, ward or special
/// zone per Decision 19/2025/QĐ-TTg: 2 digits, or 5; the reason if not.
std::optional<std::string> bad_unit_code(const std::string& code, bool province);

/// Reads the list from CSV text (RFC 4180: quoted fields, "" inside quotes; a UTF-8 byte order
/// mark, CRLF and a ';' separator as spreadsheets write them are accepted). The first row
/// names the columns, in Vietnamese or English, with or without diacritics and in any order:
/// "Mã" / "code", "Tên" / "name", and optionally "Cấp" / "level" (checked against the code:
/// tỉnh or thành phố for 2 digits; xã, phường, đặc khu or thị trấn for 5) and "Mã tỉnh" /
/// "province_code"; other columns are ignored.
OfficialList read_official_list(std::string_view csv);

/// One change the list makes to a province's units.
struct UnitListChange {
    enum class Kind : std::uint8_t { add, rename, retire };
    Kind kind = Kind::add;
    std::string code;
    std::string name;     ///< the name it will bear (add, rename); its name (retire)
    std::string old_name; ///< rename only
    int line = 0;         ///< the list's line (add, rename)
};

/// What applying the list to a province would do.
struct UnitListPlan {
    std::vector<UnitListChange> changes; ///< adds, renames, retirements, in the list's order
    std::size_t unchanged = 0;           ///< units the list names as they are
    std::size_t other_provinces = 0;     ///< rows of other provinces, left alone
    std::vector<std::string> problems;   ///< why it cannot be applied as it is
};

/// Compares `list` with `units` for the province whose code is `province`: a unit of the list
/// that the province lacks is added, one named differently is renamed, and a commune that
/// still exists (neither merged nor ended) but is not in the list is retired. Units are matched
/// by code. Problems: the list's own, a code twice, no row for the province at all (a list of
/// another province would retire every commune), several provinces without a "Mã tỉnh" column.
UnitListPlan plan_unit_list(const OfficialList& list, const std::vector<Unit>& units,
                            const std::string& province);

/// "add", "rename", "retire".
std::string to_string(UnitListChange::Kind kind);

} // namespace loa::schedules
