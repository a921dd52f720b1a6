// PAT (NCCL's parallel aggregated trees) for all_gather / reduce_scatter with one GPU per node:
// log-depth, step k exchanges with the rank 2^k away and carries min(2^k, N - 2^k) blocks of
// B/N (all-gather: distance doubling; reduce-scatter: the mirror, halving, reducing each step).
// Same bytes per rank as the ring ((N-1)/N B), ceil(log2 N) latency steps instead of N-1.
#include <algorithm>

#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

std::string pat_na(const PlanRequest& r) {
  if (r.collective != Collective::kAllGather && r.collective != Collective::kReduceScatter)
    return "models all_gather and reduce_scatter only (not " + to_string(r.collective) + ")";
  if (r.gpus_per_server != 1 || r.domain != 1)
    return "needs one GPU per node (NCCL runs PAT with one rank per node)";
  return "";
}

CollectivePlan pat_plan(const PlanRequest& r) {
  using namespace algo_util;
  CollectivePlan plan = start(r, "pat");
  const std::int64_t n = r.ranks;
  const double block = static_cast<double>(r.bytes) / static_cast<double>(n);
  const bool rs = r.collective == Collective::kReduceScatter;
  const std::int64_t lg = ceil_log2(n);
  for (std::int64_t i = 0; i < lg; ++i) {
    const std::int64_t k = rs ? lg - 1 - i : i;
    const std::int64_t dist = std::int64_t{1} << k;
    const double bytes = static_cast<double>(std::min(dist, n - dist)) * block;
    const int group = static_cast<int>(i);
    plan.phases.push_back(
        shift("pat step distance " + std::to_string(dist), n, 1, dist, 1, bytes, group));
    if (rs) plan.phases.push_back(reduce(bytes, group));
  }
  return plan;
}

}  // namespace

extern const ModelAlgorithm kPatAlgorithm = {
    "pat", "log-depth all_gather / reduce_scatter, one GPU per node (NCCL PAT)", pat_na, pat_plan,
    "PAT"};

}  // namespace fb::model
