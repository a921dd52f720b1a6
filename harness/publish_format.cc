#include "harness/publish_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fb::pub {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string num(double v) {
  const double a = std::fabs(v);
  if (a >= 1000) return fmt("%.0f", v);
  if (a >= 100) return fmt("%.1f", v);
  if (a >= 1) return fmt("%.2f", v);
  if (a >= 0.01) return fmt("%.3f", v);
  if (a == 0) return "0";
  return fmt("%.2e", v);
}

std::string pct(double frac) { return fmt("%+.1f%%", 100 * frac); }

std::string human_count(double n) {
  if (n >= 1e6 && std::fmod(n, 1e5) == 0) return fmt("%g", n / 1e6) + "M";
  if (n >= 1e3 && std::fmod(n, 100) == 0) return fmt("%g", n / 1e3) + "k";
  return fmt("%.0f", n);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double jnum(const nlohmann::json& j, const char* k, double d) {
  const auto it = j.find(k);
  return it != j.end() && it->is_number() ? it->get<double>() : d;
}

std::string jstr(const nlohmann::json& j, const char* k, const std::string& d) {
  const auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : d;
}

}  // namespace fb::pub
