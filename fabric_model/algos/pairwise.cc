// Alltoall by pairwise exchange: step s sends B/N to rank r+s. Large N: a sample of shifts
// stands for all.
#include <algorithm>

#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

std::string pairwise_na(const PlanRequest& r) {
  if (r.collective == Collective::kAllToAll) return "";
  return "models alltoall only (not " + to_string(r.collective) + ")";
}

CollectivePlan pairwise_plan(const PlanRequest& r) {
  using namespace algo_util;
  CollectivePlan plan = start(r, "pairwise");
  const std::int64_t n = r.ranks, m = n / r.domain;
  const int d = r.domain;
  const double b = static_cast<double>(r.bytes), nd = static_cast<double>(n);
  const std::int64_t shifts = n - 1;
  const std::int64_t kMaxShifts = 16;
  const std::int64_t k = std::min(shifts, kMaxShifts);
  if (k < shifts)
    plan.notes.push_back("alltoall: " + std::to_string(k) + " of " + std::to_string(shifts) +
                         " pairwise-exchange shifts solved, each standing for an equal share");
  for (std::int64_t i = 0; i < k; ++i) {
    const std::int64_t s = 1 + (i * shifts) / k;
    const double weight = static_cast<double>(shifts) / static_cast<double>(k);
    const int group = static_cast<int>(i);
    if (d > 1 && (s < d || n - s < d))
      plan.phases.push_back(
          scaleup("shift " + std::to_string(s) + " scale-up", weight, b / nd, group, false));
    if (m > 1)
      plan.phases.push_back(shift("shift " + std::to_string(s), n, d, s, weight, b / nd, group));
  }
  return plan;
}

}  // namespace

extern const ModelAlgorithm kPairwiseAlgorithm = {
    "pairwise", "alltoall by pairwise exchange (rank r sends to r+s at step s)", pairwise_na,
    pairwise_plan, "p2p alltoall"};

}  // namespace fb::model
