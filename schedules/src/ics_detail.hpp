#pragma once
// What the iCalendar export (ics_export.cpp) and import (ics_import.cpp) share.

#include <libical/ical.h>
#include <memory>
#include <string>

namespace loa::schedules::ics_detail {

/// Frees a libical component (and its children) when it goes.
struct ComponentFree {
    void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
/// A libical component owned.
using Component = std::unique_ptr<icalcomponent, ComponentFree>;

/// libical's text, or "" for none.
inline std::string text_of(const char* text) {
    return text != nullptr ? text : "";
}

} // namespace loa::schedules::ics_detail
