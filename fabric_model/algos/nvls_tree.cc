// NCCL NVLSTree: inside the domain NVLink SHARP reduces (the NVSwitch reads every GPU's buffer
// once, multimem.ld_reduce) and multicasts the result (multimem.st); across domains one double
// binary tree per rail on the B/d shard. Per GPU and direction NVLink carries B + B/d (ring-based
// reduce-scatter + all-gather: 2(d-1)/d B), with one NVLS latency for the pair.
#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

std::string nvls_tree_na(const PlanRequest& r) {
  std::string why = algo_util::only_all_reduce(r);
  if (!why.empty()) return why;
  if (!r.scaleup_multicast)
    return "needs NVLink SHARP (NVSwitch multicast, scaleup_multicast), which this scale-up "
           "domain lacks";
  if (r.domain < 2) return "needs a scale-up domain of more than one GPU";
  return algo_util::needs_several_domains(r);
}

CollectivePlan nvls_tree_plan(const PlanRequest& r) {
  using namespace algo_util;
  CollectivePlan plan = start(r, "nvls_tree");
  const std::int64_t n = r.ranks, m = n / r.domain;
  const int d = r.domain;
  const double b = static_cast<double>(r.bytes), dd = d;
  auto& ph = plan.phases;
  Phase rs = scaleup("NVLS reduce-scatter (in-switch reduction)", 1, b, 0, true);
  rs.step_latency_us = r.scaleup_multicast_latency_us;
  ph.push_back(std::move(rs));
  ph.push_back(rail_dbtree("double binary tree per rail (both directions)", n, d, b / (2 * dd), 0,
                           r.tree_step_latency_us));
  ph.push_back(scaleup("NVLS multicast all-gather", 1, b / dd, 0, false));
  ph.push_back(reduce(b / dd, 0));  // the tree's interior nodes; NVSwitch reduces the rest
  plan.notes.push_back(
      "nvls_tree: NVLink SHARP reduce + multicast as one NVLS latency "
      "(scaleup_multicast_latency_us); depth " +
      std::to_string(dbtree_depth(m)) + " network hops each way");
  return plan;
}

}  // namespace

extern const ModelAlgorithm kNvlsTreeAlgorithm = {
    "nvls_tree",
    "NVLink SHARP reduce/multicast in the domain + double binary tree per rail (NCCL NVLSTree)",
    nvls_tree_na, nvls_tree_plan, "NVLSTree"};

}  // namespace fb::model
