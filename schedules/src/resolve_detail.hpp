#pragma once
// The steps of resolving shared by resolve() (resolver.cpp) and Timeline (timeline.cpp), so
// that both decide precedence by the same code.

#include <map>
#include <string>
#include <vector>

#include "loa/schedules/resolver.hpp"

namespace loa::schedules {

/// Puts an occurrence of `e` starting at `start` on its channels where it outranks what is there.
void place_scheduled(std::map<std::string, Airing>& out, const ScheduledEntry& e, TimePoint start);
/// Lays the overrides active at `t` over the scheduled airings.
void apply_overrides(std::map<std::string, Airing>& out, const std::vector<Override>& overrides,
                     TimePoint t);

} // namespace loa::schedules
