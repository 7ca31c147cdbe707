#include "loa/clients/swarm.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <map>

#include "api_transport.hpp"
#include "loa/common/jsonrpc.hpp"
#include "loa/common/logging.hpp"
#include "loa/common/persistent_counter.hpp"

namespace loa::clients {
namespace {

namespace json = boost::json;
namespace websocket = boost::beast::websocket;
namespace beast = detail::beast;
namespace net = detail::net;
namespace ssl = detail::ssl;
using detail::tcp;
using detail::TlsStream;
using Clock = std::chrono::steady_clock;

auto log() {
    static auto logger = common::logger("swarm");
    return logger;
}

constexpr const char* kVersion = "loa-swarm 0.1";
/// Bound on connecting and on each handshake.
constexpr std::chrono::seconds kConnectTimeout{10};
/// Refusals and failures logged in full; the rest are only counted.
constexpr std::uint64_t kLoggedFailures = 5;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

/// Where a server is and how to reach it; receivers of the same server share one.
struct Target {
    ApiEndpoint endpoint;
    std::shared_ptr<ssl::context> tls; ///< null for ws://
};

/// One simulated receiver.
struct Simulated {
    const Bundle* bundle = nullptr;
    std::string secret; ///< the bundle's, until a rekey gives a new one (kept in memory)
    const Target* target = nullptr;
    double volume = 1.0;
    bool muted = false;
    bool unprovisioned = false;
    Clock::time_point started = Clock::now();
};

/// One control connection: a WebSocket allows one write at a time, so a single writer sends
/// the outbox and the periodic status reports.
template <class Ws> struct Connection {
    Connection(Ws socket, const net::any_io_executor& executor)
        : ws(std::move(socket)), wake(executor) {}
    Ws ws;
    std::deque<std::string> outbox;
    net::steady_timer wake;
    bool closed = false;
    Clock::time_point next_status = Clock::time_point::max();
    std::chrono::seconds status_interval{10};

    void send(std::string text) {
        outbox.push_back(std::move(text));
        wake.cancel();
    }
    void close() {
        closed = true;
        wake.cancel();
        beast::error_code ignored;
        beast::get_lowest_layer(ws).socket().close(ignored);
    }
};

std::string message(const char* method, json::object params, std::int64_t id = 0) {
    return json::serialize(id != 0 ? jsonrpc::request(id, method, std::move(params))
                                   : jsonrpc::notification(method, std::move(params)));
}

std::string text_of(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

} // namespace

struct Swarm::State {
    std::atomic<std::uint64_t> connected{0}, hellos{0}, refused{0}, lost{0}, statuses{0},
        requests{0}, unprovisioned{0};
    std::map<std::string, Target> targets; ///< by server URL and CA
    std::vector<Simulated> receivers;
    double starts_per_second = 500;
    bool played_level = true;
    // Last, so that it goes first: the receivers' coroutines it still holds refer to the
    // members above.
    net::io_context ioc{1};

    /// The status report, as loa-receiver sends it, with nothing received and silence played.
    std::string status(const Simulated& r) const {
        auto uptime =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - r.started);
        boost::json::object fields{
            {"volume", r.volume}, {"muted", r.muted}, {"receiving", false},
            {"received", 0},      {"lost", 0},        {"late", 0},
            {"concealed", 0},     {"jitter_ms", 0.0}, {"uptime_s", uptime.count() / 1000},
            {"version", kVersion}};
        if (played_level) {
            fields["played_ms"] = uptime.count();
            fields["sound_ms"] = 0;
            fields["level_dbfs"] = -100.0;
        }
        return message("status", std::move(fields));
    }

    void failed(const Simulated& r, const std::string& why) {
        if (lost.fetch_add(1) < kLoggedFailures)
            log()->warn("receiver {}: {}", r.bundle->id, why);
    }

    template <class Ws>
    net::awaitable<void> write_loop(std::shared_ptr<Connection<Ws>> c, Simulated& r) {
        while (!c->closed) {
            if (Clock::now() >= c->next_status) {
                c->outbox.push_back(status(r));
                c->next_status = Clock::now() + c->status_interval;
                statuses.fetch_add(1);
            }
            while (!c->outbox.empty() && !c->closed) {
                std::string text = std::move(c->outbox.front());
                c->outbox.pop_front();
                auto [ec, n] = co_await c->ws.async_write(net::buffer(text), kTuple);
                if (ec) {
                    c->close();
                    co_return;
                }
            }
            if (c->closed)
                co_return;
            c->wake.expires_at(c->next_status);
            (void)co_await c->wake.async_wait(kTuple);
        }
    }

    /// Handles what the server says after hello; false to end the connection.
    template <class Ws> bool on_message(Connection<Ws>& c, Simulated& r, const json::object& o) {
        auto method = text_of(o, "method");
        const auto* id = o.if_contains("id");
        if (method == "unprovision") {
            r.unprovisioned = true;
            unprovisioned.fetch_add(1);
            return false;
        }
        if (!id)
            return true;
        json::object params;
        if (const auto* p = o.if_contains("params"); p && p->is_object())
            params = p->as_object();
        json::object reply;
        if (method == "set_volume" || method == "rekey") {
            if (method == "set_volume") {
                if (const auto* v = params.if_contains("volume"); v && v->is_number())
                    r.volume = v->to_number<double>();
                if (const auto* m = params.if_contains("muted"); m && m->is_bool())
                    r.muted = m->as_bool();
            } else if (auto secret = text_of(params, "secret"); !secret.empty()) {
                r.secret = secret; // the next hello says the new one
            }
            reply = jsonrpc::result(*id, json::object{});
            requests.fetch_add(1);
        } else {
            reply = jsonrpc::error(*id, jsonrpc::code::kMethodNotFound, "no method " + method);
        }
        c.send(json::serialize(reply));
        return true;
    }

    /// Says hello on an open WebSocket and serves it until it ends; true if hello was answered.
    template <class Ws> net::awaitable<bool> converse(Ws ws, Simulated& r) {
        auto executor = co_await net::this_coro::executor;
        auto c = std::make_shared<Connection<Ws>>(std::move(ws), executor);
        c->send(message("hello",
                        {{"id", r.bundle->id}, {"secret", r.secret}, {"version", kVersion}}, 1));
        net::co_spawn(executor, write_loop(c, r), net::detached);
        bool greeted = false;
        beast::flat_buffer buffer;
        for (;;) {
            buffer.clear();
            auto [ec, n] = co_await c->ws.async_read(buffer, kTuple);
            if (ec) {
                if (!r.unprovisioned)
                    failed(r, "control connection lost: " + ec.message());
                break;
            }
            json::error_code parse_error;
            auto parsed = json::parse(beast::buffers_to_string(buffer.data()), parse_error);
            if (parse_error || !parsed.is_object())
                continue;
            const auto& o = parsed.as_object();
            if (greeted) {
                if (!on_message(*c, r, o))
                    break;
                continue;
            }
            if (const auto* error = o.if_contains("error")) {
                if (refused.fetch_add(1) < kLoggedFailures)
                    log()->warn("receiver {}: hello refused: {}", r.bundle->id,
                                json::serialize(*error));
                break;
            }
            if (const auto* result = o.if_contains("result"); result && result->is_object()) {
                greeted = true;
                hellos.fetch_add(1);
                connected.fetch_add(1);
                if (const auto* s = result->as_object().if_contains("status_interval_s");
                    s && s->is_int64())
                    c->status_interval =
                        std::chrono::seconds(std::max<std::int64_t>(1, s->as_int64()));
                c->next_status = Clock::now(); // the first report at once, as loa-receiver does
                c->wake.cancel();
            }
        }
        if (greeted)
            connected.fetch_sub(1);
        c->close();
        co_return greeted;
    }

    /// One connection attempt; true if it got as far as an answered hello.
    net::awaitable<bool> attempt(Simulated& r) {
        // The analyzer loses track of Asio's coroutine frame here (a false positive in Asio).
        auto executor =
            co_await net::this_coro::executor; // NOLINT(clang-analyzer-core.CallAndMessage)
        const auto& e = r.target->endpoint;
        tcp::resolver resolver(executor);
        auto [resolve_error, resolved] = co_await resolver.async_resolve(e.host, e.port, kTuple);
        tcp::resolver::results_type found = resolved;
        if (resolve_error) {
            failed(r, "cannot resolve " + e.host + ": " + resolve_error.message());
            co_return false;
        }
        auto open = [&](auto& ws) -> net::awaitable<beast::error_code> {
            auto& tcp_stream = beast::get_lowest_layer(ws);
            tcp_stream.expires_after(kConnectTimeout);
            auto [connect_error, where] = co_await tcp_stream.async_connect(found, kTuple);
            if (connect_error)
                co_return connect_error;
            tcp_stream.socket().set_option(tcp::no_delay(true));
            if constexpr (std::is_same_v<std::decay_t<decltype(ws)>,
                                         websocket::stream<TlsStream>>) {
                auto& tls = ws.next_layer();
                boost::system::error_code is_name;
                net::ip::make_address(e.host, is_name);
                if (is_name)
                    SSL_set_tlsext_host_name(tls.native_handle(), e.host.c_str());
                tls.set_verify_callback(ssl::host_name_verification(e.host));
                auto [tls_error] = co_await tls.async_handshake(ssl::stream_base::client, kTuple);
                if (tls_error)
                    co_return tls_error;
            }
            tcp_stream.expires_never();
            auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
            timeouts.handshake_timeout = kConnectTimeout;
            timeouts.idle_timeout = std::chrono::seconds(60);
            timeouts.keep_alive_pings = true;
            ws.set_option(timeouts);
            auto [ws_error] = co_await ws.async_handshake(detail::host_header(e), e.path, kTuple);
            co_return ws_error;
        };
        if (r.target->tls) {
            websocket::stream<TlsStream> ws(executor, *r.target->tls);
            if (auto ec = co_await open(ws)) {
                failed(r, "cannot connect to " + to_url(e) + ": " + ec.message());
                co_return false;
            }
            co_return co_await converse(std::move(ws), r);
        }
        websocket::stream<beast::tcp_stream> ws(executor);
        if (auto ec = co_await open(ws)) {
            failed(r, "cannot connect to " + to_url(e) + ": " + ec.message());
            co_return false;
        }
        co_return co_await converse(std::move(ws), r);
    }

    /// A receiver's life: connect, serve, and after a loss wait as loa-receiver does.
    net::awaitable<void> live(Simulated& r, std::chrono::milliseconds first_delay) {
        net::steady_timer timer(co_await net::this_coro::executor);
        timer.expires_after(first_delay);
        (void)co_await timer.async_wait(kTuple);
        auto backoff = std::chrono::milliseconds(0);
        while (!r.unprovisioned) {
            if (co_await attempt(r))
                backoff = std::chrono::milliseconds(0);
            if (r.unprovisioned)
                break;
            backoff = next_backoff(backoff);
            timer.expires_after(backoff);
            (void)co_await timer.async_wait(kTuple);
        }
    }
};

Swarm::Swarm(std::vector<Bundle> bundles, double starts_per_second, bool played_level)
    : bundles_(std::move(bundles)), state_(std::make_unique<State>()) {
    state_->starts_per_second = std::max(1.0, starts_per_second);
    state_->played_level = played_level;
}

Swarm::~Swarm() = default;

common::Result<void> Swarm::run(const std::atomic<bool>& stop) {
    auto& s = *state_;
    s.receivers.clear();
    s.receivers.reserve(bundles_.size());
    for (const auto& b : bundles_) {
        auto key = b.server + "\n" + b.ca;
        auto it = s.targets.find(key);
        if (it == s.targets.end()) {
            auto endpoint = parse_api_url(b.server, "/api/v1/receiver");
            if (!endpoint)
                return endpoint.error();
            endpoint->path = "/api/v1/receiver";
            if (auto plain = detail::check_plain_allowed(*endpoint, {}); !plain)
                return plain.error();
            Target target{*endpoint, nullptr};
            if (endpoint->tls) {
                target.tls = std::make_shared<ssl::context>(ssl::context::tls_client);
                ConnectOptions options;
                if (auto configured = detail::configure_tls(*target.tls, options); !configured)
                    return configured.error();
                if (!b.ca.empty()) {
                    boost::system::error_code ec;
                    target.tls->add_certificate_authority(net::buffer(b.ca), ec);
                    detail::trust_given_certificates(*target.tls);
                    if (ec)
                        return common::make_error(common::Errc::invalid_argument,
                                                  "receiver " + b.id +
                                                      ": the bundle's CA is not a PEM "
                                                      "certificate (" +
                                                      ec.message() + ")");
                }
            }
            it = s.targets.emplace(key, std::move(target)).first;
        }
        s.receivers.push_back(Simulated{&b, b.secret, &it->second});
    }
    for (std::size_t i = 0; i < s.receivers.size(); ++i) {
        auto delay = std::chrono::milliseconds(
            static_cast<std::int64_t>(1000.0 * static_cast<double>(i) / s.starts_per_second));
        net::co_spawn(s.ioc, s.live(s.receivers[i], delay), net::detached);
    }
    log()->info("{} simulated receivers starting at {}/s", s.receivers.size(), s.starts_per_second);
    while (!stop.load())
        s.ioc.run_for(std::chrono::milliseconds(100));
    s.ioc.stop();
    return {};
}

SwarmCounts Swarm::counts() const {
    const auto& s = *state_;
    return {bundles_.size(), s.connected.load(), s.hellos.load(),   s.refused.load(),
            s.lost.load(),   s.statuses.load(),  s.requests.load(), s.unprovisioned.load()};
}

common::Result<std::vector<Bundle>> read_bundles(const std::string& path) {
    auto text = common::read_file(path);
    if (!text)
        return common::make_error(common::Errc::io_error, "cannot read the bundles " + path);
    json::error_code ec;
    auto parsed = json::parse(*text, ec);
    if (ec || !parsed.is_array())
        return common::make_error(common::Errc::invalid_argument,
                                  path + ": expected a JSON array of provisioning bundles");
    std::vector<Bundle> out;
    for (const auto& v : parsed.as_array()) {
        auto b = bundle_from_json(v, path + ", entry " + std::to_string(out.size()));
        if (!b)
            return b.error();
        out.push_back(std::move(*b));
    }
    return out;
}

} // namespace loa::clients
