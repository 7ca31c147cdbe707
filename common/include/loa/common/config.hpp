#pragma once
/// @file
/// Configuration: a JSON file plus `--set key.path=value` overrides, read through typed accessors
/// whose errors name the key and say what is wrong with it.

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace loa::common {

/// A configuration problem; what() names the file or flag, the key and the fix.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A read-only view of one object in the configuration tree, addressed by its dotted path.
class ConfigNode {
public:
    ConfigNode(const boost::json::object* object, std::string path);

    /// True if the key is present (even if null).
    bool has(const std::string& key) const;
    /// A string value; `fallback` is used when the key is absent, else absence is an error.
    std::string string(const std::string& key,
                       std::optional<std::string> fallback = std::nullopt) const;
    /// An integer within [min, max].
    std::int64_t integer(const std::string& key, std::int64_t min, std::int64_t max,
                         std::optional<std::int64_t> fallback = std::nullopt) const;
    /// A number (integer or decimal) within [min, max].
    double number(const std::string& key, double min, double max,
                  std::optional<double> fallback = std::nullopt) const;
    /// A boolean.
    bool boolean(const std::string& key, std::optional<bool> fallback = std::nullopt) const;
    /// One of the listed words.
    std::string choice(const std::string& key, const std::vector<std::string>& allowed,
                       std::optional<std::string> fallback = std::nullopt) const;
    /// A nested object; an absent key gives an empty object.
    ConfigNode object(const std::string& key) const;
    /// An array of strings; `fallback` is used when the key is absent.
    std::vector<std::string> strings(const std::string& key,
                                     std::vector<std::string> fallback = {}) const;
    /// An array of objects; an absent key gives an empty list.
    std::vector<ConfigNode> objects(const std::string& key) const;
    /// Refuses keys not in `known`, naming the closest known key.
    void reject_unknown_keys(const std::vector<std::string>& known) const;
    /// The dotted path of this node ("" for the root).
    const std::string& path() const { return path_; }
    /// Throws a ConfigError for `key` of this node: `config key "a.b": <what>`.
    [[noreturn]] void fail(const std::string& key, const std::string& what) const;

private:
    const boost::json::value* find(const std::string& key) const;
    std::string key_path(const std::string& key) const;

    const boost::json::object* object_;
    std::string path_;
};

/// The whole configuration: owns the JSON tree that ConfigNodes view.
class Config {
public:
    /// Parses JSON text; `origin` (a file name) prefixes error messages.
    static Config parse(const std::string& text, const std::string& origin);
    /// Reads and parses a file.
    static Config load_file(const std::string& path);
    /// Applies an override "a.b.c=value"; the value is read as JSON if it parses, else as a string.
    void apply_override(const std::string& assignment);
    /// The root object.
    ConfigNode root() const;
    /// Serialises the current tree (with overrides) back to JSON text.
    std::string dump() const;

private:
    boost::json::value tree_;
    std::string origin_;
};

} // namespace loa::common
