#include "loa/common/logging.hpp"

#include <mutex>
#include <spdlog/sinks/stdout_color_sinks.h>

// The one instantiation of fmt's formatting engine that every file which logs calls (see
// logging.hpp).
template void fmt::detail::vformat_to<char>(fmt::detail::buffer<char>&,
                                            fmt::basic_string_view<char>,
                                            fmt::basic_format_args<fmt::buffer_context<char>>,
                                            fmt::detail::locale_ref);

namespace loa::common {
namespace {

std::mutex g_mutex;
spdlog::sink_ptr g_sink;
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::sink_ptr shared_sink() {
    if (!g_sink)
        g_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    return g_sink;
}

} // namespace

void init_logging(const std::string& level) {
    std::lock_guard lock(g_mutex);
    g_level = spdlog::level::from_str(level);
    spdlog::set_level(g_level);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(g_level); });
}

std::shared_ptr<spdlog::logger> logger(const std::string& component) {
    std::lock_guard lock(g_mutex);
    if (auto existing = spdlog::get(component))
        return existing;
    auto created = std::make_shared<spdlog::logger>(component, shared_sink());
    created->set_level(g_level);
    created->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    spdlog::register_logger(created);
    return created;
}

std::string loggable(std::string_view text, std::size_t max) {
    std::string out = "\"";
    std::size_t used = 0;
    for (; used < text.size() && used < max; ++used) {
        auto c = static_cast<unsigned char>(text[used]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c < 0x20 || c == 0x7f) {
            constexpr const char* kHex = "0123456789abcdef";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += static_cast<char>(c); // UTF-8 passes: the sink writes bytes
        }
    }
    out += '"';
    if (used < text.size())
        out += "...";
    return out;
}

} // namespace loa::common
