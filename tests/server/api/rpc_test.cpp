#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "loa/server/api/rpc.hpp"

namespace json = boost::json;
using loa::server::Dispatch;
using loa::server::handle_jsonrpc;
using loa::server::Params;
using loa::server::RpcError;
namespace rpc_code = loa::server::rpc_code;

namespace {

/// A small method table: "echo" returns its params, "add" adds two integers, "fail" throws a
/// plain exception, anything else is not found. Records every method it was called with.
struct FakeMethods {
    std::vector<std::string> calls;

    Dispatch dispatch() {
        return [this](const std::string& method, const Params& p) -> json::value {
            calls.push_back(method);
            if (method == "echo")
                return json::object{{"text", p.optional_string("text").value_or("")}};
            if (method == "add")
                return p.integer("a") + p.integer("b");
            if (method == "fail")
                throw std::runtime_error("secret path /etc/loa/keys.json is unreadable");
            throw RpcError(rpc_code::kMethodNotFound, "no method \"" + method + "\"");
        };
    }
};

json::value answer(std::string_view request, FakeMethods& methods) {
    std::string text = handle_jsonrpc(request, methods.dispatch());
    EXPECT_FALSE(text.empty()) << "no response to " << request;
    return json::parse(text);
}

std::int64_t error_code(const json::value& response) {
    return response.at("error").at("code").to_number<std::int64_t>();
}

std::string error_message(const json::value& response) {
    return std::string(response.at("error").at("message").as_string());
}

/// What Params throws for `params` when read by `read`.
template <class Read> RpcError params_error(std::string_view params, Read read) {
    json::value object = json::parse(params);
    Params p(object.as_object());
    try {
        read(p);
    } catch (const RpcError& e) {
        return e;
    }
    return RpcError(0, "no error");
}

} // namespace

TEST(JsonRpc, ARequestGetsItsResultUnderItsId) {
    FakeMethods methods;
    auto r = answer(R"({"jsonrpc":"2.0","id":7,"method":"add","params":{"a":2,"b":40}})", methods);
    EXPECT_EQ(r.at("jsonrpc"), "2.0");
    EXPECT_EQ(r.at("id"), 7);
    EXPECT_EQ(r.at("result"), 42);
    EXPECT_FALSE(r.as_object().contains("error"));

    auto s = answer(R"({"jsonrpc":"2.0","id":"abc","method":"echo"})", methods);
    EXPECT_EQ(s.at("id"), "abc");
    EXPECT_EQ(s.at("result").at("text"), "");
}

TEST(JsonRpc, MalformedJsonIsAParseError) {
    FakeMethods methods;
    auto r = answer(R"({"jsonrpc":"2.0","id":1,"method":)", methods);
    EXPECT_EQ(error_code(r), rpc_code::kParseError);
    EXPECT_TRUE(r.at("id").is_null());
    EXPECT_TRUE(methods.calls.empty());
}

TEST(JsonRpc, WhatIsNotARequestIsAnInvalidRequest) {
    FakeMethods methods;
    for (const char* text :
         {R"(42)", R"("echo")", R"({"id":1,"method":"echo"})",
          R"({"jsonrpc":"1.0","id":1,"method":"echo"})", R"({"jsonrpc":"2.0","id":1})",
          R"({"jsonrpc":"2.0","id":1,"method":5})",
          R"({"jsonrpc":"2.0","id":{"x":1},"method":"echo"})"}) {
        auto r = answer(text, methods);
        EXPECT_EQ(error_code(r), rpc_code::kInvalidRequest) << text;
    }
    // The id is echoed when it could be read.
    EXPECT_EQ(answer(R"({"id":9,"method":"echo"})", methods).at("id"), 9);
    EXPECT_TRUE(methods.calls.empty());
}

TEST(JsonRpc, ParamsMustBeAnObjectOfNamedParameters) {
    FakeMethods methods;
    for (const char* text : {R"({"jsonrpc":"2.0","id":3,"method":"add","params":[2,40]})",
                             R"({"jsonrpc":"2.0","id":3,"method":"add","params":"a=2"})"}) {
        auto r = answer(text, methods);
        EXPECT_EQ(error_code(r), rpc_code::kInvalidParams) << text;
        EXPECT_EQ(r.at("id"), 3);
    }
    EXPECT_TRUE(methods.calls.empty());
}

TEST(JsonRpc, AnUnknownMethodIsNotFoundWithTheMethodsMessage) {
    FakeMethods methods;
    auto r = answer(R"({"jsonrpc":"2.0","id":4,"method":"units.frobnicate"})", methods);
    EXPECT_EQ(error_code(r), rpc_code::kMethodNotFound);
    EXPECT_EQ(error_message(r), "no method \"units.frobnicate\"");
    EXPECT_EQ(r.at("id"), 4);
}

TEST(JsonRpc, ANotificationIsCalledButNotAnswered) {
    FakeMethods methods;
    EXPECT_EQ(handle_jsonrpc(R"({"jsonrpc":"2.0","method":"echo","params":{"text":"x"}})",
                             methods.dispatch()),
              "");
    // Errors of a notification are not answered either.
    EXPECT_EQ(handle_jsonrpc(R"({"jsonrpc":"2.0","method":"nope"})", methods.dispatch()), "");
    EXPECT_EQ(handle_jsonrpc(R"({"jsonrpc":"2.0","method":"fail"})", methods.dispatch()), "");
    EXPECT_EQ(methods.calls, (std::vector<std::string>{"echo", "nope", "fail"}));
}

TEST(JsonRpc, ABatchAnswersOnlyItsRequestsInOrder) {
    FakeMethods methods;
    auto r = answer(R"([
        {"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"b":1}},
        {"jsonrpc":"2.0","method":"echo","params":{"text":"quiet"}},
        {"jsonrpc":"2.0","id":"two","method":"echo","params":{"text":"hi"}},
        {"jsonrpc":"2.0","method":"nope"},
        {"jsonrpc":"2.0","id":3,"method":"nope"}
    ])",
                    methods);
    ASSERT_TRUE(r.is_array());
    const auto& responses = r.as_array();
    ASSERT_EQ(responses.size(), 3U);
    EXPECT_EQ(responses[0].at("id"), 1);
    EXPECT_EQ(responses[0].at("result"), 2);
    EXPECT_EQ(responses[1].at("id"), "two");
    EXPECT_EQ(responses[1].at("result").at("text"), "hi");
    EXPECT_EQ(responses[2].at("id"), 3);
    EXPECT_EQ(error_code(responses[2]), rpc_code::kMethodNotFound);
    EXPECT_EQ(methods.calls, (std::vector<std::string>{"add", "echo", "echo", "nope", "nope"}));
}

TEST(JsonRpc, ABatchOfNotificationsOnlyIsNotAnswered) {
    FakeMethods methods;
    EXPECT_EQ(handle_jsonrpc(R"([{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","method":"add",
                                 "params":{"a":1,"b":2}}])",
                             methods.dispatch()),
              "");
    EXPECT_EQ(methods.calls.size(), 2U);
}

TEST(JsonRpc, AnInvalidMemberOfABatchDoesNotSpoilTheOthers) {
    FakeMethods methods;
    auto r =
        answer(R"([1, {"jsonrpc":"2.0","id":5,"method":"add","params":{"a":2,"b":3}}])", methods);
    ASSERT_TRUE(r.is_array());
    ASSERT_EQ(r.as_array().size(), 2U);
    EXPECT_EQ(error_code(r.as_array()[0]), rpc_code::kInvalidRequest);
    EXPECT_EQ(r.as_array()[1].at("result"), 5);
}

TEST(JsonRpc, AnEmptyBatchIsAnInvalidRequest) {
    FakeMethods methods;
    auto r = answer("[]", methods);
    ASSERT_TRUE(r.is_object());
    EXPECT_EQ(error_code(r), rpc_code::kInvalidRequest);
    EXPECT_TRUE(r.at("id").is_null());
}

std::string batch_of(std::size_t n, const std::string& text = "x") {
    json::array batch;
    for (std::size_t i = 0; i < n; ++i)
        batch.push_back(json::object{{"jsonrpc", "2.0"},
                                     {"id", static_cast<std::int64_t>(i)},
                                     {"method", "echo"},
                                     {"params", {{"text", text}}}});
    return json::serialize(batch);
}

TEST(JsonRpc, ABatchOfMoreThanAHundredRequestsIsRefusedWholeAndNothingRuns) {
    FakeMethods methods;
    auto full = answer(batch_of(loa::server::kMaxBatch), methods);
    ASSERT_TRUE(full.is_array());
    EXPECT_EQ(full.as_array().size(), loa::server::kMaxBatch);
    methods.calls.clear();
    auto r = answer(batch_of(loa::server::kMaxBatch + 1), methods);
    ASSERT_TRUE(r.is_object());
    EXPECT_EQ(error_code(r), rpc_code::kInvalidRequest);
    EXPECT_NE(error_message(r).find("at most 100 requests; this one has 101"), std::string::npos);
    EXPECT_TRUE(methods.calls.empty());
}

TEST(JsonRpc, AnswersAreBoundedAndABatchStopsRunningAtTheLimit) {
    FakeMethods methods;
    const std::string kilobyte(1000, 'a');
    // Alone, an answer over the limit becomes an error that says how to narrow the request.
    auto big = json::parse(handle_jsonrpc(
        R"({"jsonrpc":"2.0","id":7,"method":"echo","params":{"text":")" + kilobyte + R"("}})",
        methods.dispatch(), 500));
    EXPECT_EQ(big.at("id"), 7);
    EXPECT_EQ(error_code(big), rpc_code::kTooLarge);
    EXPECT_NE(error_message(big).find("narrow the request"), std::string::npos);
    // In a batch, requests run until the answers reach the limit; the rest are answered unrun.
    methods.calls.clear();
    std::string text = handle_jsonrpc(batch_of(10, kilobyte), methods.dispatch(), 3500);
    auto r = json::parse(text).as_array();
    ASSERT_EQ(r.size(), 10U);
    EXPECT_EQ(methods.calls.size(), 4U); // three answers fit, the fourth is cut to an error
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_TRUE(r[i].as_object().contains("result")) << i;
    for (std::size_t i = 3; i < 10; ++i) {
        EXPECT_EQ(r[i].at("id"), static_cast<std::int64_t>(i));
        EXPECT_EQ(error_code(r[i]), rpc_code::kTooLarge) << i;
    }
    EXPECT_LT(text.size(), 3500U + 10 * 300);
}

TEST(JsonRpc, AFailingMethodIsAnInternalErrorThatKeepsItsDetailsToTheLog) {
    FakeMethods methods;
    auto r = answer(R"({"jsonrpc":"2.0","id":6,"method":"fail"})", methods);
    EXPECT_EQ(error_code(r), rpc_code::kInternalError);
    EXPECT_EQ(r.at("id"), 6);
    EXPECT_EQ(error_message(r).find("secret"), std::string::npos) << error_message(r);
    EXPECT_EQ(error_message(r).find("/etc/loa"), std::string::npos) << error_message(r);
}

TEST(JsonRpc, ParamsErrorsReachTheCallerAsInvalidParams) {
    FakeMethods methods;
    auto r =
        answer(R"({"jsonrpc":"2.0","id":8,"method":"add","params":{"a":"2","b":40}})", methods);
    EXPECT_EQ(error_code(r), rpc_code::kInvalidParams);
    EXPECT_EQ(error_message(r), "params.a: expected an integer");
}

TEST(Params, TypedGettersNameTheParameterAndWhatWasExpected) {
    auto string = params_error(R"({"title": 5})", [](const Params& p) { p.string("title"); });
    EXPECT_EQ(string.code, rpc_code::kInvalidParams);
    EXPECT_STREQ(string.what(), "params.title: expected a string");

    EXPECT_STREQ(params_error("{}", [](const Params& p) { p.string("title"); }).what(),
                 "params.title: expected a string (it is required)");
    EXPECT_STREQ(params_error(R"({"id": "12"})", [](const Params& p) { p.integer("id"); }).what(),
                 "params.id: expected an integer");
    EXPECT_STREQ(params_error(R"({"id": 1.5})", [](const Params& p) { p.integer("id"); }).what(),
                 "params.id: expected an integer");
    EXPECT_STREQ(params_error("{}", [](const Params& p) { p.integer("id"); }).what(),
                 "params.id: expected an integer (it is required)");
    EXPECT_STREQ(params_error(R"({"n": 18446744073709551615})",
                              [](const Params& p) { p.optional_integer("n"); })
                     .what(),
                 "params.n: expected an integer");
    EXPECT_STREQ(
        params_error(R"({"units": "70-001"})", [](const Params& p) { p.strings("units"); }).what(),
        "params.units: expected an array of strings");
    EXPECT_STREQ(
        params_error(R"({"units": ["70-001", 2]})", [](const Params& p) { p.strings("units"); })
            .what(),
        "params.units: expected an array of strings");
    EXPECT_STREQ(
        params_error(R"({"voice": ["vi"]})", [](const Params& p) { p.optional_string("voice"); })
            .what(),
        "params.voice: expected a string");
}

TEST(Params, AbsentAndNullOptionalsAreEmptyAndGoodValuesAreRead) {
    json::value object = json::parse(
        R"({"title":"Bản tin","id":12,"big":9007199254740993,"units":["70","70-001"],"v":null})");
    Params p(object.as_object());
    EXPECT_EQ(p.string("title"), "Bản tin");
    EXPECT_EQ(p.integer("id"), 12);
    EXPECT_EQ(p.integer("big"), 9007199254740993);
    EXPECT_EQ(p.strings("units"), (std::vector<std::string>{"70", "70-001"}));
    EXPECT_EQ(p.optional_string("v"), std::nullopt);
    EXPECT_EQ(p.optional_integer("missing"), std::nullopt);
    EXPECT_TRUE(p.strings("missing").empty());
    EXPECT_TRUE(p.has("v"));
    EXPECT_FALSE(p.has("missing"));
}
