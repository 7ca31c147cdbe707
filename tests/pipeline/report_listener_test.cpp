#include <arpa/inet.h>
#include <array>
#include <gtest/gtest.h>

#include "keys.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/secret.hpp"
#include "loa/pipeline/report_listener.hpp"
#include "loa/pipeline/rtcp.hpp"

using namespace loa::pipeline;

namespace {

constexpr auto kProfile = SrtpProfile::aes_cm_128_hmac_sha1_80;

std::vector<std::uint8_t> random_key() {
    return loa::test::random_key(srtp_master_length(kProfile));
}

sockaddr_in from(const char* ip, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

/// A receiver's side of the reports: its key and its current start's SSRC.
struct FakeReceiver {
    std::string id;
    std::vector<std::uint8_t> key;
    std::uint32_t ssrc;
    SrtpSession session;

    FakeReceiver(std::string id_, std::vector<std::uint8_t> key_, std::uint32_t ssrc_,
                 SrtpProfile profile = kProfile)
        : id(std::move(id_)), key(std::move(key_)), ssrc(ssrc_),
          session(std::move(SrtpSession::outbound(profile, key, ssrc)).value()) {}

    std::vector<std::uint8_t> report(std::uint8_t fraction_lost = 0) {
        std::array<std::uint8_t, kMaxReceiverReportSize + kSrtpMaxTrailer> buf{};
        ReceiverReport rr{ssrc, id, ReceptionReport{1, fraction_lost, 4, 100, 96}};
        std::size_t len = write_receiver_report(buf, rr);
        EXPECT_TRUE(session.protect_rtcp(buf.data(), len, buf.size()));
        return {buf.begin(), buf.begin() + static_cast<long>(len)};
    }
};

class ReportListenerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(
            listener.add_receiver(ReceiverSpec{"r1", 0, kProfile, key, std::nullopt}, &link));
    }
    void deliver(std::vector<std::uint8_t> packet, const sockaddr_in& source) {
        listener.handle(packet.data(), packet.size(), source);
    }
    std::string address() const { return Endpoint::from_packed(link.address.load()).to_string(); }

    loa::common::ManualClock clock;
    ReportListener listener{-1, clock};
    std::vector<std::uint8_t> key = random_key();
    ReceiverLink link;
};

} // namespace

TEST_F(ReportListenerTest, AuthenticatedReportLatchesAddressAndFigures) {
    FakeReceiver r("r1", key, 1000);
    deliver(r.report(64), from("203.0.113.7", 40000));
    EXPECT_EQ(address(), "203.0.113.7:40000");
    EXPECT_EQ(link.fraction_lost.load(), 64U);
    EXPECT_EQ(link.cumulative_lost.load(), 4);
    EXPECT_EQ(link.jitter.load(), 96U);
    EXPECT_EQ(listener.stats().accepted, 1U);
}

TEST_F(ReportListenerTest, ForgedReportNeverMovesTheAddress) {
    FakeReceiver genuine("r1", key, 1000);
    deliver(genuine.report(), from("203.0.113.7", 40000));
    FakeReceiver forger("r1", random_key(), 1001); // right name, wrong key
    deliver(forger.report(), from("198.51.100.66", 5555));
    EXPECT_EQ(address(), "203.0.113.7:40000");
    EXPECT_EQ(listener.stats().rejected, 1U);
}

TEST_F(ReportListenerTest, ReplayedReportFromAnotherAddressIsRejected) {
    FakeReceiver r("r1", key, 1000);
    auto packet = r.report();
    deliver(packet, from("203.0.113.7", 40000));
    deliver(packet, from("198.51.100.66", 5555)); // captured and replayed
    EXPECT_EQ(address(), "203.0.113.7:40000");
    EXPECT_EQ(listener.stats().rejected, 1U);
}

TEST_F(ReportListenerTest, ReportFromAnOlderStartIsRefusedANewerOneFollowed) {
    FakeReceiver old_start("r1", key, 1000);
    auto old_packet = old_start.report();
    FakeReceiver new_start("r1", key, 1001); // the receiver restarted behind a new NAT port
    deliver(new_start.report(), from("203.0.113.7", 40001));
    deliver(old_packet, from("198.51.100.66", 5555));
    EXPECT_EQ(address(), "203.0.113.7:40001");
    EXPECT_EQ(listener.stats().stale_ssrc, 1U);
    FakeReceiver newer("r1", key, 1002);
    deliver(newer.report(), from("203.0.113.7", 40002));
    EXPECT_EQ(address(), "203.0.113.7:40002");
}

TEST_F(ReportListenerTest, UnknownAndMalformedPacketsAreCounted) {
    FakeReceiver stranger("nobody", key, 5);
    deliver(stranger.report(), from("203.0.113.7", 1));
    deliver({0x80, 0xc9, 0x00}, from("203.0.113.7", 1));
    EXPECT_FALSE(Endpoint::from_packed(link.address.load()).known());
    EXPECT_EQ(listener.stats().unknown_receiver, 1U);
    EXPECT_EQ(listener.stats().malformed, 1U);
}

TEST_F(ReportListenerTest, AfterARekeyTheOldKeyStopsOnceTheReceiverReportsUnderTheNewOne) {
    FakeReceiver genuine("r1", key, 1000);
    FakeReceiver thief("r1", key, 1000); // a copy of the old key, reporting from elsewhere
    auto new_key = random_key();
    ASSERT_TRUE(listener.rekey_receiver("r1", new_key));
    // While the receiver switches, a report under the old key still counts...
    deliver(genuine.report(), from("203.0.113.7", 40000));
    EXPECT_EQ(listener.stats().accepted, 1U);
    // ...until its first report under the new one: from then on the old key moves nothing.
    FakeReceiver switched("r1", new_key, 1000);
    deliver(switched.report(), from("203.0.113.7", 40000));
    EXPECT_EQ(listener.stats().accepted, 2U);
    thief.report(); // its index moves past the one the genuine receiver used
    deliver(thief.report(), from("198.51.100.66", 5555));
    EXPECT_EQ(address(), "203.0.113.7:40000");
    EXPECT_EQ(listener.stats().rejected, 1U);
}

TEST_F(ReportListenerTest, AfterARekeyTheOldKeyEndsWithItsGraceEvenWithoutReports) {
    FakeReceiver thief("r1", key, 1000);
    ASSERT_TRUE(listener.rekey_receiver("r1", random_key()));
    clock.advance(kPreviousKeyGrace - std::chrono::seconds(1));
    listener.expire();
    clock.advance(std::chrono::seconds(1));
    listener.expire();
    deliver(thief.report(), from("198.51.100.66", 5555));
    EXPECT_FALSE(Endpoint::from_packed(link.address.load()).known());
    EXPECT_EQ(listener.stats().rejected, 1U);
}

TEST_F(ReportListenerTest, AnAddressWithoutReportsIsForgottenAndComesBackWithTheNextReport) {
    FakeReceiver r("r1", key, 1000);
    deliver(r.report(), from("203.0.113.7", 40000));
    clock.advance(kDefaultLatchLifetime - std::chrono::seconds(1));
    listener.expire();
    EXPECT_EQ(address(), "203.0.113.7:40000");
    clock.advance(std::chrono::seconds(1));
    listener.expire();
    EXPECT_FALSE(Endpoint::from_packed(link.address.load()).known());
    EXPECT_EQ(listener.stats().expired, 1U);
    listener.expire(); // forgotten once, counted once
    EXPECT_EQ(listener.stats().expired, 1U);
    deliver(r.report(), from("203.0.113.8", 40001));
    EXPECT_EQ(address(), "203.0.113.8:40001");
}

TEST(ReportListenerFixed, AFixedAddressComesBackWhenTheLatchedOneExpires) {
    loa::common::ManualClock clock;
    ReportListener listener(-1, clock, std::chrono::seconds(30));
    auto key = random_key();
    auto fixed = *Endpoint::parse("192.0.2.10:5004");
    ReceiverLink link;
    link.address.store(fixed.packed());
    ASSERT_TRUE(listener.add_receiver(ReceiverSpec{"r1", 0, kProfile, key, fixed}, &link));
    FakeReceiver r("r1", key, 1000);
    auto packet = r.report();
    listener.handle(packet.data(), packet.size(), from("203.0.113.7", 40000));
    EXPECT_EQ(Endpoint::from_packed(link.address.load()).to_string(), "203.0.113.7:40000");
    clock.advance(std::chrono::seconds(30));
    listener.expire();
    EXPECT_EQ(Endpoint::from_packed(link.address.load()).to_string(), "192.0.2.10:5004");
}

class ReportFloor : public ::testing::TestWithParam<SrtpProfile> {};

TEST_P(ReportFloor, AfterARestartReportsAtOrBeforeTheSavedPositionAreReplays) {
    SrtpProfile profile = GetParam();
    auto key = loa::test::random_key(srtp_master_length(profile));
    loa::common::ManualClock clock;
    FakeReceiver r("r1", key, 1000, profile);
    auto p1 = r.report(), p2 = r.report(), p3 = r.report();

    // Before the restart: two reports accepted; their position is what the server saves.
    ReceiverLink before;
    ReportListener first(-1, clock);
    ASSERT_TRUE(first.add_receiver(ReceiverSpec{"r1", 0, profile, key, std::nullopt}, &before));
    first.handle(p1.data(), p1.size(), from("203.0.113.7", 40000));
    first.handle(p2.data(), p2.size(), from("203.0.113.7", 40000));
    auto saved = ReportPosition::unpack(before.report_position.load());
    EXPECT_EQ(saved.ssrc, 1000U);

    // After the restart, with that position as the floor.
    ReceiverLink after;
    ReportListener second(-1, clock);
    ASSERT_TRUE(
        second.add_receiver(ReceiverSpec{"r1", 0, profile, key, std::nullopt}, &after, saved));
    auto c1 = p1, c2 = p2;
    second.handle(c1.data(), c1.size(), from("198.51.100.66", 5555)); // replays
    second.handle(c2.data(), c2.size(), from("198.51.100.66", 5555));
    EXPECT_FALSE(Endpoint::from_packed(after.address.load()).known());
    EXPECT_EQ(second.stats().rejected, 2U);
    FakeReceiver older("r1", key, 999, profile);
    auto old_report = older.report();
    second.handle(old_report.data(), old_report.size(), from("198.51.100.66", 5555));
    EXPECT_FALSE(Endpoint::from_packed(after.address.load()).known());
    second.handle(p3.data(), p3.size(), from("203.0.113.7", 40000)); // the genuine next one
    EXPECT_EQ(Endpoint::from_packed(after.address.load()).to_string(), "203.0.113.7:40000");
}

INSTANTIATE_TEST_SUITE_P(Profiles, ReportFloor,
                         ::testing::Values(SrtpProfile::aes_cm_128_hmac_sha1_80,
                                           SrtpProfile::aead_aes_128_gcm));

TEST_F(ReportListenerTest, ARemovedReceiverIsForgottenWhileTheOthersStillLatch) {
    std::vector<ReceiverLink> links(100);
    for (int round = 0; round < 3; ++round) {
        for (std::size_t i = 0; i < links.size(); ++i)
            ASSERT_TRUE(listener.add_receiver(
                ReceiverSpec{"x" + std::to_string(i), 0, kProfile, key, std::nullopt}, &links[i]));
        EXPECT_EQ(listener.size(), 101U);
        for (std::size_t i = 0; i < links.size(); i += 2)
            listener.remove_receiver("x" + std::to_string(i));
        // The odd ones and r1 are still known, in whatever place the removals left them.
        FakeReceiver odd("x" + std::to_string(2 * round + 1), key, 1000 + round);
        deliver(odd.report(), from("203.0.113.9", static_cast<std::uint16_t>(41000 + round)));
        EXPECT_EQ(Endpoint::from_packed(links[2 * round + 1].address.load()).to_string(),
                  "203.0.113.9:" + std::to_string(41000 + round));
        FakeReceiver even("x0", key, 1000);
        auto before = listener.stats().unknown_receiver;
        deliver(even.report(), from("203.0.113.9", 42000));
        EXPECT_EQ(listener.stats().unknown_receiver, before + 1) << "a removed receiver is unknown";
        for (std::size_t i = 1; i < links.size(); i += 2)
            listener.remove_receiver("x" + std::to_string(i));
        EXPECT_EQ(listener.size(), 1U) << "nothing of the removed receivers is kept";
    }
    FakeReceiver r("r1", key, 1000);
    deliver(r.report(), from("203.0.113.7", 40000));
    EXPECT_EQ(address(), "203.0.113.7:40000");
}
