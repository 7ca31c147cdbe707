/// @file
/// libFuzzer target: the HTTP port. A real http::HttpServer (plain HTTP, as loa-server configures
/// it: uploads to /api/v1/programs streamed to a folder, WebSocket upgrades decided by the
/// application) listens on 127.0.0.1; each input is sent as the whole of one connection's
/// bytes, the client then closes its sending side and reads until the server closes. So the
/// input meets Beast's request parser with the server's limits, the upload sink, keep-alive
/// and pipelining, "Expect: 100-continue", WebSocket frames after an accepted upgrade, and
/// Loa's http::HttpRequest (path, query and header accessors, http::url_decode). Routes stand in
/// for the application's: they echo, stream, keep or leave an upload, and check what they are
/// given. Traps when:
/// - a route gets a request that breaks http::HttpRequest's promises: header names in lower case; a
///   path that is the target up to its query; an upgrade with a body; an in-memory body over
///   http::HttpServer::kMaxBody or other than its Content-Length; an upload that is not a POST to
///   the upload path, not a file in the upload folder, over the limit or other than its
///   Content-Length; a POST to the upload path that was not streamed to a file;
/// - http::url_decode gives more bytes than it was given, or changes a text with nothing to decode;
/// - what comes back does not start as an HTTP/1.1 response, or the server neither answers nor
///   closes within 5 s of the client's last byte;
/// - an upload file is left in the upload folder once its connection is over.

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>
#include <variant>
#include <vector>

#include "fuzz_support.hpp"
#include "loa/http/server.hpp"

namespace {

namespace fs = std::filesystem;
using namespace loa;
using loa::fuzz::require;

constexpr const char* kTarget = "http_fuzz";
constexpr const char* kUploadPath = "/api/v1/programs"; ///< as api_routes.hpp names it
constexpr std::uint64_t kMaxUpload = 64 * 1024;         ///< small, so that inputs reach it

fs::path g_root;
fs::path g_uploads;
std::unique_ptr<http::HttpServer> g_server;
std::atomic<unsigned> g_kept{0};

bool digits(const std::string& text) {
    return !text.empty() && text.size() < 19 &&
           text.find_first_not_of("0123456789") == std::string::npos;
}

void check_url_decode(std::string_view text) {
    auto decoded = http::url_decode(text);
    if (!decoded)
        return;
    require(decoded->size() <= text.size(), kTarget, "http::url_decode never lengthens a text");
    if (text.find_first_of("%+") == std::string_view::npos)
        require(*decoded == text, kTarget, "http::url_decode leaves a text without % or + alone");
}

/// The declared length of a body, when the request has one and no transfer coding.
std::optional<std::uint64_t> declared_length(const http::HttpRequest& r) {
    std::string length = r.header("content-length");
    if (!r.header("transfer-encoding").empty() || !digits(length))
        return std::nullopt;
    return std::stoull(length);
}

/// `upgrade`: a WebSocket upgrade, decided on its header alone (its body is never read).
void check_request(const http::HttpRequest& r, bool upgrade = false) {
    for (const auto& [name, value] : r.headers)
        require(std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; }),
                kTarget, "header names are in lower case");
    auto path = r.path();
    require(r.target.rfind(path, 0) == 0 && path.find('?') == std::string::npos, kTarget,
            "the path is the target up to its query");
    require(r.peer_address().starts_with("127.1.0.") && r.from_loopback(), kTarget,
            "the peer is the fuzzer's loopback client");
    check_url_decode(path);
    if (auto q = r.target.find('?'); q != std::string::npos)
        check_url_decode(std::string_view(r.target).substr(q + 1));
    for (const char* name : {"unit", "title", "access_token", "keep"})
        if (r.query(name))
            require(r.target.find('?') != std::string::npos, kTarget,
                    "a query parameter comes from a query");
    auto declared = declared_length(r);
    bool upload_path = r.method == "POST" && path == kUploadPath;
    require(upload_path == !r.body_file.empty(), kTarget,
            "a POST to the upload path, and only that, is streamed to a file");
    if (upgrade) {
        require(r.body.empty(), kTarget, "an upgrade is decided without a body");
        return;
    }
    if (r.body_file.empty()) {
        require(r.body.size() <= http::HttpServer::kMaxBody, kTarget, "a body is within kMaxBody");
        require(!declared || *declared == r.body.size(), kTarget,
                "a body is as long as its Content-Length");
        return;
    }
    require(r.body.empty() && fs::path(r.body_file).parent_path() == g_uploads, kTarget,
            "an upload is a file in the upload folder");
    std::error_code ec;
    auto size = fs::file_size(r.body_file, ec);
    require(!ec && size <= kMaxUpload, kTarget, "an upload is a file within the limit");
    require(!declared || *declared == size, kTarget, "an upload is as long as its Content-Length");
}

http::HttpResponse route(const http::HttpRequest& r) {
    check_request(r);
    auto path = r.path();
    if (!r.body_file.empty() && r.query("keep")) { // a route that takes the file away
        std::error_code ec;
        fs::rename(r.body_file, g_root / ("kept-" + std::to_string(g_kept++)), ec);
        fs::remove(g_root / ("kept-" + std::to_string(g_kept - 1)), ec);
        return http::json_response(201, "{\"id\":1}\n");
    }
    if (path == "/stream") {
        http::HttpResponse out{200, "audio/ogg", "", {{"x-loa", "1"}}};
        out.stream = [](std::shared_ptr<http::HttpStreamSink> sink) {
            for (int i = 0; i < 3 && sink->write(std::string(100, 'a' + i)); ++i) {
            }
            sink->end();
        };
        return out;
    }
    if (path == "/big")
        return http::text_response(200, std::string(100 * 1024, 'x'));
    if (path == "/throw")
        throw std::runtime_error("a route failed");
    return http::text_response(200, r.method + " " + path + " " + r.query("unit").value_or("-") +
                                        " " + std::to_string(r.body.size()) + "\n");
}

/// Echoes every message on /ws; refuses other upgrades.
class Echo final : public http::WebSocketHandler {
public:
    explicit Echo(std::shared_ptr<http::WebSocketLink> link) : link_(std::move(link)) {}
    void on_message(const std::string& text) override {
        if (text == "close")
            link_->close();
        else
            link_->send(text);
    }

private:
    std::shared_ptr<http::WebSocketLink> link_;
};

std::variant<http::HttpResponse, std::shared_ptr<http::WebSocketHandler>>
upgrade(const http::HttpRequest& r, std::shared_ptr<http::WebSocketLink> link) {
    check_request(r, true);
    if (r.path() == "/ws")
        return std::make_shared<Echo>(std::move(link));
    return http::text_response(403, "no\n");
}

/// Whether the upload folder is empty, waiting up to `patience` for the server to finish.
bool uploads_gone(std::chrono::milliseconds patience) {
    auto until = std::chrono::steady_clock::now() + patience;
    for (;;) {
        std::error_code ec;
        if (fs::is_empty(g_uploads, ec) || ec)
            return true;
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

/// Sends `input` as one connection, then reads until the server closes; returns what came.
std::string exchange(std::string_view input) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    require(fd >= 0, kTarget, "the harness opens a socket");
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(g_server->port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    // Each connection from the next of 250 loopback addresses: an input that makes the client
    // close first leaves a TIME_WAIT on its port for a minute, and 28,000 ports of one address
    // last half a minute of fuzzing.
    static unsigned next_source = 0;
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl((127U << 24) | (1U << 16) | (1U + next_source++ % 250U));
    require(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0, kTarget,
            "the harness binds a loopback address");
    bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    if (!connected && errno == EINTR) {
        // Interrupted by libFuzzer's SIGALRM, the connection goes on being made: wait for it.
        pollfd writable{fd, POLLOUT, 0};
        int ready = -1;
        for (int tries = 0; tries < 10 && ready < 0; ++tries)
            ready = ::poll(&writable, 1, 5000);
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        connected = ready > 0 && error == 0;
        if (!connected)
            errno = error != 0 ? error : ETIMEDOUT;
    }
    if (!connected)
        std::fprintf(stderr, "http_fuzz: connect: %s\n", std::strerror(errno));
    require(connected, kTarget, "the server accepts a connection");
    // The server may answer and close before it has read everything (413, 400): a failed
    // send is part of the exchange, not an error.
    // libFuzzer's timeout check interrupts system calls every second (SIGALRM): EINTR is not an
    // answer, the call is made again until the 5 s are up.
    for (std::size_t sent = 0; sent < input.size();) {
        ssize_t n = ::send(fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    std::string got;
    char buffer[16384];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            break;
        if (n < 0 && errno == EINTR && std::chrono::steady_clock::now() < deadline)
            continue;
        if (n < 0)
            std::fprintf(stderr, "http_fuzz: recv: %s after %zu bytes\n", std::strerror(errno),
                         got.size());
        require(n > 0, kTarget, "the server answers or closes within 5 s of the client's end");
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        got.append(buffer, static_cast<std::size_t>(n));
    }
    // The server has closed its side: ending with a reset leaves no TIME_WAIT on either side,
    // so that tens of thousands of inputs a minute never run out of loopback ports.
    linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(fd);
    return got;
}

// ---- seeds ----

std::string upgrade_request(const std::string& path) {
    return "GET " + path +
           " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

/// A masked client text frame.
std::string frame(const std::string& text) {
    std::string out{static_cast<char>(0x81), static_cast<char>(0x80 | text.size())};
    const char mask[4] = {0x11, 0x22, 0x33, 0x44};
    out.append(mask, 4);
    for (std::size_t i = 0; i < text.size(); ++i)
        out += static_cast<char>(text[i] ^ mask[i % 4]);
    return out;
}

void write_seeds(const fs::path& dir) {
    using loa::fuzz::write_seed;
    write_seed(dir, "get", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    write_seed(dir, "get_query",
               "GET /api/v1/as-run.csv?unit=70%2D001&title=B%E1%BA%A3n+tin&from_ms=1 HTTP/1.1\r\n"
               "Host: x\r\nAuthorization: Bearer abc\r\n\r\n");
    write_seed(dir, "post_body",
               "POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 15\r\n\r\n{\"method\":\"x\"}\n");
    write_seed(dir, "post_chunked",
               "POST /rpc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
    write_seed(dir, "upload",
               "POST /api/v1/programs?unit=70&title=Tin HTTP/1.1\r\nHost: x\r\n"
               "Content-Length: 8\r\n\r\nRIFFWAVE");
    write_seed(dir, "upload_kept",
               "POST /api/v1/programs?keep=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               "\r\n4\r\nOggS\r\n0\r\n\r\n");
    write_seed(dir, "upload_over_limit",
               "POST /api/v1/programs HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\nabc");
    write_seed(dir, "upload_expect_continue",
               "POST /api/v1/programs HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
               "Content-Length: 4\r\n\r\nfLaC");
    write_seed(dir, "upload_cut_short",
               "POST /api/v1/programs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
    write_seed(dir, "pipelined",
               "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /big HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /throw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    write_seed(dir, "stream", "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    write_seed(dir, "websocket", upgrade_request("/ws") + frame("hello") + frame("close"));
    write_seed(dir, "websocket_refused", upgrade_request("/api/v1/ws"));
    write_seed(dir, "malformed", "GET /x HTTP/1.1\r\nHost x\r\nContent-Length: -1\r\n\r\n");
    write_seed(dir, "body_too_large",
               "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    if (auto dir = loa::fuzz::seed_folder()) {
        write_seeds(*dir);
        std::exit(0);
    }
    std::string root = (fs::temp_directory_path() / "loa-fuzz-http-XXXXXX").string();
    if (mkdtemp(root.data()) == nullptr) {
        std::perror("http_fuzz: mkdtemp");
        std::abort();
    }
    g_root = root;
    g_uploads = g_root / "uploads";
    fs::create_directories(g_uploads);
    http::HttpOptions options;
    options.port = 0;
    options.upload_paths = {kUploadPath};
    options.upload_dir = g_uploads.string();
    options.max_upload = kMaxUpload;
    options.max_message = 64 * 1024;
    options.workers = 2;
    g_server = std::make_unique<http::HttpServer>(options, route, upgrade);
    g_server->start();
    std::atexit([] {
        g_server.reset();
        std::error_code ec;
        fs::remove_all(g_root, ec);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string got = exchange(std::string_view(reinterpret_cast<const char*>(data), size));
    require(got.empty() ||
                (got.size() >= 13 && got.rfind("HTTP/1.1 ", 0) == 0 &&
                 std::isdigit(static_cast<unsigned char>(got[9])) != 0 &&
                 std::isdigit(static_cast<unsigned char>(got[10])) != 0 &&
                 std::isdigit(static_cast<unsigned char>(got[11])) != 0 && got[12] == ' '),
            kTarget, "what comes back starts as an HTTP/1.1 response");
    require(uploads_gone(std::chrono::seconds(2)), kTarget,
            "no upload file is left once its connection is over");
    return 0;
}
