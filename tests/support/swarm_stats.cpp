#include "swarm_stats.hpp"

#include <boost/json.hpp>

#include "process.hpp"

namespace loa::test {

std::int64_t swarm_counter(const std::string& stats_path, const char* name) {
    boost::json::error_code ec;
    auto parsed = boost::json::parse(read_file(stats_path), ec);
    if (ec || !parsed.is_object())
        return -1;
    const auto* v = parsed.as_object().if_contains(name);
    return v && v->is_int64() ? v->as_int64() : -1;
}

} // namespace loa::test
