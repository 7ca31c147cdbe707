#pragma once
/// @file
/// The cases of the authorization matrix (authorization_test.cpp): for every method of the
/// server's table, params acting inside commune 70-001, outside it, or on nothing in
/// particular, with what sets the world up for the call and puts it back after.

#include <boost/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "authorization_world.hpp"

namespace loa::test::authz {

/// Where a case acts: nowhere in particular, inside 70-001, outside it (refused for a scoped
/// caller), or a listing whose result must show nothing outside a scoped caller's units.
enum class Where { none, inside, outside, listing };
/// What "outside" means: another unit, or another user's account (admins only).
enum class Reach { units, account };
/// Reads first, then changes, then the calls that end the caller's session.
enum class Phase { reads, changes, session_end };
/// The connection a case uses: the caller's own, a new one with its token (calls that change
/// who the connection is), or a new login (calls that end the session).
enum class Conn { main, fresh_bearer, fresh_login };

using MakeParams = std::function<boost::json::object(World&, const CallerSpec&)>;
using Undo = std::function<void(World&, const boost::json::object& params,
                                const boost::json::value& result)>;
using Shows = std::function<bool(World&, const boost::json::value& result)>;

/// One call of the matrix: a method, params made for the caller, and how to put the world back.
struct Case {
    Case(std::string method, std::string what, Where where, Phase phase, MakeParams params,
         Undo undo = nullptr)
        : method(std::move(method)), what(std::move(what)), where(where), phase(phase),
          params(std::move(params)), undo(std::move(undo)) {}
    /// Runs on a connection of its own.
    Case& on(Conn c) {
        conn = c;
        return *this;
    }
    /// "Outside" is another user's account.
    Case& reaching(Reach r) {
        reach = r;
        return *this;
    }

    std::string method;
    std::string what; ///< what the params act on, as the failure table prints it
    Where where;
    Phase phase;
    MakeParams params;
    Undo undo;           ///< puts the world back after an allowed call (control socket)
    Shows shows_outside; ///< Where::listing: whether the result shows 70-002 or 70-003
    Conn conn = Conn::main;
    Reach reach = Reach::units;
};

/// Every case, of every method.
std::vector<Case> all_cases();

} // namespace loa::test::authz
