#pragma once
/// @file
/// Text as a search compares it: what people type to find a unit rarely has its diacritics.

#include <string>
#include <string_view>

namespace loa::schedules {

/// `text` with ASCII letters in lower case, Vietnamese letters reduced to their base letter
/// (đ to d, ồ to o; precomposed or with combining marks) and other characters kept: two texts
/// that differ only so have the same key ("Đồng Nai" and "dong nai"). Bytes that are not
/// UTF-8 are kept as they are.
std::string search_key(std::string_view text);

} // namespace loa::schedules
