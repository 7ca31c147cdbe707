#include "loa/server/api/rpc.hpp"

#include "loa/common/logging.hpp"

namespace loa::server {
namespace {

namespace json = boost::json;

/// One request of a call or a batch; nullopt for a notification.
std::optional<json::object> handle_one(const json::value& request, const Dispatch& dispatch) {
    const json::object* r = request.if_object();
    if (r == nullptr)
        return jsonrpc::error(nullptr, rpc_code::kInvalidRequest,
                              "a request is a JSON object with \"jsonrpc\": \"2.0\" and "
                              "\"method\"");
    json::value id = nullptr;
    bool notification = !r->contains("id");
    if (!notification) {
        id = r->at("id");
        if (!id.is_string() && !id.is_int64() && !id.is_uint64() && !id.is_null())
            return jsonrpc::error(nullptr, rpc_code::kInvalidRequest,
                                  "\"id\" must be a string or an integer");
    }
    auto version = r->if_contains("jsonrpc");
    auto method = r->if_contains("method");
    if (version == nullptr || !version->is_string() || version->as_string() != "2.0" ||
        method == nullptr || !method->is_string())
        return jsonrpc::error(id, rpc_code::kInvalidRequest,
                              R"(a request needs "jsonrpc": "2.0" and a string "method")");
    static const json::object no_params;
    const json::object* params = &no_params;
    if (auto p = r->if_contains("params")) {
        params = p->if_object();
        if (params == nullptr)
            return jsonrpc::error(id, rpc_code::kInvalidParams,
                                  "\"params\" must be an object of named parameters");
    }
    try {
        json::value result = dispatch(std::string(method->as_string()), Params(*params));
        if (notification)
            return std::nullopt;
        return jsonrpc::result(id, std::move(result));
    } catch (const RpcError& e) {
        if (notification)
            return std::nullopt;
        return jsonrpc::error(id, e.code, e.what());
    } catch (const std::exception& e) {
        common::logger("rpc")->error("method {} failed: {}", method->as_string().c_str(), e.what());
        if (notification)
            return std::nullopt;
        return jsonrpc::error(id, rpc_code::kInternalError,
                              "internal error; the server log has the details");
    }
}

/// The error that takes the place of an answer of `size` bytes, over `max`.
std::string too_large(const json::value& id, std::size_t size, std::size_t max) {
    return json::serialize(jsonrpc::error(
        id, rpc_code::kTooLarge,
        "the answer takes " + std::to_string(size) + " bytes, over the " + std::to_string(max) +
            " one answer may take; narrow the request (e.g. from_ms and to_ms), or use the REST "
            "exports"));
}

/// A response as text, or a kTooLarge error in its place when it takes over `max` bytes.
std::string bounded(const json::object& response, std::size_t max) {
    std::string text = json::serialize(response);
    return text.size() <= max ? text : too_large(response.at("id"), text.size(), max);
}

} // namespace

void throw_rpc(const common::Error& error) {
    switch (error.code) {
    case common::Errc::invalid_argument:
        throw RpcError(rpc_code::kInvalidParams, error.message);
    case common::Errc::not_found:
        throw RpcError(rpc_code::kNotFound, error.message);
    case common::Errc::already_exists:
        throw RpcError(rpc_code::kConflict, error.message);
    case common::Errc::unauthorized:
        throw RpcError(rpc_code::kUnauthorized, error.message);
    case common::Errc::io_error:
    case common::Errc::media_error:
        throw RpcError(rpc_code::kMediaError, error.message);
    }
    throw RpcError(rpc_code::kInternalError, error.message);
}

void Params::wrong(const char* name, const char* expected) const {
    throw RpcError(rpc_code::kInvalidParams,
                   std::string("params.") + name + ": expected " + expected);
}

std::string Params::string(const char* name) const {
    auto v = optional_string(name);
    if (!v)
        wrong(name, "a string (it is required)");
    return *v;
}

std::optional<std::string> Params::optional_string(const char* name) const {
    auto v = object_.if_contains(name);
    if (v == nullptr || v->is_null())
        return std::nullopt;
    if (!v->is_string())
        wrong(name, "a string");
    return std::string(v->as_string());
}

std::int64_t Params::integer(const char* name) const {
    auto v = optional_integer(name);
    if (!v)
        wrong(name, "an integer (it is required)");
    return *v;
}

std::optional<std::int64_t> Params::optional_integer(const char* name) const {
    auto v = object_.if_contains(name);
    if (v == nullptr || v->is_null())
        return std::nullopt;
    if (v->is_int64())
        return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->as_uint64());
    wrong(name, "an integer");
}

std::optional<double> Params::optional_number(const char* name) const {
    auto v = object_.if_contains(name);
    if (v == nullptr || v->is_null())
        return std::nullopt;
    if (v->is_double())
        return v->as_double();
    if (v->is_int64())
        return static_cast<double>(v->as_int64());
    if (v->is_uint64())
        return static_cast<double>(v->as_uint64());
    wrong(name, "a number");
}

std::optional<bool> Params::optional_boolean(const char* name) const {
    auto v = object_.if_contains(name);
    if (v == nullptr || v->is_null())
        return std::nullopt;
    if (!v->is_bool())
        wrong(name, "true or false");
    return v->as_bool();
}

std::vector<std::string> Params::strings(const char* name) const {
    auto v = object_.if_contains(name);
    if (v == nullptr || v->is_null())
        return {};
    if (!v->is_array())
        wrong(name, "an array of strings");
    std::vector<std::string> out;
    for (const auto& item : v->as_array()) {
        if (!item.is_string())
            wrong(name, "an array of strings");
        out.emplace_back(item.as_string());
    }
    return out;
}

std::string handle_jsonrpc(std::string_view text, const Dispatch& dispatch,
                           std::size_t max_answer) {
    boost::system::error_code ec;
    json::value request = json::parse(text, ec);
    if (ec)
        return json::serialize(
            jsonrpc::error(nullptr, rpc_code::kParseError, "not valid JSON: " + ec.message()));
    const json::array* batch = request.if_array();
    if (batch == nullptr) {
        auto response = handle_one(request, dispatch);
        return response ? bounded(*response, max_answer) : "";
    }
    if (batch->empty())
        return json::serialize(
            jsonrpc::error(nullptr, rpc_code::kInvalidRequest, "an empty batch"));
    if (batch->size() > kMaxBatch)
        return json::serialize(jsonrpc::error(
            nullptr, rpc_code::kInvalidRequest,
            "a batch holds at most " + std::to_string(kMaxBatch) + " requests; this one has " +
                std::to_string(batch->size()) + ": send it in parts (nothing was run)"));
    std::string out;
    bool full = false; // the answers reached the limit: the rest are not run
    for (const auto& one : *batch) {
        std::optional<std::string> answer;
        if (!full) {
            if (auto response = handle_one(one, dispatch)) {
                answer = json::serialize(*response);
                if (out.size() + 1 + answer->size() + 1 > max_answer) {
                    answer = too_large(response->at("id"), answer->size(), max_answer);
                    full = true;
                }
            }
        } else if (const auto* r = one.if_object(); r != nullptr && r->contains("id")) {
            answer = json::serialize(jsonrpc::error(
                r->at("id"), rpc_code::kTooLarge,
                "not run: the batch's answers reached " + std::to_string(max_answer) +
                    " bytes, the most one answer may take; send the rest in another batch"));
        }
        if (answer)
            out += (out.empty() ? "[" : ",") + *answer;
    }
    return out.empty() ? "" : out + "]";
}

} // namespace loa::server
