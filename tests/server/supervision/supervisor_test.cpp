// The supervisor's checks with made-up observations and a manual clock: each kind raised by
// its cause within its threshold, cleared when the cause goes, never twice for one episode;
// and the machine's own probes.
#include <cstdlib>
#include <gtest/gtest.h>

#include "loa/server/supervision/health.hpp"
#include "loa/server/supervision/supervisor.hpp"
#include "process.hpp"

using namespace loa;
using namespace std::chrono_literals;
using server::AlarmKind;
using server::Severity;

namespace {

server::ReceiverView cluster(const std::string& id, bool online, bool seen) {
    server::ReceiverView r;
    r.id = id;
    r.unit = "70-001";
    r.name = "Chợ";
    r.online = online;
    r.seen = seen;
    return r;
}

/// A server whose every observation the test sets.
struct FakeServer {
    std::vector<server::ReceiverView> receivers;
    std::optional<server::DiskSpace> disk = server::DiskSpace{50ULL << 30, 100ULL << 30};
    std::optional<bool> synchronised = true;
    std::optional<std::chrono::system_clock::time_point> expiry;
    std::map<std::string, server::ChannelSound> sound; ///< each cluster's channel
    std::vector<server::ProgramSound> programs;
    std::vector<schedules::AsRunRecord> airings;
    server::PlayedClusters played; ///< what the hub answers for every row
    std::vector<server::PlayedQuery> queries;
    /// Each count noted: the row, the clusters, and the first and last to play (seconds).
    std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>> noted;
    server::BackupState backups; ///< off unless a test turns them on

    server::Observed observed() {
        server::Observed o;
        o.receivers = [this] { return receivers; };
        o.unit_of = [this] {
            std::map<std::string, std::int64_t> units;
            for (const auto& r : receivers)
                units[r.id] = 2;
            return units;
        };
        o.offline_grace = 30s;
        o.disk = [this] { return disk; };
        o.state_dir = "/var/lib/loa";
        o.clock_synchronised = [this] { return synchronised; };
        o.certificate_expiry = [this] { return expiry; };
        o.server_unit = 1;
        o.channel_sound = [this] { return sound; };
        o.programs = [this] { return programs; };
        o.unit_of_code = [](const std::string& code) -> std::optional<std::int64_t> {
            return code == "70-001" ? std::optional<std::int64_t>(2) : std::nullopt;
        };
        o.airings = [this](schedules::Millis) { return airings; };
        o.played = [this](const std::vector<server::PlayedQuery>& q) {
            queries = q;
            return std::vector<server::PlayedClusters>(q.size(), played);
        };
        o.note_played = [this](std::int64_t row, std::int64_t n, schedules::Millis first,
                               schedules::Millis last) {
            auto s = [](schedules::Millis at) {
                return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch())
                    .count();
            };
            noted.emplace_back(row, n, s(first), s(last));
        };
        o.backups = [this] { return backups; };
        o.backup_late_after = 26h;
        return o;
    }
};

class SupervisorTest : public ::testing::Test {
protected:
    std::vector<server::Alarm> active(AlarmKind kind) {
        server::AlarmFilter f;
        f.kind = kind;
        return book.active(f);
    }

    test::TempDir dir{"supervisor"};
    common::ManualClock clock;
    std::vector<std::pair<server::Alarm, server::AlarmEvent>> events;
    server::AlarmBook book{
        dir.file("loa.db"), clock,
        [this](const server::Alarm& a, server::AlarmEvent e) { events.emplace_back(a, e); }};
    FakeServer fake;
    server::Supervisor supervisor{book, fake.observed(), server::SupervisionSettings{}, clock};
};

} // namespace

TEST_F(SupervisorTest, AClusterOfflineIsRaisedOnceAndClearedWhenItIsBack) {
    fake.receivers = {cluster("box-1", true, true), cluster("box-2", false, true)};
    supervisor.check();
    auto offline = active(AlarmKind::cluster_offline);
    ASSERT_EQ(offline.size(), 1U);
    EXPECT_EQ(offline[0].fault.subject, "box-2");
    EXPECT_EQ(offline[0].fault.unit, 2);
    EXPECT_EQ(offline[0].fault.severity, Severity::major);
    EXPECT_NE(offline[0].fault.text_vi.find("box-2 (Chợ) mất kết nối"), std::string::npos);
    for (int i = 0; i < 10; ++i) {
        clock.advance(1s);
        supervisor.check();
    }
    EXPECT_EQ(events.size(), 1U) << "one episode, one alarm";
    fake.receivers[1].online = true;
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::cluster_offline).empty());
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[1].second, server::AlarmEvent::cleared);
    EXPECT_EQ(*events[1].first.cleared_at - events[1].first.raised_at, 10s);
}

TEST_F(SupervisorTest, ClustersNotYetBackAfterARestartCountOnlyOnceTheGraceIsOver) {
    fake.receivers = {cluster("box-1", false, false)};
    supervisor.check();
    clock.advance(29s);
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::cluster_offline).empty());
    clock.advance(1s);
    supervisor.check();
    ASSERT_EQ(active(AlarmKind::cluster_offline).size(), 1U);
    EXPECT_FALSE(
        active(AlarmKind::cluster_offline)[0].fault.figures.at("seen_since_start").as_bool());
    // One provisioned just now has the grace to say its first hello.
    auto fresh = cluster("box-2", false, false);
    fresh.provisioned_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.system_now().time_since_epoch())
            .count();
    fake.receivers.push_back(fresh);
    clock.advance(29s);
    supervisor.check();
    EXPECT_EQ(active(AlarmKind::cluster_offline).size(), 1U);
    clock.advance(1s);
    supervisor.check();
    EXPECT_EQ(active(AlarmKind::cluster_offline).size(), 2U);
}

TEST_F(SupervisorTest, AnOfflineAlarmOutlivesARestartOfTheServerAsOneEpisode) {
    fake.receivers = {cluster("box-1", false, true)};
    supervisor.check();
    ASSERT_EQ(active(AlarmKind::cluster_offline).size(), 1U);
    // The server restarts: nothing is seen yet, and the alarm neither clears nor comes again.
    server::Supervisor restarted(book, fake.observed(), server::SupervisionSettings{}, clock);
    fake.receivers = {cluster("box-1", false, false)};
    for (int i = 0; i < 40; ++i) {
        restarted.check();
        clock.advance(1s);
    }
    EXPECT_EQ(active(AlarmKind::cluster_offline).size(), 1U);
    EXPECT_EQ(events.size(), 1U);
    fake.receivers = {cluster("box-1", true, true)};
    restarted.check();
    EXPECT_TRUE(active(AlarmKind::cluster_offline).empty());
}

TEST_F(SupervisorTest, ALowDiskIsMajorThenCriticalAndClearsWhenSpaceIsFreed) {
    constexpr std::uint64_t kMiB = 1ULL << 20;
    fake.disk = server::DiskSpace{900 * kMiB, 100 * 1024 * kMiB}; // under 1024 MiB and 5 %
    supervisor.check();
    auto low = active(AlarmKind::disk_low);
    ASSERT_EQ(low.size(), 1U);
    EXPECT_EQ(low[0].fault.severity, Severity::major);
    EXPECT_EQ(low[0].fault.unit, 1) << "the server's alarms are the province's";
    EXPECT_EQ(low[0].fault.figures.at("free_mb"), 900);
    // Both thresholds count: 2 GiB free of 100 GiB is under 5 %.
    fake.disk = server::DiskSpace{2048 * kMiB, 100 * 1024 * kMiB};
    supervisor.check();
    EXPECT_EQ(active(AlarmKind::disk_low).size(), 1U);
    EXPECT_EQ(events.size(), 1U);
    fake.disk = server::DiskSpace{10 * 1024 * kMiB, 100 * 1024 * kMiB};
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::disk_low).empty());
    // Nearly nothing left: critical, and graver than before: a new alarm.
    fake.disk = server::DiskSpace{800 * kMiB, 100 * 1024 * kMiB};
    supervisor.check();
    fake.disk = server::DiskSpace{100 * kMiB, 100 * 1024 * kMiB};
    supervisor.check();
    EXPECT_EQ(active(AlarmKind::disk_low)[0].fault.severity, Severity::critical);
    EXPECT_EQ(events.back().second, server::AlarmEvent::raised);
    // Unreadable: no figures, no fault (and the alarm clears rather than lingers).
    fake.disk.reset();
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::disk_low).empty());
}

TEST_F(SupervisorTest, AnUnsynchronisedClockIsRaisedUnlessTheCheckIsOff) {
    fake.synchronised = false;
    supervisor.check();
    EXPECT_EQ(active(AlarmKind::clock_unsynchronised).size(), 1U);
    fake.synchronised = true;
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::clock_unsynchronised).empty());

    server::SupervisionSettings off;
    off.clock_check = false;
    server::Supervisor quiet(book, fake.observed(), off, clock);
    fake.synchronised = false;
    quiet.check();
    EXPECT_TRUE(active(AlarmKind::clock_unsynchronised).empty());
}

TEST_F(SupervisorTest, ACertificateWarnsFourteenDaysAheadAndIsCriticalOnceExpired) {
    fake.expiry = clock.system_now() + std::chrono::days(14) + 1h;
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::certificate_expiring).empty());
    clock.advance(2h);
    supervisor.check();
    auto soon = active(AlarmKind::certificate_expiring);
    ASSERT_EQ(soon.size(), 1U);
    EXPECT_EQ(soon[0].fault.severity, Severity::warning);
    EXPECT_NE(soon[0].fault.text_en.find("expires in 13 days"), std::string::npos)
        << soon[0].fault.text_en;
    clock.advance(std::chrono::days(14));
    supervisor.check();
    supervisor.check();
    // Expired: graver, so a new alarm at its severity (webhooks of critical alarms hear of it).
    auto expired_now = active(AlarmKind::certificate_expiring);
    ASSERT_EQ(expired_now.size(), 1U);
    EXPECT_EQ(expired_now[0].fault.severity, Severity::critical);
    ASSERT_EQ(events.size(), 3U);
    EXPECT_EQ(events[1].second, server::AlarmEvent::cleared);
    EXPECT_EQ(events[2].second, server::AlarmEvent::raised);
    // A new certificate clears it.
    fake.expiry = clock.system_now() + std::chrono::days(90);
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::certificate_expiring).empty());
    auto expired = server::certificate_faults(clock.system_now() - 1h, clock.system_now(),
                                              server::SupervisionSettings{}, 1);
    ASSERT_EQ(expired.size(), 1U);
    EXPECT_EQ(expired[0].severity, Severity::critical);
}

TEST_F(SupervisorTest, AFailedBackupIsMajorUntilOneWorksAndNoneForADayIsLate) {
    auto taken_at = [](std::chrono::system_clock::time_point t) {
        server::Backup b;
        b.name = "loa-" + common::basic_utc(t);
        b.taken_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
        return b;
    };
    fake.backups.enabled = true;
    fake.backups.dir = "/mnt/nas";
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::backup_late).empty()) << "the server has just started";
    fake.backups.last_error = "cannot create /mnt/nas/media: Read-only file system";
    fake.backups.failures = 1;
    supervisor.check();
    auto failed = active(AlarmKind::backup_failed);
    ASSERT_EQ(failed.size(), 1U);
    EXPECT_EQ(failed[0].fault.severity, Severity::major);
    EXPECT_EQ(failed[0].fault.text_en,
              "The backup failed: cannot create /mnt/nas/media: Read-only file system");
    EXPECT_EQ(failed[0].fault.unit, 1) << "the province's";
    clock.advance(26h + 1s);
    supervisor.check();
    auto late = active(AlarmKind::backup_late);
    ASSERT_EQ(late.size(), 1U);
    EXPECT_EQ(late[0].fault.severity, Severity::minor);
    EXPECT_EQ(late[0].fault.text_en, "No backup in /mnt/nas yet");
    // One works: both clear.
    fake.backups.last_error.clear();
    fake.backups.newest = taken_at(clock.system_now());
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::backup_failed).empty());
    EXPECT_TRUE(active(AlarmKind::backup_late).empty());
    clock.advance(27h);
    supervisor.check();
    late = active(AlarmKind::backup_late);
    ASSERT_EQ(late.size(), 1U);
    EXPECT_EQ(late[0].fault.text_en,
              "No backup in the last 27 hours (newest: " + fake.backups.newest->name + ")");
    fake.backups.enabled = false;
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::backup_late).empty()) << "backups turned off";
}

TEST_F(SupervisorTest, ItsThreadChecksUntilStopped) {
    fake.synchronised = false;
    supervisor.start();
    EXPECT_TRUE(test::wait_until([&] { return !active(AlarmKind::clock_unsynchronised).empty(); },
                                 std::chrono::seconds(10)));
    supervisor.stop();
}

TEST(Health, TheProbesReadTheRealMachine) {
    test::TempDir dir("health");
    auto space = server::disk_space(dir.path());
    ASSERT_TRUE(space);
    EXPECT_GT(space->total, 0U);
    EXPECT_LE(space->free, space->total);
    EXPECT_FALSE(server::disk_space(dir.file("missing/folder")));
    EXPECT_TRUE(server::clock_synchronised().has_value());

    // A certificate valid for 5 days, made by the openssl command.
    std::string cert = dir.file("cert.pem");
    std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                          "-days 5 -subj /CN=loa -keyout " +
                          dir.file("key.pem") + " -out " + cert + " 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0);
    auto expiry = server::certificate_expiry(cert);
    ASSERT_TRUE(expiry);
    auto left = *expiry - std::chrono::system_clock::now();
    EXPECT_GT(left, std::chrono::days(5) - 1h);
    EXPECT_LT(left, std::chrono::days(5) + 1h);
    EXPECT_FALSE(server::certificate_expiry(dir.file("key.pem")));
    EXPECT_FALSE(server::certificate_expiry(dir.file("none.pem")));
}

namespace {

/// A cluster that reports every 10 s what it received and played: `sounding` says whether
/// what it played was sound, `loss_percent` how many packets it lost.
struct ReportingCluster {
    server::ReceiverView view;
    bool sounding = true;
    bool receiving = true;
    std::uint64_t loss_percent = 0;
    bool reports_level = true; ///< false: an older receiver, without played_ms and sound_ms
    std::uint64_t played = 0, sound = 0, received = 0, lost = 0;

    void report(std::int64_t now_ms) {
        view.last_seen_ms = now_ms;
        played += 10'000;
        if (sounding)
            sound += 10'000;
        if (receiving) {
            received += 500 - 5 * loss_percent;
            lost += 5 * loss_percent;
        }
        view.status = {{"played_ms", played},
                       {"sound_ms", sound},
                       {"received", received},
                       {"lost", lost},
                       {"level_dbfs", sounding ? -20.0 : -100.0}};
        if (!reports_level) {
            view.status.erase("played_ms");
            view.status.erase("sound_ms");
        }
    }
};

} // namespace

class ProofOfPlayTest : public SupervisorTest {
protected:
    ReportingCluster& add(const std::string& id) {
        clusters.push_back({cluster(id, true, true)});
        return clusters.back();
    }
    /// Runs the checks `checks` times, one every `step`, each cluster reporting every tenth.
    void run(int checks, std::chrono::milliseconds step = 1s) {
        for (int i = 0; i < checks; ++i) {
            if (tick++ % 10 == 0)
                for (auto& c : clusters)
                    c.report(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 clock.system_now().time_since_epoch())
                                 .count());
            fake.receivers.clear();
            for (const auto& c : clusters) {
                fake.receivers.push_back(c.view);
                if (fake.sound.count(c.view.id) == 0)
                    fake.sound[c.view.id] = channel_sounds;
            }
            supervisor.check();
            clock.advance(step);
        }
    }
    std::set<std::string> subjects(AlarmKind kind) {
        std::set<std::string> out;
        for (const auto& a : active(kind))
            out.insert(a.fault.subject);
        return out;
    }
    int raised(AlarmKind kind, const std::string& subject) {
        int n = 0;
        for (const auto& [alarm, event] : events)
            n += alarm.fault.kind == kind && alarm.fault.subject == subject &&
                 event == server::AlarmEvent::raised;
        return n;
    }

    std::deque<ReportingCluster> clusters;
    server::ChannelSound channel_sounds = server::ChannelSound::sounding;
    int tick = 0;
};

TEST_F(ProofOfPlayTest,
       AClusterSilentWhileItsChannelPlaysIsRaisedWithinTheWindowAndClearedBySound) {
    add("plays");
    add("silent").sounding = false;
    auto& muted = add("muted");
    muted.sounding = false;
    muted.view.muted = true;
    auto& quiet = add("turned-down");
    quiet.sounding = false;
    quiet.view.volume = 0;

    run(30); // the window (30 s) is not yet behind the first sample
    EXPECT_TRUE(subjects(AlarmKind::cluster_silent).empty());
    run(2);
    EXPECT_EQ(subjects(AlarmKind::cluster_silent), std::set<std::string>{"silent"});
    auto alarm = active(AlarmKind::cluster_silent).front();
    EXPECT_EQ(alarm.fault.severity, Severity::major);
    EXPECT_EQ(alarm.fault.unit, 2);
    EXPECT_EQ(alarm.fault.figures.at("sound_ms").as_uint64(), 0U);
    EXPECT_GT(alarm.fault.figures.at("played_ms").as_uint64(), 0U);
    EXPECT_TRUE(subjects(AlarmKind::cluster_no_media).empty());
    EXPECT_TRUE(subjects(AlarmKind::cluster_unbidden).empty());

    run(30); // still silent: the same episode
    EXPECT_EQ(raised(AlarmKind::cluster_silent, "silent"), 1);
    clusters[1].sounding = true;
    run(11);
    EXPECT_TRUE(subjects(AlarmKind::cluster_silent).empty());
    EXPECT_EQ(raised(AlarmKind::cluster_silent, "silent"), 1);
}

TEST_F(ProofOfPlayTest, NothingReceivedAndHeavyLossWhileTheChannelPlaysAreFaultsOfTheirOwn) {
    add("fine").loss_percent = 5;
    add("lossy").loss_percent = 30;
    auto& deaf = add("deaf");
    deaf.receiving = false;
    deaf.sounding = false;
    run(32);
    EXPECT_EQ(subjects(AlarmKind::cluster_no_media), std::set<std::string>{"deaf"});
    EXPECT_EQ(subjects(AlarmKind::cluster_lossy), std::set<std::string>{"lossy"});
    EXPECT_TRUE(subjects(AlarmKind::cluster_silent).empty()); // its silence has a cause named
    EXPECT_EQ(active(AlarmKind::cluster_lossy).front().fault.severity, Severity::minor);

    clusters[1].loss_percent = 0;
    clusters[2].receiving = true;
    clusters[2].sounding = true;
    run(41);
    EXPECT_TRUE(subjects(AlarmKind::cluster_no_media).empty());
    EXPECT_TRUE(subjects(AlarmKind::cluster_lossy).empty());
}

TEST_F(ProofOfPlayTest, AClusterThatPlaysWhileItsChannelIsSilentIsRaisedAndOtherAlarmsWait) {
    channel_sounds = server::ChannelSound::off;
    add("hums");
    add("still").sounding = false;
    run(32);
    EXPECT_EQ(subjects(AlarmKind::cluster_unbidden), std::set<std::string>{"hums"});
    EXPECT_TRUE(subjects(AlarmKind::cluster_silent).empty());

    // The channel starts playing: within the window nothing can be judged, the alarm stays.
    fake.sound["hums"] = server::ChannelSound::sounding;
    fake.sound["still"] = server::ChannelSound::sounding;
    run(10);
    EXPECT_EQ(subjects(AlarmKind::cluster_unbidden), std::set<std::string>{"hums"});
    run(22); // a whole window of the channel playing: "hums" plays along, "still" is silent
    EXPECT_TRUE(subjects(AlarmKind::cluster_unbidden).empty());
    EXPECT_EQ(subjects(AlarmKind::cluster_silent), std::set<std::string>{"still"});
}

TEST_F(ProofOfPlayTest, AMutedClusterOwesAnEmergencyAndFailingItIsCritical) {
    auto& muted = add("muted");
    muted.sounding = false;
    muted.view.muted = true;
    auto& failing = add("failing");
    failing.sounding = false;
    failing.view.muted = true;
    failing.view.emergency = true; // told to play the emergency unmuted: it stays silent
    auto& obeying = add("obeying");
    obeying.view.muted = true;
    obeying.view.emergency = true;
    run(32);
    EXPECT_EQ(subjects(AlarmKind::cluster_silent), std::set<std::string>{"failing"});
    auto alarm = active(AlarmKind::cluster_silent).front();
    EXPECT_EQ(alarm.fault.severity, Severity::critical);
    EXPECT_TRUE(alarm.fault.figures.at("emergency").as_bool());
}

TEST_F(ProofOfPlayTest, AnOfflineClusterKeepsItsAlarmsUntilItCanBeJudgedAgain) {
    add("box").sounding = false;
    run(32);
    ASSERT_EQ(subjects(AlarmKind::cluster_silent), std::set<std::string>{"box"});
    clusters[0].view.online = false;
    run(40);
    EXPECT_EQ(subjects(AlarmKind::cluster_silent), std::set<std::string>{"box"});
    EXPECT_EQ(raised(AlarmKind::cluster_silent, "box"), 1);
}

TEST_F(SupervisorTest, DeadAirIsRaisedAfterItsThresholdOnTheProgramsChannelAndClearedBySound) {
    server::ProgramSound program{"entry-7", {"70-001"}, 60s, 19s, -70, true};
    fake.programs = {program};
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::dead_air).empty());
    fake.programs[0].silent_for = 20s;
    supervisor.check();
    auto dead = active(AlarmKind::dead_air);
    ASSERT_EQ(dead.size(), 1U);
    EXPECT_EQ(dead[0].fault.subject, "entry-7");
    EXPECT_EQ(dead[0].fault.unit, 2);
    EXPECT_EQ(dead[0].fault.figures.at("silent_s").as_int64(), 20);
    fake.programs[0].silent_for = 40s;
    supervisor.check();
    EXPECT_EQ(events.size(), 1U);
    fake.programs[0].silent_for = 0s;
    supervisor.check();
    EXPECT_TRUE(active(AlarmKind::dead_air).empty());
    fake.programs.clear(); // off air: nothing to say
    supervisor.check();
    EXPECT_EQ(events.size(), 2U);
}

TEST_F(ProofOfPlayTest, SecondsNoCheckFellInCountAsTheLastSampleSaid) {
    // A pass slower than a second (a province's clusters): some seconds have no sample.
    channel_sounds = server::ChannelSound::off;
    add("hums");
    run(35, 1300ms);
    EXPECT_EQ(subjects(AlarmKind::cluster_unbidden), std::set<std::string>{"hums"});
}

TEST_F(ProofOfPlayTest, ARestartedReceiverWhoseCountersStartAgainIsNoFault) {
    auto& box = add("box");
    run(25);
    // It restarts: its counters start again from a little, and grow as before.
    box.played = 1'000;
    box.sound = 1'000;
    box.received = 50;
    box.lost = 0;
    run(40);
    EXPECT_TRUE(subjects(AlarmKind::cluster_no_media).empty());
    EXPECT_TRUE(subjects(AlarmKind::cluster_silent).empty());
    EXPECT_TRUE(events.empty());
}

TEST_F(ProofOfPlayTest, AReceiverThatDoesNotReportItsPlayedLevelIsNeverJudged) {
    auto& old = add("old");
    old.sounding = false;
    old.reports_level = false;
    run(45);
    EXPECT_TRUE(subjects(AlarmKind::cluster_silent).empty());
    EXPECT_TRUE(events.empty());
}

TEST_F(ProofOfPlayTest, AQuietChannelOrOneWithPausesIsJudgedOnlyWhenItMostlySounds) {
    channel_sounds = server::ChannelSound::quiet; // a program below the dead-air level
    add("hush").sounding = false;
    add("plays-its-hiss"); // what it plays is above the receivers' -60 dBFS
    run(45);
    EXPECT_TRUE(subjects(AlarmKind::cluster_unbidden).empty()) << "quiet is not nothing";
    EXPECT_TRUE(subjects(AlarmKind::cluster_silent).empty()) << "nothing to hear";

    // Speech: sound most seconds, quiet pauses between: judged, and the silent one is raised.
    for (int i = 0; i < 40; ++i) {
        auto state = i % 5 == 4 ? server::ChannelSound::quiet : server::ChannelSound::sounding;
        fake.sound["hush"] = fake.sound["plays-its-hiss"] = state;
        run(1);
    }
    EXPECT_EQ(subjects(AlarmKind::cluster_silent), std::set<std::string>{"hush"});
}

TEST_F(ProofOfPlayTest, LossBetweenHalfTheThresholdAndItKeepsTheAlarmAsItIs) {
    auto& box = add("box");
    box.loss_percent = 30;
    run(32);
    ASSERT_EQ(subjects(AlarmKind::cluster_lossy), std::set<std::string>{"box"});
    box.loss_percent = 15; // between 10 % and 20 %: no new alarm, no clearing
    run(40);
    EXPECT_EQ(subjects(AlarmKind::cluster_lossy), std::set<std::string>{"box"});
    EXPECT_EQ(raised(AlarmKind::cluster_lossy, "box"), 1);
    box.loss_percent = 5;
    run(40);
    EXPECT_TRUE(subjects(AlarmKind::cluster_lossy).empty());
}

TEST_F(SupervisorTest, DeadAirOutlivesARestartAsOneEpisodeAndABlipDoesNotEndIt) {
    fake.programs = {{"o5", {"70-001", "70-002"}, 60s, 30s, -70, true}};
    supervisor.check();
    ASSERT_EQ(active(AlarmKind::dead_air).size(), 1U);
    EXPECT_EQ(active(AlarmKind::dead_air)[0].fault.unit, 1) << "two channels: the province's";
    // The server restarts: the airing is back on air, silent since, not yet for 20 s.
    fake.programs = {{"o5", {"70-001", "70-002"}, 3s, 3s, -70, true}};
    supervisor.check();
    EXPECT_EQ(active(AlarmKind::dead_air).size(), 1U);
    EXPECT_EQ(events.size(), 1U) << "neither cleared nor raised again";
}

TEST_F(SupervisorTest, EachRecentAiringCountsTheClustersThatPlayedItAndTheCountNeverShrinks) {
    auto now_s =
        std::chrono::duration_cast<std::chrono::seconds>(clock.system_now().time_since_epoch())
            .count();
    schedules::AsRunRecord row;
    row.id = 7;
    row.channel = "70-001";
    row.started_at = schedules::Millis(std::chrono::seconds(now_s - 60));
    fake.airings = {row};
    fake.played = {{"a", now_s - 58}, {"b", now_s - 50}};
    supervisor.check();
    ASSERT_EQ(fake.queries.size(), 1U);
    EXPECT_EQ(fake.queries[0].from_s, now_s - 60 + 2) << "after the switch's first seconds";
    EXPECT_EQ(fake.queries[0].to_s, now_s) << "still on air: up to now";
    ASSERT_EQ(fake.noted.size(), 1U);
    using Noted = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
    EXPECT_EQ(fake.noted[0], (Noted(7, 2, now_s - 58, now_s - 50)))
        << "the first and the last cluster to play it";
    // Counted every 5 s; a cluster's seconds forgotten by the hub still count.
    fake.airings[0].played = 2;
    fake.airings[0].first_played = schedules::Millis(std::chrono::seconds(now_s - 58));
    fake.airings[0].last_played = schedules::Millis(std::chrono::seconds(now_s - 50));
    fake.played = {{"c", now_s - 40}};
    clock.advance(std::chrono::seconds(1));
    supervisor.check();
    EXPECT_EQ(fake.noted.size(), 1U) << "not yet: every 5 s";
    clock.advance(std::chrono::seconds(5));
    supervisor.check();
    ASSERT_EQ(fake.noted.size(), 2U);
    EXPECT_EQ(fake.noted[1], (Noted(7, 3, now_s - 58, now_s - 40)));
}
