// The holes of the security review, each tried against a real server process as an attacker
// would: a commune manager's device name, file path or relay URL reaching ALSA, the disk or the
// server's neighbourhood; one batch exhausting memory; wrong passwords from one address locking
// an operator out everywhere; approval bypassed through an emergency, a rejected program or an
// import; one's own password changed with a session token alone; the console framed by another
// site; state files readable by other local users and keys in clear in loa.db; the control
// socket used by another user; forged log lines.
#include <boost/json.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.hpp"
#include "loa/clients/api_client.hpp"
#include "loa/common/sqlite.hpp"
#include "raw_websocket.hpp"
#include "tcp_client.hpp"
#include "wav.hpp"

using namespace loa::test;
using loa::clients::ApiConnection;
using loa::clients::ApiError;
namespace json = boost::json;
namespace fs = std::filesystem;
using std::chrono::seconds;

namespace {

constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": true, "communes": [
      {"code": "70-001", "name": "Xã A", "quiet_hours": "none", "approval_required": true},
      {"code": "70-002", "name": "Xã B", "quiet_hours": "none", "approval_required": true}]})";
constexpr const char* kPassword = "a-long-password-1";
constexpr int kInvalidParams = -32602;
constexpr int kUnauthorized = -32004;

/// The error of a call that must fail; fails the test if it succeeds.
ApiError refusal(ApiConnection& c, const std::string& method, json::object params) {
    try {
        auto result = c.call(method, std::move(params));
        ADD_FAILURE() << method << " succeeded: " << json::serialize(result);
    } catch (const ApiError& e) {
        return e;
    }
    return ApiError(0, "");
}

int mode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

/// A server of province 70 with an admin, a manager and an approver of commune 70-001, and an
/// admin-configured live input "studio"; the import folder is the scenario's "import" folder
/// and relays reach public addresses only (the server's defaults but for the folder).
class Security : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(import_dir());
        s.set_programs_settings(R"("import_dir": ")" + import_dir() + R"(")");
        s.write_province_config(
            kProvince,
            R"("live_inputs": [{"id": "studio", "device": "hw:9,0", "name": "Studio"}])");
        s.start_server();
        admin = login("admin", Scenario::kAdminPassword);
        for (const char* role : {"manager", "approver"})
            admin->call("users.create", {{"name", std::string(role) + "1"},
                                         {"password", kPassword},
                                         {"role", role},
                                         {"units", json::array{"70-001"}}});
        manager = login("manager1", kPassword);
    }

    std::string import_dir() const { return s.dir().file("import"); }

    std::unique_ptr<ApiConnection> login(const std::string& name, const std::string& password) {
        auto c = connect_api(s.api_url() + "/api/v1/ws");
        c->call("auth.login", {{"name", name}, {"password", password}});
        return c;
    }

    /// A one-second tone in the import folder; its path.
    std::string tone(const std::string& name) {
        auto path = import_dir() + "/" + name;
        write_tone_wav(path, 440, 1.0);
        return path;
    }

    Scenario s{"security"};
    std::unique_ptr<ApiConnection> admin, manager;
};

} // namespace

TEST_F(Security, ACommuneManagersDeviceNameNeverReachesAShellOrAlsa) {
    const std::string planted = s.dir().file("planted-by-alsa");
    const std::string device = "file:'|touch " + planted + "'";
    auto e = refusal(*manager, "emergency.start",
                     {{"units", json::array{"70-001"}}, {"device", device}});
    EXPECT_EQ(e.code, kInvalidParams);
    EXPECT_NE(e.message.find("live inputs are named by id"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("studio"), std::string::npos) << e.message;
    e = refusal(*manager, "programs.create",
                {{"unit", "70-001"}, {"title", "t"}, {"kind", "live"}, {"device", device}});
    EXPECT_EQ(e.code, kInvalidParams);
    e = refusal(*manager, "programs.create",
                {{"unit", "70-001"}, {"title", "t"}, {"kind", "live"}, {"input", "hw:0"}});
    EXPECT_NE(e.message.find("params.input"), std::string::npos) << e.message;
    // Nothing went on air and nothing was stored: no pipeline was ever built for it.
    EXPECT_TRUE(admin->call("overrides.list").as_array().empty());
    EXPECT_TRUE(admin->call("programs.list").as_array().empty());
    EXPECT_FALSE(fs::exists(planted));

    // The configured input, named by id, is what live programs use.
    auto inputs = manager->call("live_inputs.list").as_array();
    ASSERT_EQ(inputs.size(), 1U);
    EXPECT_EQ(inputs[0], (json::object{{"id", "studio"}, {"name", "Studio"}}));
    auto live = manager->call(
        "programs.create",
        {{"unit", "70-001"}, {"title", "Trực tiếp"}, {"kind", "live"}, {"input", "studio"}});
    EXPECT_EQ(live.at("source"), "studio");
}

TEST_F(Security, FilesComeFromTheImportFolderOnlyAndRelaysReachPublicAddressesOnly) {
    // Outside the import folder: a server file, a path climbing out, a link pointing out.
    const std::string outside = s.dir().file("outside.wav");
    write_tone_wav(outside, 440, 1.0);
    fs::create_symlink(outside, import_dir() + "/link.wav");
    for (const std::string& path : {std::string("/etc/passwd"), import_dir() + "/../outside.wav",
                                    std::string("../outside.wav"), import_dir() + "/link.wav",
                                    import_dir() + "/missing.wav"}) {
        auto e = refusal(*manager, "programs.create",
                         {{"unit", "70-001"}, {"title", "t"}, {"path", path}});
        EXPECT_EQ(e.code, kInvalidParams) << path;
        EXPECT_NE(e.message.find("not a file in the import folder"), std::string::npos)
            << path << ": " << e.message;
    }
    auto e = refusal(*manager, "emergency.start",
                     {{"units", json::array{"70-001"}}, {"path", "/etc/shadow"}});
    EXPECT_EQ(e.code, kInvalidParams);
    EXPECT_TRUE(admin->call("programs.list").as_array().empty());
    // Inside it, by absolute or relative name, a file is taken.
    tone("inside.wav");
    auto made = manager->call("programs.create",
                              {{"unit", "70-001"}, {"title", "t"}, {"path", "inside.wav"}});
    EXPECT_EQ(made.at("kind"), "file");

    for (const char* url : {"http://127.0.0.1:8080/api/v1/ws", "http://localhost/x",
                            "http://169.254.169.254/latest/meta-data", "rtsp://10.1.2.3/cam",
                            "http://[::1]/x", "http://2130706433/", "http://100.64.0.1/",
                            "http://0.0.0.0:22/", "file:///etc/passwd", "http://a b/"}) {
        auto refused = refusal(*manager, "programs.create",
                               {{"unit", "70-001"}, {"title", "t"}, {"url", url}});
        EXPECT_EQ(refused.code, kInvalidParams) << url;
    }
    // A public relay is taken (it is never fetched here: nothing schedules it), and its
    // credentials are never shown back, in the list or the audit log.
    auto relay = manager->call("programs.create",
                               {{"unit", "70-001"},
                                {"title", "Đài tỉnh"},
                                {"url", "http://loa:radio-secret@203.0.114.7:8000/live.mp3"}});
    EXPECT_EQ(relay.at("source"), "http://***@203.0.114.7:8000/live.mp3");
    auto programs = json::serialize(admin->call("programs.list"));
    auto audit = json::serialize(admin->call("audit.list"));
    EXPECT_EQ(programs.find("radio-secret"), std::string::npos) << programs;
    EXPECT_EQ(audit.find("radio-secret"), std::string::npos) << audit;
}

TEST_F(Security, OneBatchCannotExhaustTheServer) {
    RawWebSocket ws("127.0.0.1", s.http_port(), "/api/v1/ws");
    auto send = [&](const json::value& v) {
        EXPECT_TRUE(ws.send(json::serialize(v)));
        auto text = ws.receive(seconds(20));
        if (!text)
            throw std::runtime_error("no answer");
        return json::parse(*text);
    };
    send(json::object{{"jsonrpc", "2.0"},
                      {"id", 0},
                      {"method", "auth.login"},
                      {"params", {{"name", "manager1"}, {"password", kPassword}}}});
    // 101 requests: refused whole, nothing made.
    json::array batch;
    for (int i = 0; i < 101; ++i)
        batch.push_back(json::object{{"jsonrpc", "2.0"},
                                     {"id", i},
                                     {"method", "programs.create"},
                                     {"params",
                                      {{"unit", "70-001"},
                                       {"title", std::string(9000, 'a')},
                                       {"kind", "live"},
                                       {"input", "studio"}}}});
    auto refused = send(batch);
    EXPECT_EQ(refused.at("error").at("code"), -32600);
    EXPECT_TRUE(admin->call("programs.list").as_array().empty());
    // 100 are taken; then 5 x 100 programs of 9 kB titles make one answer of 4.5 MB, more
    // than one answer may take: it is refused with a clear error instead, and the connection
    // goes on.
    batch.pop_back();
    for (int round = 0; round < 5; ++round)
        ASSERT_EQ(send(batch).as_array().size(), 100U);
    auto big = send(json::object{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "programs.list"}});
    EXPECT_EQ(big.at("error").at("code"), -32005);
    EXPECT_NE(std::string(big.at("error").at("message").as_string()).find("narrow the request"),
              std::string::npos);
    auto after = send(json::object{{"jsonrpc", "2.0"}, {"id", 2}, {"method", "auth.whoami"}});
    EXPECT_EQ(after.at("result").at("name"), "manager1");
}

TEST_F(Security, WrongPasswordsFromOneAddressNeverLockTheRightOneOutFromAnother) {
    auto attempt = [&](const std::string& from, const std::string& password) {
        RawWebSocket ws("127.0.0.1", s.http_port(), "/api/v1/ws",
                        RawWebSocket::Options{0, from, ""});
        ws.send(
            json::serialize(json::object{{"jsonrpc", "2.0"},
                                         {"id", 1},
                                         {"method", "auth.login"},
                                         {"params", {{"name", "admin"}, {"password", password}}}}));
        auto text = ws.receive(seconds(20));
        return text ? json::parse(*text) : json::value(nullptr);
    };
    for (int i = 0; i < 8; ++i) {
        auto r = attempt("127.0.0.2", "wrong-password-" + std::to_string(i));
        EXPECT_EQ(r.at("error").at("code"), kUnauthorized) << json::serialize(r);
    }
    auto locked = attempt("127.0.0.2", Scenario::kAdminPassword);
    EXPECT_NE(json::serialize(locked).find("too many failed logins from this address"),
              std::string::npos)
        << json::serialize(locked);
    auto elsewhere = attempt("127.0.0.1", Scenario::kAdminPassword);
    EXPECT_TRUE(elsewhere.as_object().contains("result")) << json::serialize(elsewhere);
    auto other_user = attempt("127.0.0.3", kPassword);
    EXPECT_EQ(other_user.at("error").at("code"), kUnauthorized); // admin's password is not this
}

TEST_F(Security, ApprovalCannotBeBypassed) {
    // An inline emergency's program is the emergency's record: no entry may schedule it.
    auto emergency = manager->call("emergency.start",
                                   {{"units", json::array{"70-001"}}, {"path", tone("coi.wav")}});
    auto record = emergency.at("program").as_int64();
    admin->call("emergency.stop", {{"id", emergency.at("override")}});
    auto e = refusal(*manager, "entries.create",
                     {{"program", record},
                      {"units", json::array{"70-001"}},
                      {"start", "2030-01-01T10:00:00"},
                      {"duration_s", 60}});
    EXPECT_NE(e.message.find("record of an emergency"), std::string::npos) << e.message;

    // A rejected program never goes on air, not even as an emergency.
    auto approver = login("approver1", kPassword);
    auto program = manager->call("programs.create",
                                 {{"unit", "70-001"}, {"title", "t"}, {"path", tone("bai.wav")}});
    approver->call("programs.decide", {{"id", program.at("id")}, {"approval", "rejected"}});
    e = refusal(*manager, "emergency.start",
                {{"units", json::array{"70-001"}}, {"program", program.at("id")}});
    EXPECT_NE(e.message.find("was rejected"), std::string::npos) << e.message;
    // Nor a draft where approval is required.
    auto draft = manager->call("programs.create",
                               {{"unit", "70-001"}, {"title", "t2"}, {"path", tone("bai2.wav")}});
    e = refusal(*manager, "emergency.start",
                {{"units", json::array{"70-001"}}, {"program", draft.at("id")}});
    EXPECT_NE(e.message.find("requires approval"), std::string::npos) << e.message;
    EXPECT_TRUE(admin->call("overrides.list").as_array().empty());

    // An import reaches no further than entries.create: not another commune's program.
    auto other = admin->call("programs.create",
                             {{"unit", "70-002"}, {"title", "xã B"}, {"path", tone("b.wav")}});
    admin->call("programs.decide", {{"id", other.at("id")}, {"approval", "approved"}});
    std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\n"
                      "UID:1@x\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300101T100000Z\r\n"
                      "DURATION:PT1M\r\nSUMMARY:x\r\nX-LOA-PROGRAM:" +
                      std::to_string(other.at("id").as_int64()) +
                      "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    e = refusal(*manager, "schedule.import", {{"unit", "70-001"}, {"ics", ics}});
    EXPECT_EQ(e.code, kUnauthorized) << e.message;
    EXPECT_TRUE(admin->call("entries.list").as_array().empty());
}

TEST_F(Security, OnesOwnPasswordChangesOnlyWithTheCurrentOne) {
    auto e = refusal(*manager, "users.set_password",
                     {{"name", "manager1"}, {"password", "x123456789a"}});
    EXPECT_EQ(e.code, kInvalidParams);
    EXPECT_NE(e.message.find("params.current"), std::string::npos) << e.message;
    e = refusal(*manager, "users.set_password",
                {{"name", "manager1"}, {"password", "x123456789a"}, {"current", "not-it-at-all"}});
    EXPECT_EQ(e.code, kUnauthorized);
    manager->call("users.set_password",
                  {{"name", "manager1"}, {"password", "x123456789a"}, {"current", kPassword}});
    EXPECT_NO_THROW(login("manager1", "x123456789a"));
    // An admin sets another user's password without theirs.
    admin->call("users.set_password", {{"name", "approver1"}, {"password", "y123456789a"}});
    EXPECT_NO_THROW(login("approver1", "y123456789a"));
}

TEST_F(Security, TheConsoleCannotBeFramedAndOtherSitesPagesGetNoWebSocket) {
    TcpClient http(s.http_port());
    ASSERT_TRUE(http.send("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(s.http_port()) +
                          "\r\nConnection: close\r\n\r\n"));
    auto page = http.receive();
    auto head = page.substr(0, page.find("\r\n\r\n"));
    for (auto& c : head) // field names in any case
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(head.find("x-frame-options: deny"), std::string::npos) << head;
    EXPECT_NE(head.find("frame-ancestors 'none'"), std::string::npos) << head;
    EXPECT_NE(head.find("connect-src 'self' ws://127.0.0.1:" + std::to_string(s.http_port()) + ";"),
              std::string::npos)
        << head;
    EXPECT_EQ(head.find(" ws: "), std::string::npos) << head;

    EXPECT_THROW(RawWebSocket("127.0.0.1", s.http_port(), "/api/v1/ws",
                              RawWebSocket::Options{0, "", "https://evil.example"}),
                 std::runtime_error);
    EXPECT_NO_THROW(RawWebSocket(
        "127.0.0.1", s.http_port(), "/api/v1/ws",
        RawWebSocket::Options{0, "", "http://127.0.0.1:" + std::to_string(s.http_port())}));
}

TEST_F(Security, StateIsTheServersAloneAndKeysAreSealedInTheDatabase) {
    admin->call("receivers.provision", {{"id", "box-1"}, {"unit", "70-001"}});
    const std::string state = s.dir().file("state");
    EXPECT_EQ(mode_of(state), 0700);
    for (const char* file : {"loa.db", "seal.key", "media-epoch"})
        EXPECT_EQ(mode_of(state + "/" + file), 0600) << file;
    std::string key;
    {
        loa::common::Database db(state + "/loa.db");
        auto q = db.prepare("SELECT key FROM receiver WHERE id = 'box-1'");
        auto row = q.step();
        ASSERT_TRUE(row && *row);
        key = q.text(0);
    }
    EXPECT_EQ(key.rfind("sealed1:", 0), 0U) << key;

    // A copy of the database with another server's sealing key does not start.
    s.kill_server(SIGTERM);
    fs::remove(state + "/seal.key");
    Process copy({LOA_SERVER_BIN, "--config", s.config_path()}, s.dir().file("copy.log"));
    EXPECT_NE(copy.wait(seconds(20)), 0);
    EXPECT_NE(read_file(s.dir().file("copy.log")).find("does not open with this sealing key"),
              std::string::npos)
        << read_file(s.dir().file("copy.log"));
}

TEST_F(Security, TheControlSocketServesNoOtherUser) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root to act as another user";
    const std::string socket = s.dir().file("state/control.sock");
    ASSERT_TRUE(wait_until([&] { return fs::exists(socket); }, seconds(10)));
    // Even with its mode and folders opened up by hand, another user gets a refusal.
    for (const auto& folder : {s.dir().path(), s.dir().file("state")})
        ASSERT_EQ(::chmod(folder.c_str(), 0755), 0);
    ASSERT_EQ(::chmod(socket.c_str(), 0666), 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket.c_str(), sizeof address.sun_path - 1);
    const char request[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"users.list\"}\n";
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t child = ::fork();
    if (child == 0) { // only async-signal-safe calls from here on
        ::close(pipe_fds[0]);
        if (::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(2);
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            ::_exit(3);
        if (::write(fd, request, sizeof request - 1) < 0)
            ::_exit(4);
        char buffer[4096];
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0 && ::write(pipe_fds[1], buffer, static_cast<std::size_t>(n)) < 0)
            ::_exit(5);
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    std::string answer;
    char buffer[4096];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
        answer.append(buffer, static_cast<std::size_t>(n));
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the other user could not even connect";
    EXPECT_NE(answer.find("only root and the server's own user"), std::string::npos) << answer;
    EXPECT_EQ(answer.find("\"result\""), std::string::npos) << answer;
}

TEST_F(Security, ACallersTextCannotForgeALogLine) {
    auto c = connect_api(s.api_url() + "/api/v1/ws");
    const std::string forged = "x\n2030-01-01T00:00:00.000 info  [auth] \"admin\" logged in";
    EXPECT_THROW(c->call("auth.login", {{"name", forged}, {"password", "whatever-it-is"}}),
                 ApiError);
    ASSERT_TRUE(wait_until(
        [&] {
            return read_file(s.server_log()).find("failed login for \"x\\n2030") !=
                   std::string::npos;
        },
        seconds(10)))
        << read_file(s.server_log());
    EXPECT_EQ(read_file(s.server_log()).find("\n2030-01-01T00:00:00.000"), std::string::npos);
}

TEST_F(Security, ASessionThatEndsEndsItsSubscriptionsAndItsListeningIn) {
    manager->call("subscribe", {{"topics", json::array{"overrides"}}});
    // Listening in on its commune with a ticket, as a browser's <audio> does.
    const std::string path = "/api/v1/channels/70-001/listen.ogg";
    auto ticket =
        std::string(manager->call("auth.ticket", {{"path", path}}).at("ticket").as_string());
    TcpClient listen(s.http_port());
    ASSERT_TRUE(
        listen.send("GET " + path + "?ticket=" + ticket + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    ASSERT_NE(listen.receive_some(5000).find("HTTP/1.1 200"), std::string::npos);

    // The admin changes the manager's password: every session of theirs ends, and with them
    // what they had opened.
    admin->call("users.set_password", {{"name", "manager1"}, {"password", "x123456789a"}});
    admin->call("emergency.start", {{"units", json::array{"70-001"}}, {"path", tone("e.wav")}});
    bool closed = false;
    std::optional<json::object> leaked;
    for (int i = 0; i < 100 && !closed && !leaked; ++i) {
        try {
            leaked = manager->next(std::chrono::milliseconds(100));
        } catch (const std::runtime_error&) {
            closed = true;
        }
    }
    EXPECT_FALSE(leaked) << "an ended session still gets events: " << json::serialize(*leaked);
    EXPECT_TRUE(closed);
    EXPECT_TRUE(wait_until(
        [&] {
            listen.receive_some(100);
            return listen.closed();
        },
        seconds(10)))
        << "the listen-in stream outlived its session";
}

TEST_F(Security, ReceiversEventsReachOnlyThoseWhoMayListTheReceiver) {
    admin->call("subscribe", {{"topics", json::array{"receivers", "overrides"}}});
    manager->call("subscribe", {{"topics", json::array{"receivers", "overrides"}}});
    // A cluster of the province itself: the commune's manager reads the province's programs
    // but may not list its receivers, so is not told about them either.
    auto bundle = admin->call("receivers.provision", {{"id", "box-p"}, {"unit", "70"}})
                      .at("bundle")
                      .as_object();
    std::ofstream(s.dir().file("box-p.json")) << json::serialize(bundle);
    s.start_provisioned_receiver("box-p", s.dir().file("box-p.json"));
    ASSERT_TRUE(wait_until(
        [&] {
            auto n = admin->next(std::chrono::milliseconds(100));
            return n && n->at("method") == "receiver.online";
        },
        seconds(20)));
    // Events reach subscribers in order: the manager's first is the emergency that followed.
    admin->call("emergency.start", {{"units", json::array{"70-001"}}, {"path", tone("e.wav")}});
    auto first = manager->next(seconds(10));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->at("method"), "emergency.started") << json::serialize(*first);
}

TEST_F(Security, AnUploadIsRefusedBeforeAByteOfItIsWritten) {
    auto viewer = [&] {
        admin->call("users.create",
                    {{"name", "viewer1"}, {"password", kPassword}, {"role", "viewer"}});
        auto c = connect_api(s.api_url() + "/api/v1/ws");
        return std::string(c->call("auth.login", {{"name", "viewer1"}, {"password", kPassword}})
                               .at("token")
                               .as_string());
    }();
    const std::string uploads = s.dir().file("state/uploads");
    for (const auto& [auth, status] : std::vector<std::pair<std::string, std::string>>{
             {"", "401"}, {"Bearer not-a-token", "401"}, {"Bearer " + viewer, "403"}}) {
        // A declared 100 MB that waits for "100 Continue": it must get the refusal instead, and
        // nothing may be on disk meanwhile.
        TcpClient c(s.http_port());
        ASSERT_TRUE(c.send("POST /api/v1/programs?unit=70-001&title=x HTTP/1.1\r\nHost: "
                           "127.0.0.1\r\nContent-Length: 100000000\r\nExpect: 100-continue\r\n" +
                           (auth.empty() ? "" : "Authorization: " + auth + "\r\n") + "\r\n"));
        auto reply = c.receive_some(5000);
        EXPECT_EQ(reply.rfind("HTTP/1.1 " + status, 0), 0U) << auth << ": " << reply;
        std::error_code ec;
        EXPECT_TRUE(!fs::exists(uploads, ec) || fs::is_empty(uploads, ec)) << auth;
    }
}

TEST(SecurityLimits, ConnectionsAreBoundedPerAddressAndSilentWebSocketsClosed) {
    Scenario s("security-limits");
    s.add_http_settings(R"("max_connections_per_address": 8, "login_timeout_s": 1)");
    s.write_province_config(kProvince);
    s.start_server();
    auto admin = connect_api(s.api_url() + "/api/v1/ws");
    admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
    // The admin's is one; seven more from 127.0.0.1 fill the address's share.
    std::vector<std::unique_ptr<TcpClient>> held;
    for (int i = 0; i < 7; ++i)
        held.push_back(std::make_unique<TcpClient>(s.http_port()));
    TcpClient over(s.http_port());
    over.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    EXPECT_EQ(over.receive_some(5000), "");
    EXPECT_TRUE(over.closed()) << "a connection over the address's limit is closed at once";
    // Another address is not held up by this one.
    EXPECT_NO_THROW(RawWebSocket("127.0.0.1", s.http_port(), "/api/v1/ws",
                                 RawWebSocket::Options{0, "127.0.0.2", ""}));
    held.clear();
    // A WebSocket that never logs in is closed after login_timeout_s; a logged-in one stays.
    ASSERT_TRUE(wait_until(
        [&] {
            try {
                RawWebSocket probe("127.0.0.1", s.http_port(), "/api/v1/ws");
                return true;
            } catch (const std::runtime_error&) {
                return false; // the held ones are still being closed
            }
        },
        seconds(10)));
    RawWebSocket silent("127.0.0.1", s.http_port(), "/api/v1/ws");
    EXPECT_TRUE(silent.wait_ended(seconds(10)));
    EXPECT_EQ(admin->call("auth.whoami").at("name"), "admin");
    // The same on the receivers' channel: a box that never says hello is closed, one that has
    // said it stays.
    auto secret =
        std::string(admin->call("receivers.provision", {{"id", "box-1"}, {"unit", "70-001"}})
                        .at("bundle")
                        .at("secret")
                        .as_string());
    RawWebSocket box("127.0.0.1", s.http_port(), "/api/v1/receiver");
    RawWebSocket mute_box("127.0.0.1", s.http_port(), "/api/v1/receiver");
    box.send(json::serialize(json::object{{"jsonrpc", "2.0"},
                                          {"id", 1},
                                          {"method", "hello"},
                                          {"params", {{"id", "box-1"}, {"secret", secret}}}}));
    auto hello = box.receive();
    ASSERT_TRUE(hello && json::parse(*hello).as_object().contains("result")) << hello.value_or("");
    EXPECT_TRUE(mute_box.wait_ended(seconds(10)));
    EXPECT_FALSE(box.wait_ended(std::chrono::milliseconds(500)))
        << "a box that said hello is closed too";
}

TEST(SecurityLimits, MetricsAnswerOnlyTheirToken) {
    Scenario s("security-metrics");
    const std::string token = "a-metrics-token-of-the-ioc";
    std::ofstream(s.dir().file("metrics-token")) << token << "\n";
    s.add_http_settings(R"("metrics_token_file": ")" + s.dir().file("metrics-token") + R"(")");
    s.write_province_config(kProvince);
    s.start_server();
    auto get = [&](const std::string& headers) {
        std::string reply;
        wait_until(
            [&] {
                TcpClient c(s.http_port());
                c.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                       headers + "\r\n");
                reply = c.receive(5000);
                return !reply.empty();
            },
            seconds(20));
        return reply;
    };
    EXPECT_EQ(get("").rfind("HTTP/1.1 401", 0), 0U);
    EXPECT_EQ(get("Authorization: Bearer wrong-token-of-same-size\r\n").rfind("HTTP/1.1 401", 0),
              0U);
    auto ok = get("Authorization: Bearer " + token + "\r\n");
    EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0U) << ok;
    EXPECT_NE(ok.find("loa_packets_sent_total"), std::string::npos);
}
