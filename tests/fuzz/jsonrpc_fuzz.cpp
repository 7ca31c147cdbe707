/// @file
/// libFuzzer target: arbitrary bytes through handle_jsonrpc into a real ScheduleApi. Every input
/// starts from the same seeded store (a province, two communes, a cluster, two programs and an
/// entry), so a crash file reproduces on its own; a batch can still build state of its own.
/// Traps when a response breaks JSON-RPC 2.0's shape; the sanitizers catch the rest. Only
/// methods that touch nothing but the store are reachable: nothing renders speech, decodes
/// media or opens a file the input names.

#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "loa/common/clock.hpp"
#include "loa/common/logging.hpp"
#include "loa/schedules/store.hpp"
#include "loa/server/api/method_table.hpp"
#include "loa/server/api/rpc.hpp"
#include "loa/server/app/settings.hpp"
#include "loa/server/schedule/program_store.hpp"
#include "loa/server/schedule/runner.hpp"
#include "loa/server/schedule/schedule_api.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using loa::server::Params;
using loa::server::RpcError;
namespace rpc_code = loa::server::rpc_code;

/// Methods that only read or write the store.
const std::set<std::string, std::less<>> kStoreMethods{
    "units.list",      "units.merge",    "clusters.list",  "programs.list",  "programs.create",
    "programs.decide", "entries.list",   "entries.create", "entries.delete", "schedule.export",
    "schedule.import", "overrides.list", "as_run.list",    "stop_all.start", "stop_all.release",
    "emergency.start", "emergency.stop", "status"};

/// Whether a call would make a program from a source: a text is rendered to speech, a path is
/// decoded to its end (and could name any file on the machine).
bool makes_media(const std::string& method, const Params& p) {
    if (method == "programs.create")
        return p.has("text") || p.has("path");
    if (method == "emergency.start")
        return p.has("text") || p.has("path") || p.has("url") || p.has("device");
    return false;
}

loa::server::UnitSettings unit_settings(std::string code, std::string name) {
    loa::server::UnitSettings u;
    u.code = std::move(code);
    u.name = std::move(name);
    return u;
}

/// A province with two communes, keeping its state in `dir`.
loa::server::Settings province_settings(const std::string& dir) {
    loa::server::Settings settings;
    settings.state_dir = dir;
    loa::server::ProvinceSettings province;
    province.province = unit_settings("70", "Bình Phước");
    province.communes = {unit_settings("70-001", "Xã Tân Lập"),
                         unit_settings("70-002", "Xã Tân Hòa")};
    settings.province = province;
    // The seed's relay and any the input names are never fetched: no DNS look-up either.
    settings.allow_private_relays = true;
    settings.live_inputs = {{"studio", "hw:9,0", "Studio"}};
    return settings;
}

/// The API on a store that is put back to its seeded state before every input.
class Harness {
public:
    /// Seeds the store under `root` (a folder of its own, removed with the harness).
    explicit Harness(std::string root)
        : root_(std::move(root)), seeded_(province_settings(root_ + "/seeded")),
          settings_(province_settings(root_ + "/store")), media_(loa::server::media_dir(settings_)),
          view_{[] {
                    return std::map<std::string, std::string>{{"70-001", "entry-1@loa"}};
                },
                [] {
                    loa::server::ReceiverStatus r;
                    r.id = "rx-1";
                    return std::vector{r};
                },
                nullptr, nullptr} {
        seed();
        restore();
        commune_ = api_->scope_of(api_->unit_ids({"70-001"}));
    }
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;
    ~Harness() {
        api_.reset();
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    /// Answers `input` on the seeded store, province-wide or for a manager of 70-001.
    std::string run(std::string_view input, bool scoped) {
        if (written())
            restore();
        return loa::server::handle_jsonrpc(input, [this, scoped](const std::string& method,
                                                                 const Params& p) {
            if (!kStoreMethods.contains(method) || makes_media(method, p))
                throw RpcError(rpc_code::kMethodNotFound,
                               "no method \"" + method + "\" with these params in the fuzzer");
            return scoped ? loa::server::run_schedule_method(*api_, method, p, "manager", commune_)
                          : loa::server::run_schedule_method(*api_, method, p, "fuzzer");
        });
    }

private:
    /// Builds the seeded store through the API itself, then closes it (which folds SQLite's
    /// write-ahead log into the database file, the one file restore() copies).
    void seed() {
        fs::create_directories(seeded_.state_dir);
        std::string db = loa::server::database_file(seeded_);
        {
            loa::schedules::ScheduleStore store(db);
            loa::server::seed_units(store, seeded_);
        }
        loa::server::ScheduleApi api(seeded_, media_, clock_, view_, [] {});
        auto commune = api.unit_ids({"70-001"}).front();
        api.put_cluster({"rx-1", commune, "Cụm chợ"});
        auto call = [&api](const char* method, const json::object& params) {
            loa::server::run_schedule_method(api, method, Params(params), "seed");
        };
        call("programs.create",
             {{"unit", "70"}, {"title", "Đài tỉnh"}, {"kind", "relay"}, {"url", "http://x/live"}});
        call("programs.decide", {{"id", 1}, {"approval", "approved"}});
        call("programs.create", {{"unit", "70-001"}, {"title", "Loa xã"}, {"kind", "live"}});
        call("entries.create", {{"program", 1},
                                {"units", json::array{"70-001"}},
                                {"start", "2027-01-16T06:30:00"},
                                {"rule", "FREQ=DAILY"},
                                {"duration_s", 900}});
    }

    /// Whether anything was written since restore(): every write goes to the write-ahead log
    /// first (and stays there until the log is 1000 pages long, when it is copied back but
    /// not truncated), so an empty log means an untouched store. Most inputs write nothing,
    /// and copying the store back costs more than answering them.
    bool written() const {
        std::error_code ec;
        auto size = fs::file_size(loa::server::database_file(settings_) + "-wal", ec);
        return !ec && size > 0;
    }

    void restore() {
        api_.reset();
        std::string db = loa::server::database_file(settings_);
        std::string seeded_db = loa::server::database_file(seeded_);
        if (fs::exists(seeded_db + "-wal"))
            throw std::runtime_error("the seeded store still has a write-ahead log");
        fs::create_directories(settings_.state_dir);
        fs::copy_file(seeded_db, db, fs::copy_options::overwrite_existing);
        fs::remove(db + "-wal");
        fs::remove(db + "-shm");
        api_ = std::make_unique<loa::server::ScheduleApi>(settings_, media_, clock_, view_, [] {});
    }

    std::string root_;
    loa::server::Settings seeded_;
    loa::server::Settings settings_;
    loa::common::ManualClock clock_;
    loa::server::ProgramStore media_;
    loa::server::ServerView view_;
    std::unique_ptr<loa::server::ScheduleApi> api_;
    loa::server::Scope commune_;
};

std::unique_ptr<Harness> g_harness;
bool g_echo = false; ///< LOA_FUZZ_ECHO=1: print every input and its response

/// A broken invariant is a bug in the JSON-RPC layer: say which, and stop for libFuzzer.
void require(bool holds, const char* invariant, std::string_view response) {
    if (holds)
        return;
    std::fprintf(stderr, "jsonrpc_fuzz: invariant broken: %s\nresponse: %.*s\n", invariant,
                 static_cast<int>(response.size()), response.data());
    __builtin_trap();
}

/// One response object: "jsonrpc": "2.0", an "id", and exactly one of a result or an error
/// with an integer code and a string message.
void check_response(const json::value& one, std::string_view text) {
    const json::object* r = one.if_object();
    require(r != nullptr, "every response is an object", text);
    auto version = r->if_contains("jsonrpc");
    require(version != nullptr && version->is_string() && version->as_string() == "2.0",
            "every response has \"jsonrpc\": \"2.0\"", text);
    require(r->contains("id"), "every response has an \"id\"", text);
    require(r->contains("result") != r->contains("error"),
            "every response has exactly one of result and error", text);
    if (auto error = r->if_contains("error")) {
        const json::object* e = error->if_object();
        require(e != nullptr && e->contains("code") && e->at("code").is_int64() &&
                    e->contains("message") && e->at("message").is_string(),
                "an error has an integer code and a string message", text);
    }
}

/// Whether a request (an element of a batch, or the whole text) must be answered: anything but
/// an object without an "id" (a notification, answered only when it is malformed).
bool must_answer(const json::value& request) {
    const json::object* r = request.if_object();
    return r == nullptr || r->contains("id");
}

void check(std::string_view input, std::string_view text) {
    boost::system::error_code ec;
    json::value request = json::parse(input, ec);
    if (text.empty()) {
        require(!ec, "invalid JSON is answered", text);
        require(!must_answer(request) || request.is_array(), "a request with an id is answered",
                text);
        if (const json::array* batch = request.if_array()) {
            require(!batch->empty(), "an empty batch is answered", text);
            for (const auto& one : *batch)
                require(!must_answer(one), "a batch with a request is answered", text);
        }
        return;
    }
    json::value response = json::parse(text, ec);
    require(!ec, "the response parses as JSON", text);
    if (const json::array* batch = response.if_array()) {
        require(!batch->empty(), "a batch response is not empty", text);
        const json::array* requests = request.if_array();
        require(requests != nullptr, "a batch response answers a batch", text);
        std::size_t answered = 0;
        for (const auto& one : *requests)
            answered += must_answer(one) ? 1 : 0;
        require(batch->size() <= requests->size() && batch->size() >= answered,
                "a batch response has one response per request with an id", text);
        for (const auto& one : *batch)
            check_response(one, text);
        return;
    }
    require(response.is_object(), "the response is an object or an array", text);
    check_response(response, text);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    // An exception escaping a method is answered as an internal error and logged; the log is
    // noise here, the response is what is checked.
    loa::common::init_logging("off");
    std::string root = (fs::temp_directory_path() / "loa-fuzz-XXXXXX").string();
    if (mkdtemp(root.data()) == nullptr) {
        std::perror("jsonrpc_fuzz: mkdtemp");
        std::abort();
    }
    g_harness = std::make_unique<Harness>(root);
    g_echo = std::getenv("LOA_FUZZ_ECHO") != nullptr;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    // Odd-sized inputs act for a commune's manager: one trailing space moves an input between
    // the province's scope and a commune's, so mutations reach both.
    std::string text = g_harness->run(input, size % 2 == 1);
    if (g_echo)
        std::fprintf(stderr, "-> %.*s\n<- %s\n", static_cast<int>(input.size()), input.data(),
                     text.c_str());
    check(input, text);
    return 0;
}
