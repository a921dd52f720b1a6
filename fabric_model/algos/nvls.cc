// NCCL NVLS inside one scale-up domain (every rank on one NVSwitch domain): NVLink SHARP. For
// its shard (B/d of the buffer) each GPU issues multimem.ld_reduce: the NVSwitch reads the shard
// from every GPU's buffer, reduces in the switch and returns one copy; then multimem.st of the
// result, which the switch multicasts to every GPU. Per GPU and direction NVLink carries:
//   all_reduce      out: B (its buffer read, shard by shard) + B/d (its store)
//                   in:  B/d (its reduced shard) + B (every shard's multicast)  -> B (d+1)/d
//   reduce_scatter  out: B (send buffer read), in: B/d                          -> B
//   all_gather      out: B/d (its store), in: B (every GPU's piece)             -> B
// (B = nccl-tests' size: the all-reduce buffer, reduce_scatter's send, all_gather's receive
// buffer). The GPUs' SMs reduce nothing. The multimem accesses reach NCCL's nvlsEfficiency of
// the NVLink rate (0.85 Hopper, 0.74 Blackwell; fabric_model/tuning/nccl_2_30.json,
// src/tuning/nvls.cc); one NVLS latency (scaleup_multicast_latency_us, NCCL hwLat NVLINK NVLS
// Simple). So at d = 8 all_reduce busbw = NVLink x eff x 2(d-1)/(d+1) = 1.56 x eff x NVLink,
// reduce_scatter/all_gather busbw = NVLink x eff x (d-1)/d.
#include "fabric_model/algos/algorithm.h"
#include "fabric_model/nccl_tuning.h"

namespace fb::model {

namespace algo_util {

double nvls_efficiency(const PlanRequest& r) {
  const int cc = r.compute_capability;
  const int i = cc >= 100 ? 3 : cc >= 90 ? 2 : cc >= 80 ? 1 : 0;  // Volta Ampere Hopper Blackwell
  return nccl::default_constants().nvls_efficiency[static_cast<std::size_t>(i)];
}

double nvls_busbw_fraction(Collective c, std::int64_t ranks, int compute_capability) {
  PlanRequest r;
  r.compute_capability = compute_capability;
  const double eff = nvls_efficiency(r), d = static_cast<double>(ranks);
  if (ranks < 2 || !(eff > 0) || !is_ring_collective(c)) return 0;
  return c == Collective::kAllReduce ? eff * 2 * (d - 1) / (d + 1) : eff * (d - 1) / d;
}

}  // namespace algo_util

namespace {

std::string nvls_na(const PlanRequest& r) {
  std::string why = algo_util::ring_collectives_only(r);
  if (!why.empty()) return why;
  if (!r.scaleup_multicast)
    return "needs NVLink SHARP (NVSwitch multicast, scaleup_multicast), which this scale-up "
           "domain lacks";
  if (r.domain < 2) return "needs a scale-up domain of more than one GPU";
  if (r.ranks / r.domain > 1)
    return "runs inside one scale-up domain (nvls_tree or innet span several)";
  if (!(algo_util::nvls_efficiency(r) > 0))
    return "NCCL has no NVLS below SM90 (nvlsEfficiency 0 for compute capability " +
           std::to_string(r.compute_capability) + ")";
  if (r.collective != Collective::kAllReduce && r.domain > nccl::default_constants().max_nvls_arity)
    return "NVLS all_gather/reduce_scatter needs at most NCCL_MAX_NVLS_ARITY (" +
           std::to_string(nccl::default_constants().max_nvls_arity) + ") GPUs in the domain";
  return "";
}

CollectivePlan nvls_plan(const PlanRequest& r) {
  using namespace algo_util;
  CollectivePlan plan = start(r, "nvls");
  const double b = static_cast<double>(r.bytes), dd = r.domain;
  const bool ar = r.collective == Collective::kAllReduce;
  Phase p = scaleup(ar ? "NVLS ld_reduce + multicast store (in-switch reduction)"
                       : "NVLS in-switch " + to_string(r.collective),
                    1, ar ? b * (dd + 1) / dd : b, 0, true);
  p.step_latency_us = r.scaleup_multicast_latency_us;
  p.scaleup_efficiency = nvls_efficiency(r);
  plan.phases.push_back(std::move(p));
  plan.notes.push_back(
      "nvls: NVLink SHARP in one domain, multimem at NCCL's nvlsEfficiency of NVLink, one NVLS "
      "latency (scaleup_multicast_latency_us); no SM reduction");
  return plan;
}

}  // namespace

extern const ModelAlgorithm kNvlsAlgorithm = {
    "nvls",
    "NVLink SHARP in one NVSwitch domain: in-switch reduce + multicast (NCCL NVLS, one node)",
    nvls_na, nvls_plan, "NVLS"};

}  // namespace fb::model
