#include "loa/schedules/priority.hpp"

namespace loa::schedules {

std::string to_string(PriorityClass priority) {
    switch (priority) {
    case PriorityClass::normal:
        return "normal";
    case PriorityClass::priority:
        return "priority";
    case PriorityClass::emergency:
        return "emergency";
    }
    return "normal";
}

std::optional<PriorityClass> parse_priority(std::string_view name) {
    if (name == "normal")
        return PriorityClass::normal;
    if (name == "priority")
        return PriorityClass::priority;
    if (name == "emergency")
        return PriorityClass::emergency;
    return std::nullopt;
}

} // namespace loa::schedules
