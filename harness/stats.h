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

}  // namespace fb
