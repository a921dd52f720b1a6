// NVLink reduce-scatter in the domain, one double binary tree per rail across the domains on the
// B/d shard, NVLink all-gather; pipelined (one group). NCCL's Tree with a ring-based
// intra-domain stage: log-depth latency across servers instead of hier's 2(m-1) ring steps.
#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

std::string hier_tree_na(const PlanRequest& r) {
  std::string why = algo_util::only_all_reduce(r);
  return why.empty() ? algo_util::needs_several_domains(r) : why;
}

CollectivePlan hier_tree_plan(const PlanRequest& r) {
  using namespace algo_util;
  CollectivePlan plan = start(r, "hier_tree");
  const std::int64_t n = r.ranks, m = n / r.domain;
  const int d = r.domain;
  const double b = static_cast<double>(r.bytes), dd = d;
  auto& ph = plan.phases;
  if (d > 1) ph.push_back(scaleup("scale-up reduce-scatter", dd - 1, b / dd, 0, true));
  // Each of the two trees carries half of the rail's B/d shard, up and down at once.
  ph.push_back(rail_dbtree("double binary tree per rail (both directions)", n, d, b / (2 * dd), 0,
                           r.tree_step_latency_us));
  if (d > 1) ph.push_back(scaleup("scale-up all-gather", dd - 1, b / dd, 0, true));
  // (d-1)/d B in the reduce-scatter, B/d at the tree's interior nodes.
  ph.push_back(reduce(b, 0));
  plan.notes.push_back("hier_tree: depth " + std::to_string(dbtree_depth(m)) +
                       " network hops each way per rail tree");
  return plan;
}

}  // namespace

extern const ModelAlgorithm kHierTreeAlgorithm = {
    "hier_tree",
    "NVLink reduce-scatter, double binary tree per rail across domains, NVLink all-gather",
    hier_tree_na, hier_tree_plan, nullptr};

}  // namespace fb::model
