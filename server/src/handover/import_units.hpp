#pragma once
// The first part of an import (import.cpp): the archive's units placed here, added under
// their mapped code or merged into the unit bearing it, with their former codes and names.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/server/handover/handover.hpp"

namespace loa::server::handover_import {

/// Places the archive's units (attached as `arc`) in the database `db`, inside the caller's
/// transaction: a step per unit in `out.units`, a reason per refusal in `out.refused`, the
/// codes added in `out.added_units`. Returns the archive's unit ids with the ids they have here
/// (for the units not refused), also left in the temporary table map_unit (old, new); `home`
/// is the id here of the first unit the archive was asked for (or of its first top unit).
common::Result<std::map<std::int64_t, std::int64_t>> place_units(common::Database& db,
                                                                 const HandoverMapping& mapping,
                                                                 HandoverImport& out,
                                                                 std::int64_t& home);

} // namespace loa::server::handover_import
