#include "harness/summary_builder.h"

#include <algorithm>

#include "harness/stats.h"

namespace fb {

void SummaryBuilder::add(const SizeResult& row) {
  for (const Timing* t : {&row.out_of_place, &row.in_place}) {
    if (!t->measured) continue;
    if (t->wrong > 0) {
      s_.wrong_total += t->wrong;
      ++s_.out_of_bounds;
    }
    busbw_sum_ += t->busbw_gbps;
    ++busbw_n_;
    if (t->rank_time_us.size() >= 2) {
      std::vector<double> sorted = t->rank_time_us;
      std::sort(sorted.begin(), sorted.end());
      const double median = quantile_sorted(sorted, 0.5);
      const auto slowest = std::max_element(t->rank_time_us.begin(), t->rank_time_us.end());
      const double ratio = median > 0 ? *slowest / median : 0.0;
      if (ratio > s_.slowest_ratio) {
        s_.slowest_ratio = ratio;
        s_.slowest_rank = static_cast<int>(slowest - t->rank_time_us.begin());
        s_.slowest_bytes = row.bytes;
        s_.slowest_variant = t == &row.in_place ? "in-place" : "out-of-place";
      }
    }
    if (!t->groups.empty()) {
      if (s_.groups.empty()) {
        for (const GroupTiming& g : t->groups) s_.groups.push_back({g.color, g.nranks, 0.0, 0});
        group_busbw_sum_.assign(t->groups.size(), 0.0);
      }
      for (std::size_t i = 0; i < t->groups.size() && i < s_.groups.size(); ++i) {
        group_busbw_sum_[i] += t->groups[i].busbw_gbps;
        if (t->groups[i].wrong > 0) s_.groups[i].wrong_total += t->groups[i].wrong;
      }
    }
    if (t->busbw_gbps > s_.peak_busbw_gbps) {
      s_.peak_busbw_gbps = t->busbw_gbps;
      s_.peak_bytes = row.bytes;
      s_.peak_variant = t == &row.in_place ? "in-place" : "out-of-place";
    }
  }
}

RunSummary SummaryBuilder::summary(bool complete) const {
  RunSummary s = s_;
  // nccl-tests' average: over every size and both variants.
  s.avg_busbw_gbps = busbw_n_ ? busbw_sum_ / busbw_n_ : 0.0;
  for (std::size_t i = 0; i < s.groups.size(); ++i) {
    s.groups[i].avg_busbw_gbps = busbw_n_ ? group_busbw_sum_[i] / busbw_n_ : 0.0;
  }
  s.complete = complete;
  return s;
}

}  // namespace fb
