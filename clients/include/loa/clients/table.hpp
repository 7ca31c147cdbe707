#pragma once
/// @file
/// Human-readable output for operators: aligned text tables (UTF-8 aware, so that Vietnamese
/// titles line up) and indented JSON.

#include <boost/json.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace loa::clients {

/// Columns a UTF-8 string takes on a terminal, counted as code points (combining marks and wide
/// characters are rare in Loa's data; precomposed Vietnamese counts right).
std::size_t display_width(std::string_view utf8);

/// A table printed with columns aligned and two spaces between them.
class Table {
public:
    explicit Table(std::vector<std::string> headers);

    /// Adds a row; missing cells print empty, extra cells are dropped.
    void add_row(std::vector<std::string> cells);
    std::size_t rows() const { return rows_.size(); }

    /// The header line, then one line per row, each ending in '\n'. Trailing spaces are trimmed.
    std::string render() const;

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

/// A JSON value as a table cell: strings bare, null and [] as "-", booleans as yes/no, numbers
/// in their shortest form, arrays joined with ", ", objects as compact JSON.
std::string cell_text(const boost::json::value& value);

/// JSON indented by two spaces, one member per line (still valid JSON).
std::string pretty_json(const boost::json::value& value);

} // namespace loa::clients
