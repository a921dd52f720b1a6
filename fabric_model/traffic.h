#pragma once
// Traffic: a collective algorithm becomes a plan of phases. A phase is a number of identical
// steps on one resource (network, scale-up/NVLink, reduction); network phases carry the
// connections (rank -> rank) of one step, or explicit link paths (in-network reduction trees).
// Ranks are laid out the way NCCL lays them out on multi-NIC servers: one channel per GPU of the
// scale-up domain, channel c leaving the domain through GPU c's NIC (its rail) and entering the
// next domain on the same rail.
//
// The algorithms themselves live in fabric_model/algos/, one file each, listed once in
// algos/registry.cc (see algos/algorithm.h).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fabric_model/topology.h"
#include "fabric_model/units.h"

namespace fb::model {

enum class Collective { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kPermutation };
enum class Placement { kAligned, kFragmented };

std::string to_string(Collective c);
std::string to_string(Placement p);
Collective collective_from_string(const std::string& s);
Placement placement_from_string(const std::string& s);

// nccl-tests' bus factor (doc/PERFORMANCE.md: busbw = algbw x this): all_reduce moves 2(n-1)/n of
// the data over each link, all_gather, reduce_scatter and alltoall (n-1)/n, a permutation 1.
double bus_factor(Collective c, std::int64_t ranks);
// Steps of a ring schedule at `ranks` (1 below 2 ranks): all_reduce is a reduce-scatter then an
// all-gather, p-1 steps each; all_gather, reduce_scatter and alltoall p-1; a permutation 1.
int ring_steps(Collective c, std::int64_t ranks);
// The collectives a ring runs (busbw = the bandwidth of each ring link): all_reduce, all_gather,
// reduce_scatter.
bool is_ring_collective(Collective c);

// Canonical algorithm name for a user-given one ("hierarchical" -> "hier"; "auto" stays "auto").
// Throws ModelError naming the known algorithms.
std::string algo_from_string(const std::string& s);

struct Connection {
  std::int64_t src_rank;
  std::int64_t dst_rank;
  int channel = 0;  // several channels between one pair are distinct QPs (distinct 5-tuples)
};

// kKernel: a rate the collective's kernels themselves reach at most (NCCL's cost-model cap
// per channel), bytes_per_step / rate_cap_gbps, pipelined with the links it drives.
enum class Resource { kNetwork, kScaleUp, kReduce, kKernel };

// Explicit paths (links of the topology) for phases that are not rank-to-rank routes.
using HostOfRank = std::function<std::int64_t(std::int64_t rank)>;
using AddPath = std::function<void(const std::vector<LinkId>& path)>;
// Emits every path (each plane's separately); returns the most switches a path traverses.
using LinkFlows = std::function<int(const ClosTopology&, const HostOfRank&, const AddPath&)>;

struct Phase {
  std::string name;
  Resource resource = Resource::kNetwork;
  double steps = 1;             // identical steps
  double bytes_per_step = 0;    // per connection (network) or per GPU (scale-up, reduce)
  int group = 0;                // phases of one group are pipelined (overlap)
  bool step_latency = true;     // each step pays the resource's per-step latency
  double latency_steps = -1;    // latency steps if different from `steps` (pipelined trees)
  double step_latency_us = -1;  // >= 0: replaces the resource's per-step latency (NVLS, trees)
  // Scale-up phases: the fraction of the NVLink rate this traffic reaches (NVLS multimem
  // loads/stores: NCCL's nvlsEfficiency); 1 for plain copies.
  double scaleup_efficiency = 1;
  // Network phases only.
  std::string pattern_key;                // equal keys = identical flow sets (solved once)
  int max_fan = 1;                        // most connections leaving or entering one NIC in a step
  std::int64_t hop_src = 0, hop_dst = 0;  // representative far pair (ranks), for analytic hops
  std::function<void(std::vector<Connection>&)> connections;
  // Instead of `connections`: one flow per path and plane, bytes_per_step / planes each, not
  // routed (in-network reduction trees are fixed by the aggregation manager, not by routing).
  LinkFlows link_flows;
  // Network: > 0 caps every flow of the phase (switch ALU rate). Kernel phases: the rate.
  double rate_cap_gbps = 0;
  double aggregation_latency_ns = 0;  // per aggregation switch, up and down (2 x levels)
};

struct CollectivePlan {
  Collective collective = Collective::kAllReduce;
  std::string algo;
  std::int64_t ranks = 0;
  Bytes bytes = 0;
  double bus_factor = 1;  // busbw = algbw * bus_factor (nccl-tests conventions)
  std::vector<Phase> phases;
  std::vector<std::string> notes;  // approximations specific to this plan
};

// What an algorithm is asked to plan: the collective, the job's shape, and the capabilities of
// the scale-up domain and of the fabric that gate some algorithms.
struct PlanRequest {
  Collective collective = Collective::kAllReduce;
  std::int64_t ranks = 0;
  int domain = 1;           // GPUs per scale-up (NVLink) domain
  int gpus_per_server = 1;  // = NICs per server (one NIC per GPU)
  Bytes bytes = 0;
  std::uint64_t seed = 0;                   // random permutation traffic
  bool scaleup_multicast = false;           // NVLink SHARP (NVLS)
  double scaleup_multicast_latency_us = 0;  // one NVLS reduce + multicast
  int compute_capability = 0;               // GPU SM version x 10 (90 Hopper); 0 unknown
  bool in_network_reduction = false;        // the fabric's switches reduce (SHARP class)
  double innet_switch_latency_ns = 0;       // per aggregation switch
  double innet_reduction_gbps = 0;          // aggregation rate per switch port
  std::int64_t innet_max_trees = 0;         // aggregation trees the switches hold at once
  int planes = 1;                           // fabric planes (one aggregation tree per plane)
  double tree_step_latency_us = 0;          // per network step of a tree (profile)
};

// Builds the plan of the named algorithm. Throws ModelError for an unknown name, for shapes the
// model does not support, and (naming why) when the algorithm does not apply to the request.
CollectivePlan make_plan(const std::string& algo, const PlanRequest& request);
// Shorthand for tests: no multicast, no in-network reduction, gpus_per_server = domain.
CollectivePlan make_plan(Collective c, const std::string& algo, std::int64_t ranks, int domain,
                         Bytes bytes, std::uint64_t seed);

// Rank -> GPU: aligned keeps rank order; fragmented shuffles whole scale-up domains over the
// cluster (a job scattered across racks).
std::vector<std::int64_t> make_placement(Placement p, std::int64_t ranks, int domain,
                                         std::uint64_t seed);

// Double binary tree over n nodes: parent of node i in tree 0 / tree 1 (-1 for a root).
std::int64_t dbt_parent(std::int64_t n, int tree, std::int64_t i);

}  // namespace fb::model
