#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loa/server/api/control_socket.hpp"
#include "process.hpp"

using loa::server::ControlSocket;
using namespace std::chrono;

namespace {

constexpr milliseconds kPatience{5000}; // far above what a served request takes

/// A client on a real AF_UNIX stream socket; every read is bounded by a deadline.
class Client {
public:
    explicit Client(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
        connected_ =
            fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    ~Client() { close(); }

    bool connected() const { return connected_; }

    /// Sends everything (blocking); false once the server has gone.
    bool send(std::string_view data) {
        while (!data.empty()) {
            ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    /// The next line (without its newline), or nullopt at the deadline or the end.
    std::optional<std::string> line(milliseconds timeout = kPatience) {
        auto deadline = steady_clock::now() + timeout;
        std::size_t newline;
        while ((newline = buffer_.find('\n')) == std::string::npos) {
            if (!receive(deadline))
                return std::nullopt;
        }
        std::string out = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return out;
    }

    /// Whether something arrives before the deadline (nothing is read).
    bool readable_within(milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
    }

    /// Whether the server closes the connection before the deadline (data read is kept).
    bool closed_within(milliseconds timeout) {
        auto deadline = steady_clock::now() + timeout;
        while (receive(deadline)) {
        }
        return closed_;
    }

    void close() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

private:
    /// Reads what is there; false at the deadline or the end of the stream.
    bool receive(steady_clock::time_point deadline) {
        auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
        if (closed_ || left <= 0)
            return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0)
            return false;
        char chunk[65536];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            return true;
        if (n <= 0) { // 0 at the end; ECONNRESET if the server left our bytes unread
            closed_ = true;
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    bool connected_ = false;
    bool closed_ = false;
    std::string buffer_;
};

class ControlSocketTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<loa::test::TempDir>(
            std::string("control-") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        path = dir->file("control.sock");
        socket = std::make_unique<ControlSocket>(
            path, [](std::string_view text, const std::string& caller) -> std::string {
                if (text == "who")
                    return caller;
                if (text == "quiet")
                    return "";
                return std::string(text);
            });
    }

    /// Whether stop() returns within `limit`. If it does not, `client` is closed so that a
    /// server stuck on it can finish, and the test goes on instead of hanging.
    bool stops_within(milliseconds limit, Client& client) {
        auto stopped = std::async(std::launch::async, [this] { socket->stop(); });
        bool prompt = stopped.wait_for(limit) == std::future_status::ready;
        if (!prompt)
            client.close();
        stopped.wait();
        return prompt;
    }

    std::unique_ptr<loa::test::TempDir> dir;
    std::string path;
    std::unique_ptr<ControlSocket> socket;
};

} // namespace

TEST_F(ControlSocketTest, TheSocketIsForTheServersOwnUserOnlyAndReplacesAStaleFile) {
    { std::ofstream(path) << "left over by a crash"; }
    socket->start();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << std::strerror(errno);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600U);

    Client client(path);
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send("who\n"));
    auto who = client.line();
    ASSERT_TRUE(who);
    EXPECT_EQ(*who,
              "local uid " + std::to_string(::getuid()) + " pid " + std::to_string(::getpid()));
}

TEST_F(ControlSocketTest, LinesOfOneWriteAreAnsweredInOrder) {
    socket->start();
    Client client(path);
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send("{\"n\":1}\n{\"n\":2}\n"));
    EXPECT_EQ(client.line(), "{\"n\":1}");
    EXPECT_EQ(client.line(), "{\"n\":2}");
    // Blank lines and answers of nothing (notifications) send nothing; a line split over two
    // writes is one line.
    ASSERT_TRUE(client.send("\n  \r\nquiet\nthi"));
    ASSERT_TRUE(client.send("rd\n"));
    EXPECT_EQ(client.line(), "third");
}

TEST_F(ControlSocketTest, ALongButLegalLineIsServed) {
    socket->start();
    Client client(path);
    ASSERT_TRUE(client.connected());
    std::string big(2 * 1024 * 1024, 'x');
    auto sent = std::async(std::launch::async, [&] { return client.send(big + "\n"); });
    auto echoed = client.line();
    EXPECT_TRUE(sent.get());
    ASSERT_TRUE(echoed);
    EXPECT_EQ(echoed->size(), big.size());
}

TEST_F(ControlSocketTest, ALineOverTheLimitIsRefusedAndTheConnectionClosed) {
    socket->start();
    Client client(path);
    ASSERT_TRUE(client.connected());
    // Exactly one byte over: the server has read all of it when it refuses.
    ASSERT_TRUE(client.send(std::string(ControlSocket::kMaxLine + 1, 'x')));
    auto refused = client.line();
    ASSERT_TRUE(refused);
    auto response = boost::json::parse(*refused);
    EXPECT_EQ(response.at("error").at("code"), -32600);
    EXPECT_TRUE(response.at("id").is_null());
    EXPECT_TRUE(client.closed_within(kPatience));

    Client next(path); // the server itself goes on
    ASSERT_TRUE(next.connected());
    ASSERT_TRUE(next.send("still here\n"));
    EXPECT_EQ(next.line(), "still here");
}

TEST_F(ControlSocketTest, ASilentClientDoesNotHoldUpAnother) {
    socket->start();
    Client silent(path);
    ASSERT_TRUE(silent.connected());
    Client half(path);
    ASSERT_TRUE(half.connected());
    ASSERT_TRUE(half.send("{\"jsonrpc\":")); // and never the rest
    Client busy(path);
    ASSERT_TRUE(busy.connected());
    ASSERT_TRUE(busy.send("ping\n"));
    EXPECT_EQ(busy.line(), "ping");
    EXPECT_FALSE(silent.line(milliseconds(50)));
}

TEST_F(ControlSocketTest, StopReturnsPromptlyWhileAClientIsConnected) {
    socket->start();
    Client client(path);
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send("hello\n"));
    ASSERT_EQ(client.line(), "hello"); // its connection is being served
    ASSERT_TRUE(client.send("half a li"));
    EXPECT_TRUE(stops_within(milliseconds(2000), client));
    EXPECT_TRUE(client.closed_within(kPatience));
    EXPECT_FALSE(std::ifstream(path).good()) << "the socket file outlives stop()";
    Client late(path);
    EXPECT_FALSE(late.connected());
}

// A client that sends requests but never reads the answers must not hold the server's
// shutdown: answers wait for the socket to drain only until stop().
TEST_F(ControlSocketTest, StopReturnsPromptlyWhenAClientDoesNotReadItsAnswers) {
    socket->start();
    Client client(path);
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send("hello\n"));
    ASSERT_EQ(client.line(), "hello");
    // An answer far larger than a Unix socket's buffer, which this client never reads.
    ASSERT_TRUE(client.send(std::string(4 * 1024 * 1024, 'x') + "\n"));
    ASSERT_TRUE(client.readable_within(kPatience)); // the server is writing the answer
    EXPECT_TRUE(stops_within(milliseconds(2000), client));
}
