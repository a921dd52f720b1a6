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

}  // namespace fb::pub
