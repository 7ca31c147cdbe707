#pragma once
// A network namespace a test makes itself, with its own loopback and an nftables chain on it
// that drops UDP at random (or all of it): loss without sch_netem, which not every kernel here
// has. Packets are dropped as they arrive (the input hook), silently as a network loses them: a
// drop on output would fail the sender's sendmsg with EPERM, which no real network does (and
// which ICE takes as a failed check). Needs root.
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace loa::test {

inline int run_quietly(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str());
}

/// A network namespace with its own loopback, deleted on destruction.
class Netns {
public:
    Netns() : name_("loa-it-" + std::to_string(::getpid())) {
        run_quietly("ip netns del " + name_);
        ok_ = run_quietly("ip netns add " + name_) == 0 &&
              run_quietly("ip -n " + name_ + " link set lo up") == 0 && nft("add table inet loa") &&
              nft("add chain inet loa in '{ type filter hook input priority 0; }'");
    }
    ~Netns() { run_quietly("ip netns del " + name_); }
    bool ok() const { return ok_; }
    const std::string& name() const { return name_; }
    /// Drops this percentage of UDP packets, each way (0: none, 100: a total outage).
    bool loss(int percent) {
        if (!nft("flush chain inet loa in"))
            return false;
        if (percent >= 100)
            return nft("add rule inet loa in meta l4proto udp drop");
        return percent == 0 ||
               nft("'add rule inet loa in meta l4proto udp numgen random mod 100 < " +
                   std::to_string(percent) + " drop'");
    }

private:
    bool nft(const std::string& args) {
        return run_quietly("ip netns exec " + name_ + " nft " + args) == 0;
    }

    std::string name_;
    bool ok_ = false;
};

} // namespace loa::test
