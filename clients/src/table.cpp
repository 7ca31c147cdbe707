#include "loa/clients/table.hpp"

#include <algorithm>
#include <charconv>

namespace loa::clients {
namespace {

namespace json = boost::json;

void pad_to(std::string& line, std::size_t width, std::string_view cell) {
    line += cell;
    line.append(width - std::min(width, display_width(cell)), ' ');
}

void trim_right(std::string& line) {
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
}

void append_pretty(std::string& out, const json::value& value, int depth) {
    std::string indent(static_cast<std::size_t>(depth + 1) * 2, ' ');
    std::string closing(static_cast<std::size_t>(depth) * 2, ' ');
    if (const auto* object = value.if_object(); object != nullptr && !object->empty()) {
        out += "{\n";
        bool first = true;
        for (const auto& member : *object) {
            out += first ? "" : ",\n";
            first = false;
            out += indent + json::serialize(json::string(member.key())) + ": ";
            append_pretty(out, member.value(), depth + 1);
        }
        out += "\n" + closing + "}";
    } else if (const auto* array = value.if_array(); array != nullptr && !array->empty()) {
        out += "[\n";
        for (std::size_t i = 0; i < array->size(); ++i) {
            out += (i == 0 ? "" : ",\n") + indent;
            append_pretty(out, (*array)[i], depth + 1);
        }
        out += "\n" + closing + "]";
    } else {
        out += json::serialize(value);
    }
}

} // namespace

std::size_t display_width(std::string_view utf8) {
    // Continuation bytes (10xxxxxx) belong to the code point before them.
    return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    rows_.push_back(std::move(cells));
}

std::string Table::render() const {
    std::vector<std::size_t> widths;
    widths.reserve(headers_.size());
    for (const auto& h : headers_)
        widths.push_back(display_width(h));
    for (const auto& row : rows_)
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], display_width(row[i]));
    auto render_line = [&](const std::vector<std::string>& cells) {
        std::string line;
        for (std::size_t i = 0; i < cells.size(); ++i)
            pad_to(line, i + 1 < cells.size() ? widths[i] + 2 : 0, cells[i]);
        trim_right(line);
        return line + "\n";
    };
    std::string out = render_line(headers_);
    for (const auto& row : rows_)
        out += render_line(row);
    return out;
}

std::string cell_text(const json::value& value) {
    switch (value.kind()) {
    case json::kind::null:
        return "-";
    case json::kind::bool_:
        return value.get_bool() ? "yes" : "no";
    case json::kind::string:
        return std::string(value.get_string());
    case json::kind::double_: {
        char text[32];
        auto end = std::to_chars(text, text + sizeof text, value.get_double()).ptr;
        return std::string(text, end);
    }
    case json::kind::array: {
        std::string out;
        for (const auto& item : value.get_array())
            out += (out.empty() ? "" : ", ") + cell_text(item);
        return out.empty() ? "-" : out;
    }
    default:
        return json::serialize(value);
    }
}

std::string pretty_json(const json::value& value) {
    std::string out;
    append_pretty(out, value, 0);
    return out;
}

} // namespace loa::clients
