#pragma once
/// @file
/// The three priority classes of bulletins (Circular 39/2020/TT-BTTTT).

#include <optional>
#include <string>
#include <string_view>

namespace loa::schedules {

/// Higher values preempt lower ones.
enum class PriorityClass {
    normal = 0,    ///< the commune chooses whether and when
    priority = 1,  ///< played with precedence
    emergency = 2, ///< played at once: storm, flood, fire, epidemic
};

/// "normal", "priority", "emergency".
std::string to_string(PriorityClass priority);
/// Parses the names above; nullopt for anything else.
std::optional<PriorityClass> parse_priority(std::string_view name);

} // namespace loa::schedules
