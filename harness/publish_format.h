// Number and JSON field formatting shared by the `fabricbench publish` tables and plots.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fb::pub {

// printf of one double (`f` is a literal format with one conversion).
std::string fmt(const char* f, double v);
// Adaptive precision for bandwidths and times spanning 1e-3 to 1e7.
std::string num(double v);
// Signed percent of a fraction, one decimal: "+1.5%".
std::string pct(double frac);
// "1k", "100k", "1M" GPUs (decimal: cluster sizes are quoted that way).
std::string human_count(double n);
double median(std::vector<double> v);
// Field `k` when it holds a number (jnum) or a string (jstr), else `d`.
double jnum(const nlohmann::json& j, const char* k, double d = 0);
std::string jstr(const nlohmann::json& j, const char* k, const std::string& d = "");

}  // namespace fb::pub
