#pragma once
/// @file
/// The indicators as workbooks people open (.xlsx, libxlsxwriter), in Vietnamese: the
/// periodic statistical report of stations by commune, and the monthly operations report of
/// each commune (docs/indicators.md, "Reports").

#include <boost/json.hpp>
#include <string>

#include "loa/common/result.hpp"

namespace loa::server {

/// Who the reports are made for: the province's name heads each sheet.
struct ReportHeading {
    std::string province; ///< e.g. "Đồng Nai"
};

/// The statistical report of stations by commune: one row per commune of `report` (an
/// indicators.get answer of one period covering the report's days), and the unit's total;
/// the .xlsx file's bytes.
common::Result<std::string> stations_workbook(const boost::json::object& report,
                                              const ReportHeading& heading);

/// The monthly operations report: a sheet per unit of `report` (an indicators.get answer by
/// day over one month) with a row per day and the month's total from `month` (the same units
/// summed over the month); the .xlsx file's bytes.
common::Result<std::string> operations_workbook(const boost::json::object& report,
                                                const boost::json::object& month,
                                                const ReportHeading& heading);

} // namespace loa::server
