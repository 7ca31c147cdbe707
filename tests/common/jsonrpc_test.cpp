// The JSON-RPC envelope that the server and its clients share: exact bytes, kinds, faults.
#include <gtest/gtest.h>

#include "loa/common/jsonrpc.hpp"

namespace json = boost::json;
using namespace loa;

TEST(JsonRpc, MessagesHaveTheirMembersInOneOrder) {
    EXPECT_EQ(json::serialize(jsonrpc::request(7, "status", {{"unit", "75"}})),
              R"({"jsonrpc":"2.0","id":7,"method":"status","params":{"unit":"75"}})");
    EXPECT_EQ(json::serialize(jsonrpc::notification("unprovision", {})),
              R"({"jsonrpc":"2.0","method":"unprovision","params":{}})");
    EXPECT_EQ(json::serialize(jsonrpc::result("a", json::array{1, 2})),
              R"({"jsonrpc":"2.0","id":"a","result":[1,2]})");
    EXPECT_EQ(json::serialize(jsonrpc::error(nullptr, jsonrpc::code::kInvalidRequest, "too long")),
              R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"too long"}})");
}

TEST(JsonRpc, AMessageIsReadAsWhatItsMembersSay) {
    EXPECT_EQ(jsonrpc::kind_of(jsonrpc::request(1, "m", {})), jsonrpc::Kind::request);
    EXPECT_EQ(jsonrpc::kind_of(jsonrpc::notification("m", {})), jsonrpc::Kind::notification);
    EXPECT_EQ(jsonrpc::kind_of(jsonrpc::result(1, true)), jsonrpc::Kind::response);
    EXPECT_EQ(jsonrpc::kind_of(jsonrpc::error(1, -1, "no")), jsonrpc::Kind::response);
    EXPECT_EQ(jsonrpc::kind_of(json::object{{"id", 1}}), jsonrpc::Kind::invalid);
    EXPECT_EQ(jsonrpc::kind_of(json::object{{"method", 3}, {"id", 1}}), jsonrpc::Kind::invalid);
    EXPECT_EQ(jsonrpc::kind_of(json::object{{"result", 1}}), jsonrpc::Kind::invalid);
}

TEST(JsonRpc, AFaultIsTheErrorsCodeAndMessageEvenWhenMalformed) {
    EXPECT_FALSE(jsonrpc::fault_of(jsonrpc::result(1, 2)));
    auto fault = jsonrpc::fault_of(jsonrpc::error(1, jsonrpc::code::kNotFound, "no unit 99"));
    ASSERT_TRUE(fault);
    EXPECT_EQ(fault->code, -32001);
    EXPECT_EQ(fault->message, "no unit 99");
    auto odd = jsonrpc::fault_of(json::object{{"id", 1}, {"error", "boom"}});
    ASSERT_TRUE(odd);
    EXPECT_EQ(odd->code, jsonrpc::code::kInternalError);
    EXPECT_EQ(odd->message, R"("boom")");
}
