// NCCL NVLSTree: inside the domain NVLink SHARP reduces (the NVSwitch reads every GPU's buffer
// once, multimem.ld_reduce) and multicasts the result (multimem.st); across domains one double
// binary tree per rail on the B/d shard. Per GPU and direction NVLink carries B + B/d (ring-based
// reduce-scatter + all-gather: 2(d-1)/d B), with one NVLS latency for the pair; the multimem
// accesses reach NCCL's nvlsEfficiency of NVLink (as in nvls.cc).
// The kernel: NCCL runs NVLSTree on one channel per GPU/NIC (NVLS graph heads, at most
// NCCL_MAX_NVLS_ARITY), and one channel's warps (scatter, NVLS reduce + network send, network
// receive + multicast, gather, each a few warps) move at most perChMaxNVLSTreeBw of bus
// bandwidth (NCCL's cost model, src/tuning/nvls.cc, by compute capability and 1, 2, >2 nodes;
// fabric_model/tuning/nccl_2_30.json). So the busbw is at most channels x that: a kernel phase
// of B x 2(n-1)/n bytes at that rate, pipelined with NVLink and the network. Nodes here are
// scale-up domains (a multi-node NVLink domain is one NCCL node).
#include <algorithm>

#include "fabric_model/algos/algorithm.h"
#include "fabric_model/nccl_tuning.h"

namespace fb::model {
namespace {

std::string nvls_tree_na(const PlanRequest& r) {
  std::string why = algo_util::only_all_reduce(r);
  if (!why.empty()) return why;
  if (!(algo_util::nvls_efficiency(r) > 0))
    return "NCCL has no NVLS below SM90 (nvlsEfficiency 0 for compute capability " +
           std::to_string(r.compute_capability) + ")";
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
  const double eff = nvls_efficiency(r);
  rs.scaleup_efficiency = eff;
  ph.push_back(std::move(rs));
  ph.push_back(rail_dbtree("double binary tree per rail (both directions)", n, d, b / (2 * dd), 0,
                           r.tree_step_latency_us));
  Phase ag = scaleup("NVLS multicast all-gather", 1, b / dd, 0, false);
  ag.scaleup_efficiency = eff;
  ph.push_back(std::move(ag));
  ph.push_back(reduce(b / dd, 0));  // the tree's interior nodes; NVSwitch reduces the rest
  const nccl::Constants& k = nccl::default_constants();
  const int channels = std::min(d, k.max_nvls_arity);
  const int cci = r.compute_capability >= 100 ? 3 : 2;  // Hopper, Blackwell (NVLS needs SM90+)
  const int nodes = m == 2 ? 1 : 2;                     // [1, 2, >2 nodes]; m >= 2 here
  const double per_channel_gbytes_per_s =
      k.per_channel_max_nvls_tree_gbytes_per_s[static_cast<std::size_t>(cci)]
                                              [static_cast<std::size_t>(nodes)];
  Phase kernel;
  kernel.name = "NVLSTree kernel: ";
  kernel.name += std::to_string(channels);
  kernel.name += " channels x perChMaxNVLSTreeBw";
  kernel.resource = Resource::kKernel;
  kernel.bytes_per_step = b * plan.bus_factor;
  kernel.step_latency = false;
  kernel.rate_cap_gbps = channels * per_channel_gbytes_per_s * 8;  // GB/s -> Gb/s
  ph.push_back(std::move(kernel));
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
