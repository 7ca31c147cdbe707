#pragma once
/// @file
/// The world of the authorization tests: a real loa-server for province 70, the callers of
/// every role (inside commune 70-001, or province-wide), and things to act on inside their
/// units (70-001) and outside them (70-002; 70-003 airs an emergency all along).

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"
#include "loa/clients/api_client.hpp"
#include "loa/server/api/auth_store.hpp"

namespace loa::test::authz {

/// Who calls, from the least to the most privileged.
enum class Who { anonymous, viewer1, viewer, manager1, approver1, admin, local };

/// A caller of the tests: its user, role and whether its units narrow what it reaches.
struct CallerSpec {
    Who who;
    std::string label;                ///< as the failure tables print it
    std::string user;                 ///< "" for anonymous and the control socket
    std::optional<server::Role> role; ///< nullopt for anonymous and the control socket
    bool scoped = false;              ///< acts for 70-001 only
};

/// Every caller, in the order the matrix runs them.
const std::vector<CallerSpec>& callers();

/// Every user's password.
inline constexpr const char* kPassword = "a-long-password-1";

/// The server and what it holds when a test starts.
class World {
public:
    /// Starts the server and makes the users, programs, entries, receivers and the emergency
    /// that airs on 70-003 throughout.
    explicit World(const std::string& name);

    Scenario s;
    std::int64_t program_in = 0, program_out = 0; ///< approved file programs of 70-001, 70-002
    std::int64_t program_province = 0;            ///< an approved file program of province 70
    std::int64_t entry_in = 0, entry_out = 0;     ///< entries of those programs, in 2030
    std::int64_t background = 0;                  ///< the emergency on 70-003 (an override id)
    /// Provisioned receivers (clusters) and their secrets: box-in (70-001), box-out (70-002).
    std::map<std::string, std::string> secrets;
    /// The cluster_offline alarms of box-in and box-out (they never connect).
    std::int64_t alarm_in = 0, alarm_out = 0;
    /// An SDP offer of a real webrtcbin speaker, for live.start.
    std::string offer;
    /// A live broadcast on `unit` started by the admin over a WebSocket kept open; its session.
    std::int64_t go_live(const std::string& unit);
    /// Session tokens by user name, as a test logs them in.
    std::map<std::string, std::string> tokens;

    /// A call on the control socket that must succeed; its result.
    boost::json::value control(const std::string& method, boost::json::object params = {});
    /// A call on the control socket: the whole response, result or error.
    boost::json::object control_raw(const std::string& method, boost::json::object params = {});
    /// A new WebSocket to the API, anonymous or with a bearer token.
    std::unique_ptr<clients::ApiConnection> connect(const std::string& token = "");
    /// A new WebSocket logged in with auth.login; `token` gets its session's token.
    std::unique_ptr<clients::ApiConnection> login(const std::string& user,
                                                  std::string* token = nullptr);
    /// A number not used before (names, times).
    int next() { return ++counter_; }
    /// A local start time no entry has yet, in 2031.
    std::string next_start();
    /// An iCalendar file of one event of `program`, at a UTC time no entry has yet (2032).
    std::string ics_of(std::int64_t program);
    /// The approved program of "70-001", "70-002" or the province "70".
    std::int64_t program_of(const std::string& unit) const {
        return unit == "70-001" ? program_in : unit == "70-002" ? program_out : program_province;
    }
    /// A program of `unit` (a relay), draft.
    std::int64_t draft_program(const std::string& unit);
    /// An entry of `program` on `unit`; its id.
    std::int64_t entry(std::int64_t program, const std::string& unit);

private:
    int counter_ = 0;
    std::unique_ptr<clients::ApiConnection> speaker_; ///< go_live's connection
};

} // namespace loa::test::authz
