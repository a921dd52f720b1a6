// Internal to the reporters: one results row (one variant of one size) as ordered fields, so the
// JSON and CSV writers share the schema's field list and order.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness/report.h"

namespace fb {

using RowFields = std::vector<std::pair<const char*, nlohmann::json>>;

// Fields of the row for `row`'s in-place or out-of-place variant, in schema order: collective,
// bytes, count, dtype, op, root, in_place, time_us, algbw_gbps, busbw_gbps, wrong (null when not
// checked), iters, time_us_min, time_us_median, time_us_mean, time_us_max, time_us_p99, algo,
// cycle. `out` is reused between rows to keep allocation down.
void result_row_fields(const SizeResult& row, bool in_place, RowFields& out);

// The names above, for the CSV header.
std::vector<std::string> result_row_names();

}  // namespace fb
