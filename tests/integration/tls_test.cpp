// TLS on the HTTP port with real processes: a CA and a server certificate made with openssl,
// operators over wss:// (and refused without the CA or in clear), a provisioned receiver that
// gets its key over wss:// and plays; and the rule that keys never cross a plain connection
// except on 127.0.0.1, seen from a peer on 10.213.0.1 in a network namespace the test makes.
#include <algorithm>
#include <boost/json.hpp>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <optional>
#include <sched.h>
#include <thread>
#include <unistd.h>

#include "harness.hpp"
#include "raw_websocket.hpp"
#include "swarm_stats.hpp"
#include "tcp_client.hpp"
#include "wav.hpp"

using namespace loa::test;
using loa::clients::ApiConnection;
using loa::clients::ConnectOptions;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr const char* kProvince = R"({"code": "70", "name": "Tỉnh", "quiet_hours": "none",
    "approval_required": false, "communes": [
      {"code": "70-001", "name": "Xã A", "quiet_hours": "none", "approval_required": true}]})";

int run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str());
}

/// A CA and a server certificate it signed (subjectAltName IP:127.0.0.1 and DNS:localhost),
/// made with the openssl command.
struct Certificates {
    std::string ca;       ///< the CA's certificate
    std::string chain;    ///< the server's certificate then the CA's: http.tls_certificate
    std::string key;      ///< the server's private key: http.tls_key
    std::string other_ca; ///< a CA that signed nothing of this server
};

std::optional<Certificates> make_certificates(const TempDir& dir) {
    Certificates c{dir.file("ca.pem"), dir.file("server-chain.pem"), dir.file("server.key"),
                   dir.file("other-ca.pem")};
    std::ofstream(dir.file("server.ext"))
        << "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
           "extendedKeyUsage=serverAuth\n";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    auto make_ca = [&](const std::string& name, const std::string& key, const std::string& out) {
        return run("openssl req -x509" + ec + " -days 2 -subj /CN=" + name +
                   " -addext basicConstraints=critical,CA:TRUE -addext "
                   "keyUsage=critical,keyCertSign -keyout " +
                   key + " -out " + out) == 0;
    };
    bool made = make_ca("Loa-Test-CA", dir.file("ca.key"), c.ca) &&
                make_ca("Other-CA", dir.file("other-ca.key"), c.other_ca) &&
                run("openssl req" + ec + " -subj /CN=localhost -keyout " + c.key + " -out " +
                    dir.file("server.csr")) == 0 &&
                run("openssl x509 -req -days 2 -in " + dir.file("server.csr") + " -CA " + c.ca +
                    " -CAkey " + dir.file("ca.key") + " -CAcreateserial -extfile " +
                    dir.file("server.ext") + " -out " + dir.file("server.pem")) == 0;
    if (!made)
        return std::nullopt;
    std::ofstream(c.chain) << read_file(dir.file("server.pem")) << read_file(c.ca);
    return c;
}

/// A province served over TLS with the certificates above.
struct TlsProvince {
    Scenario s{"tls"};
    Certificates certificates;

    TlsProvince() {
        auto made = make_certificates(s.dir());
        if (!made)
            throw std::runtime_error("openssl could not make the test certificates");
        certificates = *made;
        s.add_http_settings(R"("tls_certificate": ")" + certificates.chain + R"(", "tls_key": ")" +
                            certificates.key + R"(")");
        s.write_province_config(kProvince);
        s.start_server();
    }
    std::string url(const std::string& host = "127.0.0.1") const {
        return "wss://" + host + ":" + std::to_string(s.http_port()) + "/api/v1/ws";
    }
    ConnectOptions with_ca() const {
        ConnectOptions o;
        o.ca_file = certificates.ca;
        return o;
    }
    std::unique_ptr<ApiConnection> admin(const std::string& host = "127.0.0.1") const {
        auto c = connect_api(url(host), with_ca());
        c->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
        return c;
    }
};

/// The error of connecting once to `url` ("" if it connected).
std::string refusal(const std::string& url, const ConnectOptions& options) {
    auto endpoint = loa::clients::parse_api_url(url);
    auto c = ApiConnection::connect(*endpoint, options);
    return c ? "" : c.error().message;
}

/// A network namespace with a veth pair, 10.213.0.1/24 on one end: a host address that is not
/// loopback. Deleted on destruction.
class AddressedNetns {
public:
    static constexpr const char* kAddress = "10.213.0.1";

    AddressedNetns() : name_("loa-tls-" + std::to_string(::getpid())) {
        run("ip netns del " + name_);
        const std::string ip = "ip -n " + name_ + " ";
        ok_ = run("ip netns add " + name_) == 0 && run(ip + "link set lo up") == 0 &&
              run(ip + "link add loa0 type veth peer name loa1") == 0 &&
              run(ip + "addr add " + kAddress + "/24 dev loa0") == 0 &&
              run(ip + "addr add 10.213.0.2/24 dev loa1") == 0 &&
              run(ip + "link set loa0 up") == 0 && run(ip + "link set loa1 up") == 0;
    }
    ~AddressedNetns() { run("ip netns del " + name_); }
    AddressedNetns(const AddressedNetns&) = delete;
    AddressedNetns& operator=(const AddressedNetns&) = delete;
    bool ok() const { return ok_; }
    const std::string& name() const { return name_; }

    /// Runs `work` on a thread that has entered this namespace (setns affects only the
    /// calling thread); rethrows what it throws.
    void run_inside(const std::function<void()>& work) const {
        std::exception_ptr failure;
        std::thread inside([&] {
            try {
                int fd = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
                bool entered = fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0;
                if (fd >= 0)
                    ::close(fd);
                if (!entered)
                    throw std::runtime_error("cannot enter the network namespace " + name_);
                work();
            } catch (...) {
                failure = std::current_exception();
            }
        });
        inside.join();
        if (failure)
            std::rethrow_exception(failure);
    }

private:
    std::string name_;
    bool ok_ = false;
};

/// Opens the receivers' channel at `address`, trying again while the server comes up.
std::unique_ptr<RawWebSocket> open_receiver_channel(const std::string& address, int port) {
    std::unique_ptr<RawWebSocket> out;
    wait_until(
        [&] {
            try {
                out = std::make_unique<RawWebSocket>(address, port, "/api/v1/receiver");
            } catch (const std::runtime_error&) {
                return false;
            }
            return true;
        },
        seconds(20));
    if (!out)
        throw std::runtime_error("no receivers' channel at " + address);
    return out;
}

/// Starts a plain server (no TLS) bound to 0.0.0.0 inside `ns`, provisions receiver box-1 of
/// commune 70-001, and returns its bundle.
json::object start_plain_province(Scenario& s, const AddressedNetns& ns) {
    s.use_netns(ns.name());
    s.add_http_settings(R"("bind": "0.0.0.0")");
    s.write_province_config(kProvince);
    s.start_server();
    return s.call("receivers.provision", R"({"id": "box-1", "unit": "70-001"})")
        .as_object()
        .at("bundle")
        .as_object();
}

std::string hello(const json::object& bundle) {
    return json::serialize(
        json::object{{"jsonrpc", "2.0"},
                     {"id", 1},
                     {"method", "hello"},
                     {"params", {{"id", bundle.at("id")}, {"secret", bundle.at("secret")}}}});
}

} // namespace

TEST(Tls, OperatorsLogInOverWssOnlyWhenTheyTrustTheServersCa) {
    TlsProvince p;
    auto admin = p.admin();
    auto units = admin->call("units.list").as_array();
    EXPECT_EQ(units.size(), 2U);
    EXPECT_EQ(admin->call("auth.whoami").as_object().at("name"), "admin");
    // The certificate names localhost too.
    EXPECT_EQ(p.admin("localhost")->call("auth.whoami").as_object().at("name"), "admin");

    // Trusting only the system's CAs: the handshake fails on the certificate.
    auto untrusted = refusal(p.url(), {});
    EXPECT_NE(untrusted.find("TLS handshake with 127.0.0.1:"), std::string::npos) << untrusted;
    EXPECT_NE(untrusted.find("certificate verify failed"), std::string::npos) << untrusted;
    EXPECT_NE(untrusted.find("not signed by a CA this system trusts"), std::string::npos)
        << untrusted;
    // Trusting a CA that did not sign it: the same.
    ConnectOptions other;
    other.ca_file = p.certificates.other_ca;
    auto misplaced = refusal(p.url(), other);
    EXPECT_NE(misplaced.find("certificate verify failed"), std::string::npos) << misplaced;
    // Trusting the server's own certificate alone (a bundle made from a leaf-only file, or a
    // chain without its root) is enough.
    ConnectOptions pinned;
    pinned.ca_file = p.s.dir().file("server.pem");
    EXPECT_EQ(refusal(p.url(), pinned), "");

    // In clear to the TLS port: no WebSocket.
    auto plain = refusal("ws://127.0.0.1:" + std::to_string(p.s.http_port()) + "/api/v1/ws", {});
    EXPECT_NE(plain.find("WebSocket handshake with ws://127.0.0.1:"), std::string::npos) << plain;

    // None of that disturbed the operator's connection.
    EXPECT_EQ(admin->call("units.list").as_array().size(), 2U);
}

/// What `openssl s_client` prints for one request to the server's HTTPS port, with `options`
/// choosing the protocol and cipher suites it offers.
std::string s_client(const TlsProvince& p, const std::string& options) {
    auto request = p.s.dir().file("s_client.in");
    std::ofstream(request)
        << "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    std::string command =
        "timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(p.s.http_port()) +
        " -CAfile " + p.certificates.ca + " -ign_eof " + options + " <" + request + " 2>&1";
    std::string out;
    if (FILE* f = ::popen(command.c_str(), "r")) {
        char buffer[4096];
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;)
            out.append(buffer, n);
        ::pclose(f);
    }
    return out;
}

// Each offer is a connection that the server answers and closes (Connection: close): closing a
// TLS connection once used its session after it was gone, and the first such close ended the
// server (a segmentation fault); the second offer found nobody listening.
TEST(Tls, OnlyTls12AndUpWithForwardSecretAeadSuitesAndHttpsAnswersCarryHsts) {
    TlsProvince p;
    ASSERT_TRUE(wait_until([&] { return TcpClient(p.s.http_port()).connected(); }, seconds(20)))
        << "the server listens";
    // What a current client offers: TLS 1.3, or TLS 1.2 with ECDHE and AES-GCM, is served, and
    // tells browsers to keep to HTTPS.
    for (const char* offer : {"-tls1_3", "-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256"}) {
        auto served = s_client(p, offer);
        EXPECT_NE(served.find("HTTP/1.1 200"), std::string::npos) << offer << "\n" << served;
        std::string lower = served;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        EXPECT_NE(lower.find("strict-transport-security: max-age="), std::string::npos)
            << offer << "\n"
            << served;
    }
    // The client lowers its own security level so that only the server can refuse: TLS 1.1,
    // and TLS 1.2 with CBC or without forward secrecy, get no answer.
    for (const char* offer :
         {"-tls1_1 -cipher DEFAULT@SECLEVEL=0", "-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA@SECLEVEL=0",
          "-tls1_2 -cipher AES128-GCM-SHA256@SECLEVEL=0"}) {
        auto refused = s_client(p, offer);
        EXPECT_EQ(refused.find("HTTP/1.1"), std::string::npos) << offer << "\n" << refused;
    }
}

TEST(Tls, AProvisionedReceiverGetsItsKeyOverWssPlaysAndIsSeenOnline) {
    TlsProvince p;
    write_tone_wav(p.s.dir().file("tone.wav"), 440, 30);
    auto admin = p.admin();
    admin->call("subscribe", {{"topics", json::array{"receivers"}}});
    auto made = admin->call("receivers.provision", {{"id", "box-1"}, {"unit", "70-001"}});
    const auto& bundle = made.as_object().at("bundle").as_object();
    std::string server(bundle.at("server").as_string());
    EXPECT_EQ(server, "wss://127.0.0.1:" + std::to_string(p.s.http_port()));
    ASSERT_TRUE(bundle.contains("ca"));
    EXPECT_NE(std::string(bundle.at("ca").as_string()).find(read_file(p.certificates.ca)),
              std::string::npos)
        << "the bundle carries the CA that signed the server's certificate";
    std::string bundle_path = p.s.dir().file("box-1.bundle.json");
    std::ofstream(bundle_path) << json::serialize(bundle);
    p.s.start_provisioned_receiver("box-1", bundle_path);

    bool online = false;
    ASSERT_TRUE(wait_until(
        [&] {
            while (auto n = admin->next(std::chrono::milliseconds(50)))
                online = online || (n->at("method") == "receiver.online" &&
                                    n->at("params").at("id") == "box-1");
            return online;
        },
        seconds(20)))
        << read_file(p.s.receiver_log("box-1"));
    admin->call("emergency.start",
                {{"units", json::array{"70-001"}}, {"path", p.s.dir().file("tone.wav")}});
    constexpr std::size_t kSecond = std::size_t{48000} * 2;
    ASSERT_TRUE(
        wait_until([&] { return wav_data_bytes(p.s.wav("box-1")) > 3 * kSecond; }, seconds(20)))
        << read_file(p.s.receiver_log("box-1"));
    auto wav = read_wav(p.s.wav("box-1"));
    EXPECT_GT(rms(wav, wav.seconds() - 1.0, wav.seconds()), 0.05) << "the tone is heard";

    auto list = admin->call("receivers.list").as_array();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_TRUE(list[0].as_object().at("online").as_bool());
    EXPECT_EQ(list[0].as_object().at("address"), "127.0.0.1");
    EXPECT_NE(read_file(p.s.receiver_log("box-1")).find("hello: receiver box-1 of 70-001"),
              std::string::npos);
}

TEST(Tls, ASwarmOfReceiversHoldsItsControlChannelsOverWss) {
    TlsProvince p;
    auto admin = p.admin();
    constexpr int kReceivers = 50;
    json::array bundles;
    for (int i = 0; i < kReceivers; ++i)
        bundles.push_back(admin
                              ->call("receivers.provision",
                                     {{"id", "swarm-" + std::to_string(i)}, {"unit", "70-001"}})
                              .as_object()
                              .at("bundle"));
    std::string bundles_path = p.s.dir().file("bundles.json");
    std::ofstream(bundles_path) << json::serialize(bundles);
    std::string stats = p.s.dir().file("swarm.json");
    Process swarm({LOA_SWARM_BIN, "run", "--bundles", bundles_path, "--stats", stats},
                  p.s.dir().file("swarm.log"));
    ASSERT_TRUE(
        wait_until([&] { return swarm_counter(stats, "connected") == kReceivers; }, seconds(30)))
        << read_file(stats) << read_file(p.s.dir().file("swarm.log"));
    int online = 0;
    auto list = admin->call("receivers.list");
    for (const auto& r : list.as_array())
        online += r.as_object().at("online").as_bool() ? 1 : 0;
    EXPECT_EQ(online, kReceivers);
    swarm.signal(SIGTERM);
    EXPECT_EQ(swarm.wait(seconds(10)), 0);
}

TEST(Tls, APlainServerGivesNoKeyToAPeerOutside127001) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root for ip netns";
    AddressedNetns ns;
    ASSERT_TRUE(ns.ok()) << "cannot create a network namespace with a veth pair";
    Scenario s("tls-plain-remote");
    auto bundle = start_plain_province(s, ns);

    std::optional<std::string> remote_reply, local_reply;
    bool remote_closed = false;
    std::optional<loa::clients::HttpReply> remote_sdp, local_sdp;
    std::string remote_login_refusal, remote_provision_refusal;
    ns.run_inside([&] {
        const std::string port = std::to_string(s.http_port());
        auto remote = open_receiver_channel(AddressedNetns::kAddress, s.http_port());
        remote->send(hello(bundle));
        remote_reply = remote->receive();
        remote_closed = remote->wait_ended(seconds(5));
        // The same hello on 127.0.0.1 of the same server gets the key.
        auto local = open_receiver_channel("127.0.0.1", s.http_port());
        local->send(hello(bundle));
        local_reply = local->receive();

        // A receiver's SDP holds its key too: the same rule, even for an admin.
        auto admin = connect_api("ws://127.0.0.1:" + port + "/api/v1/ws");
        ConnectOptions options;
        options.allow_plain_remote = true;
        options.bearer_token = std::string(
            admin->call("auth.login", {{"name", "admin"}, {"password", Scenario::kAdminPassword}})
                .at("token")
                .as_string());
        auto sdp = [&](const std::string& host) -> std::optional<loa::clients::HttpReply> {
            auto endpoint = loa::clients::parse_api_url("http://" + host + ":" + port);
            auto reply = loa::clients::http_request(*endpoint, options, "GET",
                                                    "/api/v1/receivers/box-1/sdp");
            return reply ? std::optional(*reply) : std::nullopt;
        };
        remote_sdp = sdp(AddressedNetns::kAddress);
        local_sdp = sdp("127.0.0.1");

        // Neither a password nor a device secret crosses a plain connection from outside.
        auto outside = connect_api(
            "ws://" + std::string(AddressedNetns::kAddress) + ":" + port + "/api/v1/ws", options);
        try {
            outside->call("auth.login",
                          {{"name", "admin"}, {"password", Scenario::kAdminPassword}});
        } catch (const loa::clients::ApiError& e) {
            remote_login_refusal = e.message;
        }
        try {
            outside->call("receivers.provision", {{"id", "box-2"}, {"unit", "70-001"}});
        } catch (const loa::clients::ApiError& e) {
            remote_provision_refusal = e.message;
        }
    });
    EXPECT_NE(remote_login_refusal.find("log in over TLS (wss://) or on 127.0.0.1"),
              std::string::npos)
        << remote_login_refusal;
    EXPECT_NE(remote_provision_refusal.find("only over TLS"), std::string::npos)
        << remote_provision_refusal;

    ASSERT_TRUE(local_reply);
    auto local = json::parse(*local_reply).as_object();
    ASSERT_TRUE(local.contains("result")) << *local_reply;
    std::string key(local.at("result").at("key").as_string());
    ASSERT_FALSE(key.empty());

    ASSERT_TRUE(remote_reply) << "no answer to a hello from " << AddressedNetns::kAddress;
    auto remote = json::parse(*remote_reply).as_object();
    EXPECT_FALSE(remote.contains("result")) << *remote_reply;
    EXPECT_EQ(remote_reply->find(key), std::string::npos) << "the key crossed in clear";
    ASSERT_TRUE(remote.contains("error")) << *remote_reply;
    EXPECT_EQ(remote.at("error").at("code").as_int64(), -32004);
    std::string message(remote.at("error").at("message").as_string());
    EXPECT_NE(message.find("only sent over TLS (wss://) or on 127.0.0.1"), std::string::npos)
        << message;
    EXPECT_TRUE(remote_closed) << "the refused connection is closed";

    ASSERT_TRUE(remote_sdp && local_sdp);
    EXPECT_EQ(remote_sdp->status, 403U) << remote_sdp->body;
    EXPECT_NE(remote_sdp->body.find("keys are only sent over TLS or on 127.0.0.1"),
              std::string::npos)
        << remote_sdp->body;
    EXPECT_EQ(remote_sdp->body.find(key), std::string::npos);
    // On 127.0.0.1 it passes that rule (and waits for the receiver's first report).
    EXPECT_EQ(local_sdp->status, 409U) << local_sdp->body;
}

TEST(Tls, AReceiverWillNotSayHelloInClearToAServerOutside127001) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root for ip netns";
    AddressedNetns ns;
    ASSERT_TRUE(ns.ok()) << "cannot create a network namespace with a veth pair";
    Scenario s("tls-receiver-plain");
    auto bundle = start_plain_province(s, ns);
    bundle["server"] =
        "ws://" + std::string(AddressedNetns::kAddress) + ":" + std::to_string(s.http_port());
    std::string bundle_path = s.dir().file("box-1.bundle.json");
    std::ofstream(bundle_path) << json::serialize(bundle);
    s.start_provisioned_receiver("box-1", bundle_path);

    const std::string why = "refusing an unencrypted connection to 10.213.0.1";
    EXPECT_TRUE(wait_until(
        [&] { return read_file(s.receiver_log("box-1")).find(why) != std::string::npos; },
        seconds(15)))
        << read_file(s.receiver_log("box-1"));
    EXPECT_NE(read_file(s.receiver_log("box-1")).find("use wss://10.213.0.1:"), std::string::npos);
    // It never reached the server.
    auto list = s.call("receivers.list").as_array();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_FALSE(list[0].as_object().at("online").as_bool());
    EXPECT_EQ(read_file(s.server_log()).find("receiver box-1 connected"), std::string::npos);
}
