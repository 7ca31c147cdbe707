#include "loa/clients/control_link.hpp"

#include <functional>
#include <random>

#include "loa/common/logging.hpp"
#include "loa/common/persistent_counter.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/srtp.hpp"

namespace loa::clients {
namespace {

namespace json = boost::json;

auto log() {
    static auto logger = common::logger("control");
    return logger;
}

constexpr const char* kVersion = "loa-receiver 0.1";

std::string text_of(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

} // namespace

common::Result<Bundle> read_bundle(const std::string& path) {
    auto text = common::read_file(path);
    if (!text)
        return common::make_error(common::Errc::io_error, "cannot read the bundle " + path);
    json::error_code ec;
    auto parsed = json::parse(*text, ec);
    if (ec)
        return common::make_error(common::Errc::invalid_argument,
                                  path + ": not a provisioning bundle (expected a JSON object)");
    return bundle_from_json(parsed, path);
}

common::Result<Bundle> bundle_from_json(const json::value& json, const std::string& where) {
    if (!json.is_object())
        return common::make_error(common::Errc::invalid_argument,
                                  where + ": not a provisioning bundle (expected a JSON object)");
    const auto& o = json.as_object();
    Bundle b{text_of(o, "server"), text_of(o, "id"), text_of(o, "secret"), text_of(o, "ca")};
    for (auto [value, name] :
         {std::pair{&b.server, "server"}, {&b.id, "id"}, {&b.secret, "secret"}})
        if (value->empty())
            return common::make_error(common::Errc::invalid_argument,
                                      where + ": the bundle has no \"" + name +
                                          "\"; provision the receiver again");
    return b;
}

namespace {

/// Rewrites the bundle file at `path` with `change` made to its JSON, every other field kept;
/// a crash leaves the old file or the new one (written aside, synced, renamed; mode 0600).
common::Result<void> update_bundle(const std::string& path,
                                   const std::function<void(json::object&)>& change) {
    auto text = common::read_file(path);
    if (!text)
        return common::make_error(common::Errc::io_error, "cannot read the bundle " + path);
    json::error_code ec;
    auto parsed = json::parse(*text, ec);
    if (ec || !parsed.is_object())
        return common::make_error(common::Errc::invalid_argument,
                                  path + ": not a provisioning bundle (expected a JSON object)");
    change(parsed.as_object());
    return common::write_file_durably(path, json::serialize(parsed) + "\n");
}

} // namespace

common::Result<void> save_secret(const std::string& path, const std::string& secret) {
    return update_bundle(path, [&](json::object& bundle) { bundle["secret"] = secret; });
}

common::Result<void> save_server(const std::string& path, const std::string& server,
                                 const std::string& ca) {
    return update_bundle(path, [&](json::object& bundle) {
        bundle["server"] = server;
        if (ca.empty())
            bundle.erase("ca");
        else
            bundle["ca"] = ca;
    });
}

std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous) {
    static thread_local std::mt19937 random{std::random_device{}()};
    auto base =
        std::clamp(previous * 2, std::chrono::milliseconds(1000), std::chrono::milliseconds(8000));
    std::uniform_real_distribution<double> jitter(0.75, 1.25);
    // At most 8 s, jitter included: back within 10 s of the server, however long it was away.
    return std::min(std::chrono::milliseconds(static_cast<std::int64_t>(
                        static_cast<double>(base.count()) * jitter(random))),
                    std::chrono::milliseconds(8000));
}

ControlLink::ControlLink(Bundle bundle, std::string state_dir, std::string bundle_path)
    : bundle_(std::move(bundle)), state_dir_(std::move(state_dir)),
      bundle_path_(std::move(bundle_path)) {}

common::Result<Hello> ControlLink::connect() {
    auto endpoint = parse_api_url(bundle_.server, "/api/v1/receiver");
    if (!endpoint)
        return endpoint.error();
    endpoint->path = "/api/v1/receiver";
    ConnectOptions options;
    if (!bundle_.ca.empty()) {
        // Named by its content: trying another server's authority leaves ours in place.
        options.ca_file = state_dir_ + "/" + bundle_.id + "-" +
                          common::sha256_hex(bundle_.ca).substr(0, 12) + ".ca.pem";
        if (auto written = common::write_file_durably(options.ca_file, bundle_.ca); !written)
            return written.error();
    }
    auto connection = ApiConnection::connect(*endpoint, options);
    if (!connection)
        return connection.error();
    connection_ = std::move(connection).value();
    try {
        auto reply = connection_->call(
            "hello", {{"id", bundle_.id}, {"secret", bundle_.secret}, {"version", kVersion}});
        const auto& o = reply.as_object();
        Hello h;
        auto media = o.at("media").as_object();
        auto address = pipeline::Endpoint::resolve(text_of(media, "host"),
                                                   media.at("port").to_number<std::uint16_t>());
        if (!address)
            return common::make_error(common::Errc::io_error, "cannot resolve the media host \"" +
                                                                  text_of(media, "host") + "\"");
        h.media = *address;
        h.epoch = static_cast<std::uint32_t>(o.at("epoch").to_number<std::int64_t>());
        auto profile = pipeline::parse_srtp_profile(text_of(o, "profile"));
        if (!profile)
            return common::make_error(common::Errc::invalid_argument,
                                      "the server uses an SRTP profile this receiver lacks: " +
                                          text_of(o, "profile"));
        h.profile = *profile;
        h.key = common::from_base64(text_of(o, "key")).value_or(std::vector<std::uint8_t>{});
        if (const auto* group = o.if_contains("group"); group && group->is_object()) {
            h.group = text_of(group->as_object(), "channel");
            h.group_key = common::from_base64(text_of(group->as_object(), "key"))
                              .value_or(std::vector<std::uint8_t>{});
        }
        auto length = pipeline::srtp_master_length(h.profile);
        if (h.key.size() != length || (!h.group.empty() && h.group_key.size() != length)) {
            connection_.reset();
            return common::make_error(common::Errc::invalid_argument,
                                      "the server's hello gives a key that does not fit its "
                                      "SRTP profile " +
                                          text_of(o, "profile"));
        }
        h.volume = o.at("volume").to_number<double>();
        h.muted = o.at("muted").as_bool();
        h.status_interval_s = static_cast<int>(o.at("status_interval_s").to_number<std::int64_t>());
        status_interval_s_ = std::max(1, h.status_interval_s);
        log()->info("hello: receiver {} of {}, media at {}", bundle_.id, text_of(o, "unit"),
                    h.media.to_string());
        return h;
    } catch (const ApiError& e) {
        connection_.reset();
        return common::make_error(e.code == -32004 ? common::Errc::unauthorized
                                                   : common::Errc::io_error,
                                  "the server refused the hello: " + e.message);
    } catch (const std::exception& e) {
        connection_.reset();
        return common::make_error(common::Errc::io_error, std::string("hello failed: ") + e.what());
    }
}

common::Result<std::unique_ptr<ApiConnection>> ControlLink::switch_to(const std::string& server,
                                                                      const std::string& ca) {
    Bundle next = bundle_;
    next.server = server;
    next.ca = ca;
    ControlLink trial(next, state_dir_);
    auto hello = trial.connect();
    if (!hello)
        return common::make_error(hello.error().code,
                                  "cannot reach " + server + ": " + hello.error().message);
    // Saved before the answer: once the old server has it, it forgets us.
    if (!bundle_path_.empty())
        if (auto saved = save_server(bundle_path_, server, ca); !saved) {
            trial.connection_->close();
            return common::make_error(saved.error().code,
                                      "cannot keep the new server: " + saved.error().message);
        }
    bundle_ = std::move(next);
    status_interval_s_ = trial.status_interval_s_;
    moved_hello_ = std::move(*hello);
    std::swap(connection_, trial.connection_);
    return std::move(trial.connection_);
}

ControlLink::End ControlLink::serve(const std::atomic<bool>& stop, const ControlActions& actions) {
    auto next_status = std::chrono::steady_clock::now();
    try {
        while (!stop.load()) {
            if (std::chrono::steady_clock::now() >= next_status) {
                connection_->notify("status", actions.status());
                next_status =
                    std::chrono::steady_clock::now() + std::chrono::seconds(status_interval_s_);
            }
            auto message = connection_->next(std::chrono::milliseconds(200));
            if (!message)
                continue;
            auto method = text_of(*message, "method");
            const auto* id = message->if_contains("id");
            json::object params;
            if (const auto* p = message->if_contains("params"); p && p->is_object())
                params = p->as_object();
            if (method == "move") {
                auto server = text_of(params, "server");
                auto old = switch_to(server, text_of(params, "ca"));
                if (!old) {
                    log()->warn("asked to move to {}: {}; staying", server, old.error().message);
                    if (id)
                        connection_->reply_error(*id, -32000, old.error().message);
                    continue;
                }
                if (id)
                    (*old)->reply(*id, json::object{});
                (*old)->close();
                log()->info("moved to {}", server);
                return End::moved;
            }
            if (method == "unprovision") {
                log()->warn("the server has unprovisioned this receiver");
                connection_->close();
                return End::unprovisioned;
            }
            try {
                if (method == "set_volume") {
                    actions.set_output(params.at("volume").to_number<double>(),
                                       params.at("muted").as_bool());
                } else if (method == "rekey") {
                    auto key = common::from_base64(text_of(params, "key"));
                    if (!key)
                        throw std::runtime_error("the key is not base64");
                    // The new secret is on disk before the answer: once the server has the
                    // answer, the old secret opens nothing.
                    if (auto secret = text_of(params, "secret"); !secret.empty()) {
                        if (!bundle_path_.empty())
                            if (auto saved = save_secret(bundle_path_, secret); !saved)
                                throw std::runtime_error("cannot keep the new secret: " +
                                                         saved.error().message);
                        bundle_.secret = secret;
                        log()->info("rekeyed: new key and device secret");
                    }
                    actions.rekey(std::move(*key));
                } else {
                    if (id)
                        connection_->reply_error(*id, -32601, "no method \"" + method + "\"");
                    continue;
                }
                if (id)
                    connection_->reply(*id, json::object{});
            } catch (const std::exception& e) {
                if (id)
                    connection_->reply_error(*id, -32602, e.what());
            }
        }
        connection_->close();
        return End::stopped;
    } catch (const std::exception& e) {
        log()->warn("control connection lost: {}", e.what());
        connection_.reset();
        return End::lost;
    }
}

} // namespace loa::clients
