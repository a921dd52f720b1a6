#include "harness/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace fb {

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

SampleStats compute_stats(std::vector<double> samples) {
  SampleStats s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.min = samples.front();
  s.max = samples.back();
  s.mean =
      std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  s.median = quantile_sorted(samples, 0.5);
  s.p99 = quantile_sorted(samples, 0.99);
  return s;
}

PerIterStats per_iter_stats(std::vector<double> times_us, int skip) {
  PerIterStats p;
  p.present = true;
  p.skipped = skip;
  p.times_us = std::move(times_us);
  if (skip < 0 || static_cast<std::size_t>(skip) >= p.times_us.size()) return p;
  std::vector<double> s(p.times_us.begin() + skip, p.times_us.end());
  std::sort(s.begin(), s.end());
  const int n = static_cast<int>(s.size());
  const auto pct = [&](int percent) { return s[std::min(n - 1, (n * percent + 99) / 100 - 1)]; };
  p.min_us = s.front();
  p.max_us = s.back();
  p.p50_us = s[n / 2];
  p.p95_us = pct(95);
  p.p99_us = pct(99);
  p.avg_us = std::accumulate(s.begin(), s.end(), 0.0) / n;
  double var = 0;
  for (const double x : s) var += (x - p.avg_us) * (x - p.avg_us);
  p.stdev_us = std::sqrt(var / n);
  p.cv_pct = p.avg_us > 0 ? p.stdev_us / p.avg_us * 100.0 : 0.0;
  return p;
}

}  // namespace fb
