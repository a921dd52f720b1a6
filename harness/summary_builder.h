// The run's summary (averages, peak, wrong elements, the slowest rank) from its rows.
#pragma once

#include <vector>

#include "harness/report.h"

namespace fb {

// The summary of the rows seen so far (also for a sweep cut short by a signal).
class SummaryBuilder {
 public:
  void add(const SizeResult& row);
  RunSummary summary(bool complete) const;

 private:
  RunSummary s_;
  double busbw_sum_ = 0;
  int busbw_n_ = 0;
  std::vector<double> group_busbw_sum_;
};

}  // namespace fb
