// The method table: one entry per method, the rules it states, and docs/api.md in step with it.
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <sstream>

#include "loa/server/api/method_table.hpp"

using namespace loa::server;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

} // namespace

TEST(MethodTable, NamesAreUniqueInPermissionOrderAndEachHasAHandler) {
    std::set<std::string_view> names;
    Permission last = Permission::anyone;
    for (const auto& m : method_table()) {
        EXPECT_TRUE(names.insert(m.name).second) << m.name << " twice";
        EXPECT_GE(static_cast<int>(m.permission), static_cast<int>(last)) << m.name;
        last = m.permission;
        // Subscriptions belong to the WebSocket session, which handles them itself.
        EXPECT_EQ(m.handler == nullptr, m.channel == Channel::websocket) << m.name;
        EXPECT_FALSE(m.summary.empty()) << m.name;
        EXPECT_EQ(find_method(m.name), &m);
    }
    EXPECT_EQ(names.size(), 64U);
    EXPECT_EQ(find_method("entries.frobnicate"), nullptr);
}

TEST(MethodTable, EveryChangeAndAdminReadIsAuditedAndScheduleChangesArePublished) {
    for (const auto& m : method_table()) {
        bool reads = m.permission == Permission::anyone || m.permission == Permission::report ||
                     m.permission == Permission::read;
        EXPECT_EQ(m.audited, !reads || m.name == "users.set_password") << m.name;
        bool schedule = starts_with(m.name, "programs.") || starts_with(m.name, "entries.") ||
                        m.name == "schedule.import" || m.name == "units.merge" ||
                        m.name == "units.rename" || m.name == "units.import" ||
                        m.name == "units.recode" || m.name == "units.split" ||
                        m.name == "handover.import";
        EXPECT_EQ(m.changes_schedule, schedule && !reads) << m.name;
        if (m.media != MediaWork::none) {
            EXPECT_TRUE(m.serialised) << m.name << ": media work is for the schedule's methods";
        }
    }
}

TEST(MethodTable, SecretsNeedAConfidentialConnectionAndReceiversTheirUnit) {
    for (const auto* name : {"auth.login", "auth.resume", "receivers.provision"})
        EXPECT_EQ(find_method(name)->channel, Channel::confidential) << name;
    EXPECT_EQ(find_method("auth.ticket")->channel, Channel::session);
    for (const auto* name : {"receivers.set_volume", "receivers.unprovision", "receivers.rekey"})
        EXPECT_EQ(find_method(name)->units, UnitRule::receiver) << name;
    EXPECT_EQ(find_method("units.merge")->units, UnitRule::province);
    EXPECT_EQ(find_method("alarms.acknowledge")->units, UnitRule::alarm);
}

TEST(MethodTable, DecidingNeedsAnApproverOnlyToApproveOrReject) {
    const auto& decide = *find_method("programs.decide");
    auto with = [&](const char* approval) {
        boost::json::object params{{"id", 1}, {"approval", approval}};
        return permission_of(decide, Params(params));
    };
    EXPECT_EQ(with("approved"), Permission::approve);
    EXPECT_EQ(with("rejected"), Permission::approve);
    EXPECT_EQ(with("pending"), Permission::change);
    EXPECT_EQ(with("draft"), Permission::change);
    boost::json::object none;
    EXPECT_EQ(permission_of("units.merge", Params(none)), Permission::admin);
    EXPECT_FALSE(permission_of("nothing", Params(none)));
}

TEST(MethodTable, DocsApiListsExactlyTheTable) {
    auto docs = read_file(std::string(LOA_SOURCE_DIR) + "/docs/api.md");
    const std::string begin = "<!-- methods:begin (loa-server --methods-markdown) -->\n";
    const std::string end = "<!-- methods:end -->";
    auto from = docs.find(begin);
    auto to = docs.find(end);
    ASSERT_NE(from, std::string::npos) << "docs/api.md has no methods block";
    ASSERT_NE(to, std::string::npos);
    EXPECT_EQ(docs.substr(from + begin.size(), to - from - begin.size()), methods_markdown())
        << "docs/api.md's method list differs from the table; put this between its markers:\n"
        << methods_markdown();
}
