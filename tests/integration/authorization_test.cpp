// The authorization matrix, generated from the server's method table (method_table()): every
// method, called by every caller (anonymous, a viewer of commune 70-001, a province-wide viewer,
// a manager and an approver of 70-001, an admin, the control socket), acting inside 70-001 and
// outside it, against a real loa-server. Each call must be refused (-32004) exactly when the
// method's permission, the caller's role or its units say so; listings must show nothing outside
// a scoped caller's units. A method of the table without a case (authorization_cases.cpp), or
// missing from docs/api.md, fails the test: adding a method means deciding who may call it.
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <gtest/gtest.h>
#include <iostream>
#include <set>
#include <sstream>

#include "authorization_cases.hpp"
#include "loa/server/api/method_table.hpp"

using namespace loa::test;
using namespace loa::test::authz;
using loa::clients::ApiConnection;
using loa::clients::ApiError;
using loa::server::Permission;
using loa::server::Role;
namespace json = boost::json;

namespace {

constexpr int kUnauthorized = -32004;

/// What a call answered.
struct Outcome {
    int code = 0; ///< 0: a result
    json::value result;
    std::string message;
};

Outcome run(World& w, const CallerSpec& caller, ApiConnection& main, const Case& c,
            const json::object& params) {
    try {
        if (caller.who == Who::local) {
            auto response = w.control_raw(c.method, params);
            if (const auto* error = response.if_contains("error"))
                return {static_cast<int>(error->at("code").as_int64()), nullptr,
                        std::string(error->at("message").as_string())};
            return {0, response.at("result"), ""};
        }
        std::unique_ptr<ApiConnection> fresh;
        if (c.conn == Conn::fresh_bearer)
            fresh = w.connect(caller.user.empty() ? "" : w.tokens[caller.user]);
        else if (c.conn == Conn::fresh_login)
            fresh = caller.user.empty() ? w.connect() : w.login(caller.user);
        return {0, (fresh ? *fresh : main).call(c.method, params), ""};
    } catch (const ApiError& e) {
        return {e.code, nullptr, e.message};
    } catch (const std::exception& e) { // the connection failed: not an answer
        return {-1, nullptr, e.what()};
    }
}

/// Whether a role may call a method of this permission (docs/api.md, "Users, roles and unit
/// scopes"): the test's own statement of the rule, not the server's.
bool role_may(Role role, Permission needed) {
    switch (needed) {
    case Permission::anyone:
    case Permission::report:
        return true;
    case Permission::read:
        return role != Role::reporter;
    case Permission::change:
        return role != Role::viewer && role != Role::reporter;
    case Permission::approve:
        return role == Role::approver || role == Role::admin;
    case Permission::admin:
        return role == Role::admin;
    }
    return false;
}

/// Whether a call must be refused with -32004.
bool must_refuse(const CallerSpec& caller, const Case& c, Permission needed) {
    if (caller.who == Who::local)
        return false; // the server's own administrator
    if (!caller.role)
        return needed != Permission::anyone;
    if (!role_may(*caller.role, needed))
        return true;
    if (c.where != Where::outside)
        return false;
    return c.reach == Reach::account ? *caller.role != Role::admin : caller.scoped;
}

const char* where_name(Where w) {
    switch (w) {
    case Where::inside:
        return "inside";
    case Where::outside:
        return "outside";
    case Where::listing:
        return "listing";
    default:
        return "-";
    }
}

/// One row of the matrix, for the table printed on failure.
struct Row {
    std::string method, what, caller, where, expected, got;
    bool ok;
};

/// Calls every case as `caller`, phase by phase; appends the rows.
void run_caller(World& w, const CallerSpec& caller, const std::vector<Case>& cases,
                std::vector<Row>& rows) {
    auto main = caller.user.empty() ? w.connect() : w.login(caller.user, &w.tokens[caller.user]);
    for (auto phase : {Phase::reads, Phase::changes, Phase::session_end})
        for (const auto& c : cases) {
            if (c.phase != phase)
                continue;
            auto params = c.params(w, caller);
            auto needed = loa::server::permission_of(c.method, loa::server::Params(params));
            bool refuse = must_refuse(caller, c, needed.value_or(Permission::admin));
            auto got = run(w, caller, *main, c, params);
            if (c.undo)
                c.undo(w, params, got.result);
            Row row{c.method,
                    c.what,
                    caller.label,
                    where_name(c.where),
                    refuse ? "-32004" : "not -32004",
                    got.code == 0 ? "ok"
                                  : std::to_string(got.code) + " " + got.message.substr(0, 90),
                    (got.code == kUnauthorized) == refuse && got.code != -1};
            if (row.ok && c.where == Where::listing && got.code == 0) {
                bool reaches = !caller.scoped;
                bool shows = c.shows_outside(w, got.result);
                row.ok = shows == reaches;
                row.expected = reaches ? "shows 70-002/70-003" : "hides 70-002/70-003";
                row.got = shows ? "shows them" : "hides them";
            }
            rows.push_back(std::move(row));
        }
}

std::string table(const std::vector<Row>& rows) {
    std::ostringstream out;
    char line[400];
    std::snprintf(line, sizeof line, "%-22s %-28s %-10s %-8s %-20s %s\n", "method", "params",
                  "caller", "where", "expected", "got");
    out << line;
    for (const auto& r : rows) {
        std::snprintf(line, sizeof line, "%-22s %-28s %-10s %-8s %-20s %s\n", r.method.c_str(),
                      r.what.c_str(), r.caller.c_str(), r.where.c_str(), r.expected.c_str(),
                      r.got.c_str());
        out << line;
    }
    return out.str();
}

} // namespace

TEST(Authorization, EveryMethodOfTheTableHasACaseAndIsDocumented) {
    std::set<std::string> covered;
    for (const auto& c : all_cases()) {
        covered.insert(c.method);
        EXPECT_TRUE(loa::server::find_method(c.method) != nullptr)
            << c.method << " has a case but is not in method_table()";
    }
    auto docs = read_file(std::string(LOA_SOURCE_DIR) + "/docs/api.md");
    ASSERT_FALSE(docs.empty()) << "cannot read docs/api.md";
    for (const auto& m : loa::server::method_table()) {
        std::string method(m.name);
        EXPECT_TRUE(covered.count(method))
            << method << " is in method_table() but the authorization test has no case for it: "
            << "add one to tests/integration/authorization_test.cpp (who may call it, inside "
               "and outside their units?)";
        EXPECT_TRUE(docs.find("`" + method + "`") != std::string::npos ||
                    docs.find("`" + method + " ") != std::string::npos)
            << method << " is in method_table() but not in docs/api.md as `" << method << "`";
    }
}

TEST(Authorization, EveryMethodForEveryCallerInsideAndOutsideItsUnits) {
    World w("authz-methods");
    w.control("users.create", {{"name", "resumer"}, {"password", kPassword}, {"role", "viewer"}});
    w.login("resumer", &w.tokens["resumer"]);
    auto cases = all_cases();
    std::vector<Row> rows;
    for (const auto& caller : callers())
        run_caller(w, caller, cases, rows);
    std::vector<Row> wrong;
    for (const auto& r : rows)
        if (!r.ok)
            wrong.push_back(r);
    if (std::getenv("LOA_AUTHZ_TABLE")) // the whole matrix, to read
        std::cout << table(rows);
    std::cout << rows.size() << " calls (" << cases.size() << " cases x " << callers().size()
              << " callers)\n";
    EXPECT_TRUE(wrong.empty()) << wrong.size() << " of " << rows.size()
                               << " calls were not answered as expected:\n"
                               << table(wrong);
}
