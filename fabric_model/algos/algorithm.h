#pragma once
// Model algorithms: one file each under fabric_model/algos/, one line each in registry.cc.
//
//   extern const ModelAlgorithm kMyAlgo = {"name", "what it approximates", not_applicable, plan};
//
// not_applicable returns why the algorithm cannot run the request ("" = it applies): auto skips
// it and lists the reason, a forced run reports it as an error. plan builds the phases (see
// traffic.h); it may assume not_applicable returned "". Shared phase builders are below.
#include <string>
#include <vector>

#include "fabric_model/traffic.h"

namespace fb::model {

struct ModelAlgorithm {
  const char* name;
  const char* description;  // what it approximates (README table, `--algo list`)
  std::string (*not_applicable)(const PlanRequest&);
  CollectivePlan (*plan)(const PlanRequest&);
  // The NCCL algorithm this one models (Ring, Tree, NVLSTree, CollNet, PAT, p2p), or nullptr for
  // the suite's own compositions (hier, hier_tree, rhd): `--algo auto` chooses among what NCCL
  // runs, the others are selectable by name and listed by `--algo all`.
  const char* nccl_counterpart;
};

// Every registered algorithm, in registry order.
const std::vector<const ModelAlgorithm*>& model_algorithms();
// nullptr for an unknown name (canonical names only; see algo_from_string for aliases).
const ModelAlgorithm* find_model_algorithm(const std::string& name);

namespace algo_util {

std::int64_t ceil_log2(std::int64_t n);
// NCCL's nvlsEfficiency for the request's compute capability (0 below Hopper; in nvls.cc).
double nvls_efficiency(const PlanRequest& r);
// Large-message busbw of `nvls` in one domain of `ranks` GPUs over NVLink's rate per GPU and
// direction (nvls.cc): eff x 2(d-1)/(d+1) for all_reduce, eff x (d-1)/d for all_gather and
// reduce_scatter; 0 where NVLS does not run (other collectives, below SM90).
double nvls_busbw_fraction(Collective c, std::int64_t ranks, int compute_capability);
// A plan with collective, algo, ranks, bytes and the nccl-tests bus factor filled in.
CollectivePlan start(const PlanRequest& r, const char* algo);
// Reasons shared by several algorithms ("" when fine).
std::string only_all_reduce(const PlanRequest& r);
std::string needs_several_domains(const PlanRequest& r);
std::string ring_collectives_only(const PlanRequest& r);  // all_reduce, all_gather, reduce_scatter
// Flat ring over every rank with `channels` connections (QPs) per NIC.
CollectivePlan flat_ring(const PlanRequest& r, const char* algo, int channels);

Phase scaleup(const std::string& name, double steps, double bytes, int group, bool latency);
Phase reduce(double bytes, int group);
// Channel c of domain j sends to the same local GPU (rail) of domain j+1; `channels` parallel
// connections (distinct QPs) per rail, each carrying `bytes`.
Phase domain_ring(const std::string& name, std::int64_t n, int d, double steps, double bytes,
                  int group, int channels = 1);
// One double binary tree over the m domains per rail (channel), both trees and both directions
// at once (reduce up and broadcast down pipelined): `bytes` per connection.
// `step_latency_us`: per tree step (PlanRequest::tree_step_latency_us).
Phase rail_dbtree(const std::string& name, std::int64_t n, int d, double bytes, int group,
                  double step_latency_us);
// Tree depth (network hops one way) of the double binary tree over m nodes.
std::int64_t dbtree_depth(std::int64_t m);
// Rank r sends to rank (r + s) mod n, pairs inside one domain skipped (they use NVLink).
Phase shift(const std::string& name, std::int64_t n, int d, std::int64_t s, double steps,
            double bytes, int group);

}  // namespace algo_util
}  // namespace fb::model
