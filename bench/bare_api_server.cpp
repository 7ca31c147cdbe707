// The control benchmark's baseline: Loa's own HTTP/WebSocket transport and JSON-RPC framing
// with nothing behind them. Every request is answered with a fixed result (a receiver's hello
// with the fields loa-swarm needs), notifications are dropped. What Loa's server costs above
// this is the cost of the control plane itself: sessions, roles, SQLite, the receiver hub.
#include "bare_api_server.hpp"

#include <csignal>
#include <pthread.h>

#include "loa/common/open_files.hpp"
#include "loa/http/server.hpp"
#include "loa/server/api/rpc.hpp"

namespace loa::bench {
namespace {

namespace json = boost::json;

class Echo : public http::WebSocketHandler {
public:
    explicit Echo(std::shared_ptr<http::WebSocketLink> link) : link_(std::move(link)) {}
    void on_message(const std::string& text) override {
        auto response = server::handle_jsonrpc(text, [](const std::string&, const server::Params&) {
            return json::value(json::object{{"status_interval_s", 10}, {"volume", 1.0}});
        });
        if (!response.empty())
            link_->send(std::move(response));
    }

private:
    std::shared_ptr<http::WebSocketLink> link_;
};

} // namespace

int run_bare_api_server(std::uint16_t port) {
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGINT, SIGTERM})
        sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    common::raise_open_files_limit();
    http::HttpOptions options;
    options.port = port;
    options.max_connections_per_address = options.max_connections; // the swarm is one address
    http::HttpServer http(
        options, [](const http::HttpRequest&) { return http::text_response(404, "not here\n"); },
        [](const http::HttpRequest&, std::shared_ptr<http::WebSocketLink> link) {
            return std::variant<http::HttpResponse, std::shared_ptr<http::WebSocketHandler>>(
                std::make_shared<Echo>(std::move(link)));
        });
    http.start();
    int sig = 0;
    sigwait(&signals, &sig);
    http.stop();
    return 0;
}

} // namespace loa::bench
