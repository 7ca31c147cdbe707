// Latency from a live source to a receiver's output, on loopback, in one process with the real
// parts: a live GStreamer source (ticks every 500 ms) -> Opus -> router -> fan-out -> SRTP over
// UDP -> the receiver's SRTP, jitter buffer, decoder and a clock-synchronised sink.
//
// A tick is captured when the live source's clock reaches it (base time + k * interval); it is
// heard when the sink renders its first loud sample. The difference is the latency.
//
// usage: loa_latency_bench [--jitter-ms 30,40,80] [--ticks 12]
#include <cstdio>
#include <sstream>
#include <vector>

#include "loa/common/logging.hpp"
#include "playout_path.hpp"

using namespace loa;

namespace {

constexpr std::int64_t kTickInterval = 500'000'000; // ns

} // namespace

int main(int argc, char** argv) {
    std::vector<int> jitters{30, 40, 80};
    int ticks = 12;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--jitter-ms") {
            jitters.clear();
            std::stringstream s(argv[i + 1]);
            for (std::string item; std::getline(s, item, ',');)
                jitters.push_back(std::stoi(item));
        } else if (flag == "--ticks") {
            ticks = std::stoi(argv[i + 1]);
        }
    }
    common::init_logging("warn");
    std::printf("Live source -> receiver output, loopback, Opus 20 ms frames\n");
    std::printf("%-10s %8s %10s %8s %8s %14s\n", "jitter ms", "ticks", "median ms", "min ms",
                "max ms", "target (J+40)");
    for (int j : jitters) {
        bench::Figures f = bench::local_ticks(j, ticks, kTickInterval);
        std::printf("%-10d %8zu %10.1f %8.1f %8.1f %14s\n", j, f.ticks, f.median_ms, f.min_ms,
                    f.max_ms, f.median_ms <= j + 40 ? "met" : "MISSED");
    }
    return 0;
}
