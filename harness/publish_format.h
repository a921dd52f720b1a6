// Number and JSON field formatting shared by the `fabricbench publish` tables and plots.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness/results_io.h"
#include "harness/stats.h"

namespace fb::pub {

// printf of one double (`f` is a literal format with one conversion).
std::string fmt(const char* f, double v);
// Adaptive precision for bandwidths and times spanning 1e-3 to 1e7.
std::string num(double v);
// Signed percent of a fraction, one decimal: "+1.5%".
std::string pct(double frac);
// "1k", "100k", "1M" GPUs (decimal: cluster sizes are quoted that way).
std::string human_count(double n);
// The harness's one median (stats.h) and JSON accessors (results_io.h), with publish's defaults.
inline double median(std::vector<double> v) { return compute_stats(std::move(v)).median; }
inline double jnum(const nlohmann::json& j, const char* k, double d = 0) {
  return optional_number(j, k, d);
}
inline std::string jstr(const nlohmann::json& j, const char* k, const std::string& d = "") {
  return optional_text(j, k, d);
}

}  // namespace fb::pub
