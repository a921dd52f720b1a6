// Recursive vector halving with distance doubling (reduce-scatter), then the mirror image
// (all-gather). Near partners first, so the largest chunks stay inside the scale-up domain and
// only B/d per GPU crosses the network (Rabenseifner's variant suited to hierarchical machines).
#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

std::string rhd_na(const PlanRequest& r) {
  std::string why = algo_util::only_all_reduce(r);
  if (!why.empty()) return why;
  if ((r.ranks & (r.ranks - 1)) != 0 || (r.domain & (r.domain - 1)) != 0)
    return "needs power-of-two rank count and scale-up domain";
  return "";
}

CollectivePlan rhd_plan(const PlanRequest& r) {
  using namespace algo_util;
  CollectivePlan plan = start(r, "rhd");
  const std::int64_t n = r.ranks;
  const double b = static_cast<double>(r.bytes);
  const std::int64_t lg = ceil_log2(n);
  auto& ph = plan.phases;
  int group = 0;
  for (int half = 0; half < 2; ++half) {
    for (std::int64_t k = 0; k < lg; ++k) {
      const std::int64_t kk = half == 0 ? k : lg - 1 - k;
      const std::int64_t dist = std::int64_t{1} << kk;
      const double chunk = b / static_cast<double>(std::int64_t{1} << (kk + 1));
      if (dist < r.domain) {
        ph.push_back(scaleup("rhd step distance " + std::to_string(dist), 1, chunk, group, true));
      } else {
        Phase p;
        p.name = "rhd step distance " + std::to_string(dist);
        p.bytes_per_step = chunk;
        p.group = group;
        p.pattern_key = "xor:" + std::to_string(dist);
        p.hop_src = 0;
        p.hop_dst = dist;
        p.connections = [n, dist](std::vector<Connection>& out) {
          out.reserve(static_cast<std::size_t>(n));
          for (std::int64_t q = 0; q < n; ++q) out.push_back({q, q ^ dist});
        };
        ph.push_back(std::move(p));
      }
      if (half == 0) ph.push_back(reduce(chunk, group));
      ++group;
    }
  }
  return plan;
}

}  // namespace

extern const ModelAlgorithm kRhdAlgorithm = {
    "rhd", "recursive halving-doubling, near partners first (Rabenseifner)", rhd_na, rhd_plan,
    nullptr};

}  // namespace fb::model
