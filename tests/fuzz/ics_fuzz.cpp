/// @file
/// libFuzzer target: schedules::import_ics on arbitrary text, into a real ScheduleStore seeded
/// with a province (70), two communes (70-001, 70-002), a cluster of 70-001 (rx-1), an approved
/// program (#1) and a draft one, and a daily entry of 70-002 at 06:30 (something to conflict
/// with). Even-sized inputs import for the province, odd-sized ones for commune 70-001. Traps
/// when:
/// - a failed import leaves the store's entries other than they were (all or none);
/// - a successful one returns no ids, or ids that are not exactly the entries it added, or
///   entries with targets outside the importing unit and its communes;
/// - the unit's schedule then does not export, or its export, imported again in place of the
///   entries it came from, is refused or reads back as other entries (what Loa writes, Loa
///   reads).
/// The store is put back to its seeded state after every input.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "loa/common/logging.hpp"
#include "loa/schedules/ics.hpp"
#include "loa/schedules/store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace loa::schedules;
using loa::fuzz::require;

constexpr const char* kTarget = "ics_fuzz";
/// 2027-01-01T00:00:00Z: the seeds' entries are in the validation window after it.
const TimePoint kNow = std::chrono::sys_days(std::chrono::year(2027) / 1 / 1);

/// Everything an entry is, but its id, so that a round trip can be compared.
std::string describe(const Entry& e) {
    std::string out = std::to_string(e.program) + " " + to_string(e.priority) + " |";
    for (auto u : e.units)
        out += " " + std::to_string(u);
    out += " |";
    for (const auto& r : e.receivers)
        out += " " + r;
    out += " | " + e.when.start_local + " " + e.when.time_zone + " [" + e.when.rule + "]";
    for (const auto& x : e.when.exceptions)
        out += " " + x;
    return out + " | " + std::to_string(e.duration.count());
}

Unit unit_of(std::string code, std::string name, std::optional<std::int64_t> parent) {
    Unit u;
    u.code = std::move(code);
    u.name = std::move(name);
    u.parent = parent;
    return u;
}

class Harness {
public:
    explicit Harness(const std::string& path) : store_(path) {
        province_ = *store_.add_unit(unit_of("70", "Bình Phước", std::nullopt));
        commune_ = *store_.add_unit(unit_of("70-001", "Xã Tân Lập", province_));
        auto other = *store_.add_unit(unit_of("70-002", "Xã Tân Hòa", province_));
        require(static_cast<bool>(store_.put_cluster({"rx-1", commune_, "Cụm chợ"})), kTarget,
                "the seed cluster is saved");
        Program news;
        news.unit = province_;
        news.kind = ProgramKind::relay;
        news.title = "Bản tin sáng";
        news.source = "http://x/live";
        news.duration = std::chrono::minutes(30);
        auto program = *store_.add_program(news);
        require(static_cast<bool>(store_.decide(program, Approval::approved, "seed")), kTarget,
                "the seed program is approved");
        news.title = "Nháp";
        require(static_cast<bool>(store_.add_program(news)), kTarget, "the draft is saved");
        Entry daily;
        daily.program = program;
        daily.units = {other};
        daily.when = {"2027-01-02T06:30:00", kDefaultTimeZone, "FREQ=DAILY", {}};
        daily.duration = std::chrono::minutes(15);
        require(static_cast<bool>(store_.add_entry(daily, kNow)), kTarget,
                "the seed entry is saved");
        seeded_ = entries();
        for (const auto& u : *store_.units())
            if (u.id == province_ || u.parent == province_)
                province_scope_.insert(u.id);
    }

    ScheduleStore& store() { return store_; }

    void run(std::string_view text, bool commune) {
        std::int64_t unit = commune ? commune_ : province_;
        auto imported = import_ics(store_, unit, text, kNow);
        auto after = entries();
        if (!imported) {
            require(!imported.error().message.empty(), kTarget, "a refusal says why");
            require(after == seeded_, kTarget, "a refused import leaves the entries as they were");
            return;
        }
        require(!imported->empty(), kTarget, "a successful import adds entries");
        std::vector<Entry> added = added_by(*imported);
        std::set<std::int64_t> scope{unit};
        if (!commune)
            scope = province_scope_;
        for (const auto& e : added)
            for (auto u : e.units)
                require(scope.contains(u), kTarget, "an import targets only its unit's reach");
        round_trip(unit);
        reset();
    }

private:
    std::vector<std::string> entries() {
        auto all = store_.entries();
        require(static_cast<bool>(all), kTarget, "the entries can be listed");
        std::vector<std::string> out;
        for (const auto& e : *all)
            out.push_back(std::to_string(e.id) + ": " + describe(e));
        return out;
    }

    /// The entries a successful import added: every id it returned is listed, and nothing
    /// else changed.
    std::vector<Entry> added_by(const std::vector<std::int64_t>& ids) {
        std::set<std::int64_t> returned(ids.begin(), ids.end());
        require(returned.size() == ids.size(), kTarget, "an import returns each id once");
        std::vector<Entry> added;
        std::vector<std::string> others;
        for (const auto& e : *store_.entries()) {
            if (returned.contains(e.id))
                added.push_back(e);
            else
                others.push_back(std::to_string(e.id) + ": " + describe(e));
        }
        require(added.size() == ids.size(), kTarget, "the store lists every entry imported");
        require(others == seeded_, kTarget, "an import changes no entry it did not add");
        return added;
    }

    /// Exports the unit's schedule, removes what the import added and imports the export: the
    /// entries that were exported come back the same.
    void round_trip(std::int64_t unit) {
        auto text = export_ics(store_, unit);
        require(static_cast<bool>(text), kTarget, "a schedule that was imported exports");
        std::vector<std::string> exported;
        for (const auto& e : *store_.entries())
            if (text->find("UID:entry-" + std::to_string(e.id) + "@loa\r\n") != std::string::npos)
                exported.push_back(describe(e));
        reset();
        // The seeded entry of 70-002 is not exported with 70 or 70-001: it stays, and the
        // entries it did not refuse before it does not refuse now.
        auto again = import_ics(store_, unit, *text, kNow);
        if (exported.empty()) {
            require(!again, kTarget, "an export without events imports nothing");
            return;
        }
        if (!again)
            std::fprintf(stderr, "ics_fuzz: the export does not import again: %s\n%s\n",
                         again.error().message.c_str(), text->c_str());
        require(static_cast<bool>(again), kTarget, "an export imports again");
        std::vector<std::string> back;
        for (const auto& e : added_by(*again))
            back.push_back(describe(e));
        if (back != exported)
            std::fprintf(stderr, "ics_fuzz: exported\n%s\n", text->c_str());
        require(back == exported, kTarget, "an export imports back to the same entries");
    }

    /// Removes every entry but the seeded one.
    void reset() {
        for (const auto& e : *store_.entries())
            if (std::none_of(seeded_.begin(), seeded_.end(), [&](const std::string& s) {
                    return s.rfind(std::to_string(e.id) + ": ", 0) == 0;
                }))
                require(static_cast<bool>(store_.remove_entry(e.id)), kTarget,
                        "an entry is removed");
    }

    ScheduleStore store_;
    std::int64_t province_ = 0, commune_ = 0;
    std::set<std::int64_t> province_scope_;
    std::vector<std::string> seeded_;
};

std::unique_ptr<Harness> g_harness;
fs::path g_root;

// ---- seeds ----

std::string calendar(const std::vector<std::vector<std::string>>& events) {
    std::string out = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Test//EN\r\n";
    for (const auto& lines : events) {
        out += "BEGIN:VEVENT\r\nDTSTAMP:20261120T000000Z\r\n";
        for (const auto& line : lines)
            out += line + "\r\n";
        out += "END:VEVENT\r\n";
    }
    return out + "END:VCALENDAR\r\n";
}

/// Writes a seed for the province (an even size) or for commune 70-001 (odd): a trailing line
/// end is added if the size says otherwise.
void write_seed(const fs::path& dir, const std::string& name, std::string text, bool commune) {
    if (text.size() % 2 != (commune ? 1U : 0U))
        text += "\n";
    loa::fuzz::write_seed(dir, name, text);
}

void write_seeds(const fs::path& dir, ScheduleStore& store) {
    auto province = store.unit_by_code("70")->id, commune = store.unit_by_code("70-001")->id;
    // What Loa writes: the province's schedule with a rule, exceptions, a cluster and a class.
    Entry e;
    e.program = 1;
    e.priority = PriorityClass::priority;
    e.units = {province};
    e.receivers = {"rx-1"};
    e.when = {"2027-01-04T17:00:00",
              kDefaultTimeZone,
              "FREQ=WEEKLY;WKST=MO;BYDAY=MO,WE,FR;UNTIL=20270301T000000Z",
              {"2027-01-06T17:00:00", "2027-01-08T17:00:00"}};
    e.duration = std::chrono::minutes(20);
    auto id = store.add_entry(e, kNow);
    Entry once;
    once.program = 1;
    once.priority = PriorityClass::emergency;
    once.units = {commune};
    once.when = {"2027-01-10T23:15:00", "Europe/Berlin", "", {}};
    once.duration = std::chrono::seconds(90);
    auto id2 = store.add_entry(once, kNow);
    if (!id || !id2)
        std::abort();
    write_seed(dir, "export_province.ics", *export_ics(store, province), false);
    write_seed(dir, "export_commune.ics", *export_ics(store, commune), true);
    if (!store.remove_entry(*id) || !store.remove_entry(*id2))
        std::abort();

    write_seed(dir, "utc_dtend.ics",
               calendar({{"UID:a@x", "SUMMARY:Tin", "X-LOA-PROGRAM:1", "DTSTART:20270105T003000Z",
                          "DTEND:20270105T004500Z", "RRULE:FREQ=DAILY;COUNT=5"}}),
               false);
    write_seed(dir, "zones_exdate.ics",
               calendar({{"UID:b@x", "X-LOA-PROGRAM:1", "X-LOA-UNITS:70-001,70",
                          "X-LOA-PRIORITY:normal", "DTSTART;TZID=Europe/Paris:20270105T020000",
                          "EXDATE;TZID=Europe/Paris:20270107T020000", "DURATION:PT10M",
                          "RRULE:FREQ=DAILY;INTERVAL=2;BYHOUR=2"}}),
               false);
    write_seed(dir, "folded_lowercase.ics",
               "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nuid:c@x\r\nx-loa-program:1\r\n"
               "dtstart;tzid=Asia/Ho_Chi_Minh:20270106T\r\n 120000\r\nduration:PT5M\r\nrrule:FR"
               "EQ=WEEKLY;BY\r\n\tDAY=WE\r\nx-loa-clusters:rx-1\r\nEND:VEVENT\r\nEND:VCALENDAR\n",
               true);
    write_seed(
        dir, "refused.ics",
        calendar({{"UID:d@x", "X-LOA-PROGRAM:1", "DTSTART;VALUE=DATE:20270105", "DURATION:PT10M"},
                  {"UID:e@x", "X-LOA-PROGRAM:2", "DTSTART:20270105T120000", "DURATION:PT10M",
                   "RRULE:FREQ=DAILY", "RRULE:FREQ=WEEKLY", "RDATE:20270106T120000"},
                  {"UID:f@x", "X-LOA-PROGRAM:x",
                   "DTSTART;TZID=Mars/Olympus:20270105T1200"
                   "00"}}),
        false);
    write_seed(
        dir, "conflict_quiet.ics",
        calendar({{"UID:g@x", "X-LOA-PROGRAM:1", "X-LOA-UNITS:70",
                   "DTSTART;TZID=Asia/Ho_Chi_Minh:20270103T063500", "DURATION:PT5M"},
                  {"UID:h@x", "X-LOA-PROGRAM:1", "DTSTART:20270103T230000", "DURATION:PT1H"}}),
        false);
    write_seed(
        dir, "second_fails.ics",
        calendar({{"UID:i@x", "X-LOA-PROGRAM:1", "DTSTART:20270104T090000", "DURATION:PT15M"},
                  {"UID:j@x", "X-LOA-PROGRAM:1", "X-LOA-UNITS:70-002", "DTSTART:20270104T100000",
                   "DURATION:PT15M"}}),
        true);
    write_seed(dir, "not_a_calendar.ics", "BEGIN:VEVENT\nEND:VEVENT\n", false);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    loa::common::init_logging("off");
    std::string root = (fs::temp_directory_path() / "loa-fuzz-ics-XXXXXX").string();
    if (mkdtemp(root.data()) == nullptr) {
        std::perror("ics_fuzz: mkdtemp");
        std::abort();
    }
    g_root = root;
    std::atexit([] {
        g_harness.reset();
        std::error_code ec;
        fs::remove_all(g_root, ec);
    });
    g_harness = std::make_unique<Harness>(root + "/schedule.db");
    if (auto dir = loa::fuzz::seed_folder()) {
        write_seeds(*dir, g_harness->store());
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    g_harness->run(std::string_view(reinterpret_cast<const char*>(data), size), size % 2 == 1);
    return 0;
}
