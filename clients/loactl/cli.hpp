#pragma once
/// @file
/// loactl's plumbing: command-line words, the connection to the server, and output.

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "loa/clients/api_client.hpp"

namespace loactl {

namespace json = boost::json;

/// The command line is wrong: loactl prints the message and exits with 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A command's words: positionals and --options, checked against what the command accepts.
class Args {
public:
    /// Throws UsageError for an option not in `with_value` or `switches`, or one lacking a value.
    Args(std::string command, const std::vector<std::string>& words,
         const std::set<std::string>& with_value, const std::set<std::string>& switches);

    /// The positional at `index`, named `name` in the error when missing.
    const std::string& positional(std::size_t index, const char* name) const;
    bool has_positional(std::size_t index) const { return index < positionals_.size(); }
    /// Throws UsageError when more than `count` positionals were given.
    void at_most(std::size_t count) const;
    std::optional<std::string> value(const std::string& option) const;
    /// Every value of a repeatable option, in order.
    std::vector<std::string> values(const std::string& option) const;
    bool has(const std::string& option) const { return options_.count(option) > 0; }
    const std::string& command() const { return command_; }

private:
    std::string command_;
    std::vector<std::string> positionals_;
    std::multimap<std::string, std::string> options_;
};

/// `text` as a whole number, or a UsageError naming `what`.
std::int64_t parse_integer(const std::string& text, const char* what);

/// `text` as a number, or a UsageError naming `what`.
double parse_number(const std::string& text, const char* what);

/// What every command needs: the server, the credentials, the output mode, one connection.
class Context {
public:
    Context(std::string url, loa::clients::ApiEndpoint endpoint,
            loa::clients::ConnectOptions options, bool json);
    /// Closes the connection politely, so that the server logs no broken connection.
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    Context(Context&&) = default;
    Context& operator=(Context&&) = default;

    /// Calls a method on the server, connecting first if needed. Throws ApiError or
    /// std::runtime_error with a message that says what to do.
    json::value call(const std::string& method, json::object params = {});

    /// The next notification the server pushed on this connection, waiting up to `wait`.
    std::optional<json::object> next(std::chrono::milliseconds wait);

    /// Connects without the saved token (for login).
    void forget_token() { options_.bearer_token.clear(); }

    const std::string& url() const { return url_; }
    const loa::clients::ApiEndpoint& endpoint() const { return endpoint_; }
    const loa::clients::ConnectOptions& options() const { return options_; }
    bool json_output() const { return json_; }
    void set_json_output() { json_ = true; }

    /// Prints a JSON result: indented with --json, else through `human`.
    template <class Human> void print(const json::value& result, Human&& human) const {
        if (json_)
            print_json(result);
        else
            human(result);
    }
    static void print_json(const json::value& value);

private:
    std::string url_;
    loa::clients::ApiEndpoint endpoint_;
    loa::clients::ConnectOptions options_;
    bool json_;
    std::unique_ptr<loa::clients::ApiConnection> connection_;
};

/// One column of a listing: the key in each row and how to show its value.
struct Column {
    std::string header;
    std::string key;
    std::string (*format)(const json::value&) = nullptr; ///< nullptr: cell_text
};

/// Epoch milliseconds (or an ISO 8601 UTC string) as local "YYYY-MM-DD HH:MM:SS"; "-" for null.
std::string format_time(const json::value& value);

/// Milliseconds as "m:ss" or "h:mm:ss"; "-" for null.
std::string format_duration_ms(const json::value& value);

/// A number with `decimals` digits after the point; other values as cell_text.
std::string format_fixed(const json::value& value, int decimals);

/// Parses a REST answer's body as JSON (null if it is not JSON).
json::value parse_body(const std::string& body);

/// The message of a REST error answer: its {"error": ...} or its start.
std::string rest_error(const loa::clients::HttpReply& reply);

/// The REST target for `route` ("/api/v1/programs?..."), under the same prefix as the WebSocket
/// path when the server sits behind a proxy at a sub-path.
std::string rest_target(const loa::clients::ApiEndpoint& endpoint, const std::string& route);

/// Prints an array of objects as a table ("(none)" when empty).
void print_table(const json::value& rows, const std::vector<Column>& columns);

/// Prints an object as "key: value" lines.
void print_fields(const json::value& object);

/// Runs the command named by the first word(s) of `words`; returns the exit status.
int run_command(Context& context, const std::vector<std::string>& words);

} // namespace loactl
