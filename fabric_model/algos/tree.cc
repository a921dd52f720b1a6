// Double binary tree across domains (one pair of trees per channel/rail), chain inside the
// domain; reduce-up and broadcast-down are pipelined, so all tree edges carry data at once.
#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

CollectivePlan tree_plan(const PlanRequest& r) {
  using namespace algo_util;
  CollectivePlan plan = start(r, "tree");
  const std::int64_t n = r.ranks, m = n / r.domain;
  const int d = r.domain;
  const double b = static_cast<double>(r.bytes), dd = d;
  auto& ph = plan.phases;
  if (m > 1)
    ph.push_back(rail_dbtree("double binary tree (both directions)", n, d, b / (2 * dd), 0,
                             r.tree_step_latency_us));
  if (d > 1) {
    Phase chain = scaleup("scale-up chain (reduce + broadcast)", 1, 2 * b * (dd - 1) / dd, 0, true);
    chain.latency_steps = 2 * (dd - 1);
    ph.push_back(std::move(chain));
  }
  ph.push_back(reduce(b, 0));
  plan.notes.push_back("tree: NVLink chain and network trees pipelined; depth " +
                       std::to_string(dbtree_depth(m)) + " network hops each way");
  return plan;
}

}  // namespace

extern const ModelAlgorithm kTreeAlgorithm = {
    "tree", "NVLink chain in the domain + double binary tree per rail across domains (NCCL Tree)",
    algo_util::only_all_reduce, tree_plan, "Tree"};

}  // namespace fb::model
