#include "loa/common/jsonrpc.hpp"

namespace loa::jsonrpc {

namespace json = boost::json;

json::object request(json::value id, std::string_view method, json::object params) {
    return json::object{{"jsonrpc", "2.0"},
                        {"id", std::move(id)},
                        {"method", method},
                        {"params", std::move(params)}};
}

json::object notification(std::string_view method, json::object params) {
    return json::object{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

json::object result(json::value id, json::value value) {
    return json::object{{"jsonrpc", "2.0"}, {"id", std::move(id)}, {"result", std::move(value)}};
}

json::object error(json::value id, int code, std::string_view message) {
    return json::object{{"jsonrpc", "2.0"},
                        {"id", std::move(id)},
                        {"error", json::object{{"code", code}, {"message", message}}}};
}

Kind kind_of(const json::object& message) {
    if (const auto* method = message.if_contains("method"); method && method->is_string())
        return message.contains("id") ? Kind::request : Kind::notification;
    if (!message.contains("method") && message.contains("id") &&
        (message.contains("result") || message.contains("error")))
        return Kind::response;
    return Kind::invalid;
}

std::optional<Fault> fault_of(const json::object& response) {
    const auto* error = response.if_contains("error");
    if (error == nullptr)
        return std::nullopt;
    const auto* e = error->if_object();
    const json::value* number = e ? e->if_contains("code") : nullptr;
    const json::value* message = e ? e->if_contains("message") : nullptr;
    Fault fault;
    if (number && number->is_int64())
        fault.code = static_cast<int>(number->as_int64());
    fault.message = message && message->is_string() ? std::string(message->as_string())
                                                    : json::serialize(*error);
    return fault;
}

} // namespace loa::jsonrpc
