#include "cli.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "loa/clients/table.hpp"

namespace loactl {

Args::Args(std::string command, const std::vector<std::string>& words,
           const std::set<std::string>& with_value, const std::set<std::string>& switches)
    : command_(std::move(command)) {
    bool options_end = false;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const auto& word = words[i];
        if (options_end || word.size() < 3 || !word.starts_with("--")) {
            positionals_.push_back(word);
            continue;
        }
        if (word == "--") {
            options_end = true;
            continue;
        }
        auto equals = word.find('=');
        std::string name = word.substr(0, equals);
        if (switches.count(name) > 0 && equals == std::string::npos) {
            options_.emplace(name, "");
        } else if (with_value.count(name) == 0) {
            throw UsageError("`" + command_ + "` has no option " + name);
        } else if (equals != std::string::npos) {
            options_.emplace(name, word.substr(equals + 1));
        } else if (i + 1 < words.size()) {
            options_.emplace(name, words[++i]);
        } else {
            throw UsageError("option " + name + " of `" + command_ + "` needs a value");
        }
    }
}

const std::string& Args::positional(std::size_t index, const char* name) const {
    if (index >= positionals_.size())
        throw UsageError("`" + command_ + "` needs " + name);
    return positionals_[index];
}

void Args::at_most(std::size_t count) const {
    if (positionals_.size() > count)
        throw UsageError("unexpected \"" + positionals_[count] + "\" after `" + command_ + "`");
}

std::optional<std::string> Args::value(const std::string& option) const {
    auto range = options_.equal_range(option);
    if (range.first == range.second)
        return std::nullopt;
    return std::prev(range.second)->second;
}

std::vector<std::string> Args::values(const std::string& option) const {
    std::vector<std::string> out;
    auto range = options_.equal_range(option);
    for (auto it = range.first; it != range.second; ++it)
        out.push_back(it->second);
    return out;
}

std::int64_t parse_integer(const std::string& text, const char* what) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size())
        throw UsageError(std::string(what) + " must be a whole number, got \"" + text + "\"");
    return n;
}

double parse_number(const std::string& text, const char* what) {
    double n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size())
        throw UsageError(std::string(what) + " must be a number, got \"" + text + "\"");
    return n;
}

Context::Context(std::string url, loa::clients::ApiEndpoint endpoint,
                 loa::clients::ConnectOptions options, bool json)
    : url_(std::move(url)), endpoint_(std::move(endpoint)), options_(std::move(options)),
      json_(json) {}

Context::~Context() {
    if (!connection_)
        return;
    try {
        connection_->close();
    } catch (const std::exception&) { // NOLINT(bugprone-empty-catch): the work is done already
    }
}

json::value Context::call(const std::string& method, json::object params) {
    if (!connection_) {
        auto connected = loa::clients::ApiConnection::connect(endpoint_, options_);
        if (!connected) {
            const auto& error = connected.error();
            bool denied = error.code == loa::common::Errc::unauthorized;
            throw std::runtime_error(
                error.message +
                (denied ? "; log in again with `loactl login NAME` (or set LOA_TOKEN)" : ""));
        }
        connection_ = std::move(*connected);
    }
    return connection_->call(method, std::move(params));
}

std::optional<json::object> Context::next(std::chrono::milliseconds wait) {
    if (!connection_)
        return std::nullopt;
    return connection_->next(wait);
}

void Context::print_json(const json::value& value) {
    std::cout << loa::clients::pretty_json(value) << "\n";
}

std::string format_time(const json::value& value) {
    std::time_t seconds = 0;
    if (value.is_number()) {
        seconds = static_cast<std::time_t>(value.to_number<double>() / 1000);
    } else if (value.is_string()) {
        std::tm utc{};
        const char* text = value.get_string().c_str();
        if (std::sscanf(text, "%d-%d-%dT%d:%d:%d", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
                        &utc.tm_hour, &utc.tm_min, &utc.tm_sec) != 6 ||
            value.get_string().back() != 'Z')
            return text; // not UTC: shown as the server wrote it
        utc.tm_year -= 1900;
        utc.tm_mon -= 1;
        seconds = timegm(&utc);
    } else {
        return loa::clients::cell_text(value);
    }
    std::tm local{};
    localtime_r(&seconds, &local);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    return text;
}

std::string format_duration_ms(const json::value& value) {
    if (!value.is_number())
        return loa::clients::cell_text(value);
    auto total = std::llround(value.to_number<double>() / 1000);
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60,
                      total % 60);
    else
        std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
    return text;
}

std::string format_fixed(const json::value& value, int decimals) {
    if (!value.is_number())
        return loa::clients::cell_text(value);
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, value.to_number<double>());
    return text;
}

json::value parse_body(const std::string& body) {
    boost::system::error_code ec;
    auto value = json::parse(body, ec);
    return ec ? json::value() : value;
}

std::string rest_error(const loa::clients::HttpReply& reply) {
    auto body = parse_body(reply.body);
    std::string message = reply.body.substr(0, 300);
    if (const auto* o = body.if_object())
        if (const auto* e = o->if_contains("error"))
            message = loa::clients::cell_text(*e);
    std::string text = "the server answered " + std::to_string(reply.status);
    if (!message.empty())
        text += ": " + message;
    if (reply.status == 401)
        text += "; log in again with `loactl login NAME` (or set LOA_TOKEN)";
    return text;
}

std::string rest_target(const loa::clients::ApiEndpoint& endpoint, const std::string& route) {
    constexpr std::string_view kWsRoute = "/api/v1/ws";
    std::string_view path = endpoint.path;
    if (path.ends_with(kWsRoute))
        return std::string(path.substr(0, path.size() - kWsRoute.size())) + route;
    return route;
}

void print_table(const json::value& rows, const std::vector<Column>& columns) {
    const auto* array = rows.if_array();
    if (array == nullptr) {
        print_fields(rows);
        return;
    }
    if (array->empty()) {
        std::cout << "(none)\n";
        return;
    }
    std::vector<std::string> headers;
    headers.reserve(columns.size());
    for (const auto& c : columns)
        headers.push_back(c.header);
    loa::clients::Table table(std::move(headers));
    for (const auto& row : *array) {
        std::vector<std::string> cells;
        const auto* object = row.if_object();
        for (const auto& c : columns) {
            const auto* v = object != nullptr ? object->if_contains(c.key) : nullptr;
            json::value missing;
            const auto& shown = v != nullptr ? *v : missing;
            cells.push_back(c.format != nullptr ? c.format(shown) : loa::clients::cell_text(shown));
        }
        table.add_row(std::move(cells));
    }
    std::cout << table.render();
}

void print_fields(const json::value& value) {
    const auto* object = value.if_object();
    if (object == nullptr) {
        std::cout << loa::clients::cell_text(value) << "\n";
        return;
    }
    loa::clients::Table table({"", ""});
    for (const auto& member : *object)
        table.add_row({std::string(member.key()) + ":", loa::clients::cell_text(member.value())});
    auto text = table.render();
    std::cout << text.substr(text.find('\n') + 1); // without the empty header line
}

} // namespace loactl
