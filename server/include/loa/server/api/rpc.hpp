#pragma once
/// @file
/// JSON-RPC 2.0 framing (requests, notifications, batches) independent of the transport, over
/// the envelope of common/jsonrpc.hpp, and
/// typed access to a request's params whose errors name the parameter and what was expected.

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "loa/common/jsonrpc.hpp"
#include "loa/common/result.hpp"

namespace loa::server {

/// JSON-RPC error codes (common/jsonrpc.hpp), by the name the server's methods use.
namespace rpc_code = jsonrpc::code;

/// The most requests one batch may hold; a longer batch is refused whole, nothing run.
inline constexpr std::size_t kMaxBatch = 100;
/// The most bytes one answer (a response, or a batch's responses together) may take. A
/// larger response becomes a kTooLarge error; a batch stops running requests once its answers
/// reach the limit, and answers the rest with kTooLarge, unrun.
inline constexpr std::size_t kMaxAnswerBytes = std::size_t{4} * 1024 * 1024;

/// A JSON-RPC error raised by a method.
struct RpcError : std::runtime_error {
    RpcError(int code, const std::string& message) : std::runtime_error(message), code(code) {}
    int code;
};

/// Throws the RpcError that matches a common::Error.
[[noreturn]] void throw_rpc(const common::Error& error);

/// Unwraps a Result or throws its error as an RpcError.
template <class T> T value_or_throw(common::Result<T>&& result) {
    if (!result)
        throw_rpc(result.error());
    if constexpr (!std::is_void_v<T>)
        return std::move(result).value();
}

/// A request's params, read by name.
class Params {
public:
    explicit Params(const boost::json::object& object) : object_(object) {}

    std::string string(const char* name) const;
    std::optional<std::string> optional_string(const char* name) const;
    std::int64_t integer(const char* name) const;
    std::optional<std::int64_t> optional_integer(const char* name) const;
    std::vector<std::string> strings(const char* name) const; ///< absent = empty
    std::optional<double> optional_number(const char* name) const;
    std::optional<bool> optional_boolean(const char* name) const;
    bool has(const char* name) const { return object_.contains(name); }
    const boost::json::object& object() const { return object_; }

private:
    [[noreturn]] void wrong(const char* name, const char* expected) const;
    const boost::json::object& object_;
};

/// Calls a method by name with its params; throws RpcError.
using Dispatch = std::function<boost::json::value(const std::string& method, const Params&)>;

/// Handles one JSON-RPC text (a request, a notification or a batch) and returns the response
/// text, or "" when nothing is to be answered (notifications only). Batches hold at most
/// kMaxBatch requests and answers at most `max_answer` bytes (see kMaxAnswerBytes).
std::string handle_jsonrpc(std::string_view text, const Dispatch& dispatch,
                           std::size_t max_answer = kMaxAnswerBytes);

} // namespace loa::server
