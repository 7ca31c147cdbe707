#pragma once
/// @file
/// The JSON-RPC 2.0 envelope, one definition for the server and its clients: the messages
/// built with their members in one order, the error codes, and what a message is read back as.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace loa::jsonrpc {

/// Error codes: the standard ones and Loa's application range.
namespace code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kNotFound = -32001;
inline constexpr int kConflict = -32002;
inline constexpr int kMediaError = -32003;
inline constexpr int kUnauthorized = -32004;
inline constexpr int kTooLarge = -32005; ///< an answer over the limit: narrow the request
} // namespace code

/// A request: {"jsonrpc", "id", "method", "params"}.
boost::json::object request(boost::json::value id, std::string_view method,
                            boost::json::object params);
/// A notification (no answer expected): {"jsonrpc", "method", "params"}.
boost::json::object notification(std::string_view method, boost::json::object params);
/// A successful response: {"jsonrpc", "id", "result"}.
boost::json::object result(boost::json::value id, boost::json::value value);
/// An error response: {"jsonrpc", "id", "error": {"code", "message"}}.
boost::json::object error(boost::json::value id, int code, std::string_view message);

/// What a message is, by its members.
enum class Kind {
    request,      ///< a method and an id
    notification, ///< a method and no id
    response,     ///< no method; an id and a result or an error
    invalid,      ///< none of those
};
/// The kind of `message`.
Kind kind_of(const boost::json::object& message);

/// An error response's code and message.
struct Fault {
    int code = code::kInternalError;
    std::string message;
};
/// The error of a response, if it is one. An error without a numeric code reads as
/// kInternalError, one without a text message has its JSON as the message.
std::optional<Fault> fault_of(const boost::json::object& response);

} // namespace loa::jsonrpc
