// Order statistics over per-iteration samples.
#pragma once

#include <vector>

namespace fb {

struct SampleStats {
  double min = 0, median = 0, mean = 0, max = 0, p99 = 0;
};

// Median and p99 by linear interpolation between closest ranks (p99 of fewer than 100 samples
// interpolates towards the maximum). Empty input gives all zeros.
SampleStats compute_stats(std::vector<double> samples);

// Value at quantile q in [0, 1] of sorted samples, interpolated.
double quantile_sorted(const std::vector<double>& sorted, double q);

// -I/--per_iter_timing: the per-iteration times of one variant (us; per iteration the slowest
// rank's), their summary with nccl-tests' rules (src/util.cu computeIterStats: sorted samples,
// p50 = the element at n/2, pXX = the element at min(n-1, ceil(n*XX/100)-1), mean and population
// standard deviation, cv% = stdev/mean x 100) over the samples after the first `skipped`
// (-K/--per_iter_skip), and each rank's own per-iteration times.
struct PerIterStats {
  bool present = false;
  int skipped = 0;
  double min_us = 0, max_us = 0, avg_us = 0, p50_us = 0, p95_us = 0, p99_us = 0, stdev_us = 0;
  double cv_pct = 0;
  std::vector<double> times_us;                    // every sample, skipped ones included
  std::vector<std::vector<double>> rank_times_us;  // [rank][iteration]
};

// Fills the summary fields from times_us[skip:]; `skip` must be smaller than the sample count
// (an empty summary otherwise).
PerIterStats per_iter_stats(std::vector<double> times_us, int skip);

}  // namespace fb
