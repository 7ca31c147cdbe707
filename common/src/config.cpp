#include "loa/common/config.hpp"

#include <algorithm>
#include <sstream>

#include "loa/common/persistent_counter.hpp"

namespace loa::common {
namespace {

std::string describe(const boost::json::value& v) {
    std::string text = boost::json::serialize(v);
    if (text.size() > 40)
        text = text.substr(0, 37) + "...";
    return text;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

} // namespace

ConfigNode::ConfigNode(const boost::json::object* object, std::string path)
    : object_(object), path_(std::move(path)) {}

std::string ConfigNode::key_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
}

void ConfigNode::fail(const std::string& key, const std::string& what) const {
    throw ConfigError("config key \"" + key_path(key) + "\": " + what);
}

const boost::json::value* ConfigNode::find(const std::string& key) const {
    if (object_ == nullptr)
        return nullptr;
    return object_->if_contains(key);
}

bool ConfigNode::has(const std::string& key) const {
    return find(key) != nullptr;
}

std::string ConfigNode::string(const std::string& key, std::optional<std::string> fallback) const {
    const auto* v = find(key);
    if (v == nullptr) {
        if (fallback)
            return *fallback;
        fail(key, "is required (a string)");
    }
    if (!v->is_string())
        fail(key, "expected a string, got " + describe(*v));
    return std::string(v->as_string());
}

std::int64_t ConfigNode::integer(const std::string& key, std::int64_t min, std::int64_t max,
                                 std::optional<std::int64_t> fallback) const {
    const auto* v = find(key);
    if (v == nullptr) {
        if (fallback)
            return *fallback;
        fail(key, "is required (an integer)");
    }
    std::int64_t n = 0;
    if (v->is_int64())
        n = v->as_int64();
    else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        n = static_cast<std::int64_t>(v->as_uint64());
    else
        fail(key, "expected an integer between " + std::to_string(min) + " and " +
                      std::to_string(max) + ", got " + describe(*v));
    if (n < min || n > max)
        fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", got " + std::to_string(n));
    return n;
}

double ConfigNode::number(const std::string& key, double min, double max,
                          std::optional<double> fallback) const {
    const auto* v = find(key);
    if (v == nullptr) {
        if (fallback)
            return *fallback;
        fail(key, "is required (a number)");
    }
    if (!v->is_number())
        fail(key, "expected a number, got " + describe(*v));
    double n = v->to_number<double>();
    if (n < min || n > max) {
        std::ostringstream range;
        range << "must be between " << min << " and " << max << ", got " << n;
        fail(key, range.str());
    }
    return n;
}

bool ConfigNode::boolean(const std::string& key, std::optional<bool> fallback) const {
    const auto* v = find(key);
    if (v == nullptr) {
        if (fallback)
            return *fallback;
        fail(key, "is required (true or false)");
    }
    if (!v->is_bool())
        fail(key, "expected true or false, got " + describe(*v));
    return v->as_bool();
}

std::string ConfigNode::choice(const std::string& key, const std::vector<std::string>& allowed,
                               std::optional<std::string> fallback) const {
    std::string word = string(key, std::move(fallback));
    if (std::find(allowed.begin(), allowed.end(), word) != allowed.end())
        return word;
    std::string list;
    for (const auto& a : allowed)
        list += (list.empty() ? "" : ", ") + a;
    fail(key, "unknown value \"" + word + "\"; expected one of: " + list);
}

ConfigNode ConfigNode::object(const std::string& key) const {
    const auto* v = find(key);
    if (v == nullptr)
        return ConfigNode(nullptr, key_path(key));
    if (!v->is_object())
        fail(key, "expected an object, got " + describe(*v));
    return ConfigNode(&v->as_object(), key_path(key));
}

std::vector<std::string> ConfigNode::strings(const std::string& key,
                                             std::vector<std::string> fallback) const {
    const auto* v = find(key);
    if (v == nullptr)
        return fallback;
    if (!v->is_array())
        fail(key, "expected a list of strings, got " + describe(*v));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v->as_array().size(); ++i) {
        const auto& item = v->as_array()[i];
        if (!item.is_string())
            fail(key + "[" + std::to_string(i) + "]", "expected a string, got " + describe(item));
        out.emplace_back(item.as_string());
    }
    return out;
}

std::vector<ConfigNode> ConfigNode::objects(const std::string& key) const {
    std::vector<ConfigNode> out;
    const auto* v = find(key);
    if (v == nullptr)
        return out;
    if (!v->is_array())
        fail(key, "expected a list, got " + describe(*v));
    const auto& array = v->as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
        std::string item = key + "[" + std::to_string(i) + "]";
        if (!array[i].is_object())
            fail(item, "expected an object, got " + describe(array[i]));
        out.emplace_back(&array[i].as_object(), key_path(item));
    }
    return out;
}

void ConfigNode::reject_unknown_keys(const std::vector<std::string>& known) const {
    if (object_ == nullptr)
        return;
    for (const auto& [k, v] : *object_) {
        std::string key(k);
        if (std::find(known.begin(), known.end(), key) != known.end())
            continue;
        std::string hint;
        std::size_t best = 3;
        for (const auto& candidate : known) {
            std::size_t d = edit_distance(key, candidate);
            if (d < best) {
                best = d;
                hint = "; did you mean \"" + candidate + "\"?";
            }
        }
        fail(key, "unknown key" + hint);
    }
}

Config Config::parse(const std::string& text, const std::string& origin) {
    Config config;
    config.origin_ = origin;
    boost::system::error_code ec;
    boost::json::parse_options options;
    options.allow_comments = true;
    options.allow_trailing_commas = true;
    config.tree_ = boost::json::parse(text, ec, {}, options);
    if (ec)
        throw ConfigError(origin + ": not valid JSON: " + ec.message());
    if (!config.tree_.is_object())
        throw ConfigError(origin + ": the top level must be a JSON object");
    return config;
}

Config Config::load_file(const std::string& path) {
    auto text = read_file(path);
    if (!text)
        throw ConfigError(path + ": cannot open the configuration file");
    return parse(*text, path);
}

void Config::apply_override(const std::string& assignment) {
    auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError("--set \"" + assignment + "\": expected KEY.PATH=VALUE");
    std::string key = assignment.substr(0, eq);
    std::string text = assignment.substr(eq + 1);
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec);
    if (ec)
        value = boost::json::string(text);
    boost::json::object* node = &tree_.as_object();
    std::size_t start = 0;
    for (;;) {
        auto dot = key.find('.', start);
        std::string part = key.substr(start, dot - start);
        if (part.empty())
            throw ConfigError("--set \"" + assignment + "\": empty key segment");
        if (dot == std::string::npos) {
            (*node)[part] = std::move(value);
            return;
        }
        auto& child = (*node)[part];
        if (!child.is_object()) {
            if (!child.is_null())
                throw ConfigError("--set \"" + assignment + "\": \"" + key.substr(0, dot) +
                                  "\" is not an object");
            child = boost::json::object();
        }
        node = &child.as_object();
        start = dot + 1;
    }
}

ConfigNode Config::root() const {
    return ConfigNode(&tree_.as_object(), "");
}

std::string Config::dump() const {
    return boost::json::serialize(tree_);
}

} // namespace loa::common
