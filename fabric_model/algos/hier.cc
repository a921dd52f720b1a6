// Reduce-scatter in the domain, all-reduce of B/d per rail across domains (ring), all-gather in
// the domain; chunks are pipelined so the three phases overlap (one group).
#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

CollectivePlan hier_plan(const PlanRequest& r) {
  using namespace algo_util;
  CollectivePlan plan = start(r, "hier");
  const std::int64_t n = r.ranks, m = n / r.domain;  // domains (exact: n is a multiple of d)
  const int d = r.domain;
  const double b = static_cast<double>(r.bytes), nd = static_cast<double>(n), dd = d;
  const double md = static_cast<double>(m);
  auto& ph = plan.phases;
  if (d > 1) ph.push_back(scaleup("scale-up reduce-scatter", dd - 1, b / dd, 0, true));
  if (m > 1)
    ph.push_back(
        domain_ring("inter-domain ring all-reduce per rail", n, d, 2 * (md - 1), b / nd, 0));
  if (d > 1) ph.push_back(scaleup("scale-up all-gather", dd - 1, b / dd, 0, true));
  ph.push_back(reduce((dd - 1) / dd * b + (md - 1) / nd * b, 0));
  return plan;
}

}  // namespace

extern const ModelAlgorithm kHierAlgorithm = {
    "hier", "NVLink reduce-scatter, one ring per rail across domains, NVLink all-gather (2D ring)",
    algo_util::only_all_reduce, hier_plan, nullptr};

}  // namespace fb::model
