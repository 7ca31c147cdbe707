#include "loa/server/app/control_client.hpp"

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "loa/common/jsonrpc.hpp"

namespace loa::server {
namespace {

/// A connected socket to `path`, closed with it.
class Connection {
public:
    explicit Connection(const std::string& path)
        : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
        connected_ =
            fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    bool connected() const { return connected_; }

    /// Sends one line and reads the answering line; "" if the server answered nothing.
    std::string exchange(const std::string& line) {
        if (::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(line.size()))
            return "";
        std::string answer;
        char chunk[65536];
        ssize_t n = 0;
        while (answer.find('\n') == std::string::npos &&
               (n = ::recv(fd_, chunk, sizeof chunk, 0)) > 0)
            answer.append(chunk, static_cast<std::size_t>(n));
        return answer;
    }

private:
    int fd_;
    bool connected_ = false;
};

} // namespace

int call_running_server(const Settings& settings, const std::string& method,
                        const std::string& params_json) {
    boost::system::error_code ec;
    auto params = boost::json::parse(params_json, ec);
    if (ec || !params.is_object()) {
        std::cerr << "loa-server: --call parameters must be a JSON object, e.g. '{\"id\": 3}'\n";
        return 1;
    }
    std::string path = control_socket_file(settings);
    Connection connection(path);
    if (!connection.connected()) {
        std::cerr << "loa-server: cannot reach the server at " << path << ": "
                  << std::strerror(errno) << " (is it running with this configuration?)\n";
        return 1;
    }
    auto request = jsonrpc::request(1, method, std::move(params.as_object()));
    auto answer =
        boost::json::parse(connection.exchange(boost::json::serialize(request) + "\n"), ec);
    if (ec || !answer.is_object()) {
        std::cerr << "loa-server: no answer from the server\n";
        return 1;
    }
    if (auto fault = jsonrpc::fault_of(answer.as_object())) {
        std::cerr << "loa-server: " << fault->message << "\n";
        return 1;
    }
    std::cout << boost::json::serialize(answer.as_object().at("result")) << "\n";
    return 0;
}

} // namespace loa::server
