#pragma once
// Traffic generators: each collective algorithm becomes a plan of phases. A phase is a number of
// identical steps on one resource (network, scale-up/NVLink, reduction); network phases carry
// the connections (rank -> rank) of one step. Ranks are laid out the way NCCL lays them out on
// multi-NIC servers: one channel per GPU of the scale-up domain, channel c leaving the domain
// through GPU c's NIC (its rail) and entering the next domain on the same rail.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fabric_model/units.h"

namespace fb::model {

enum class Collective { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kPermutation };
enum class Algo { kRing, kHierarchical, kTree, kRhd };
enum class Placement { kAligned, kFragmented };

std::string to_string(Collective c);
std::string to_string(Algo a);
std::string to_string(Placement p);
Collective collective_from_string(const std::string& s);
Algo algo_from_string(const std::string& s);
Placement placement_from_string(const std::string& s);

struct Connection {
  std::int64_t src_rank;
  std::int64_t dst_rank;
};

enum class Resource { kNetwork, kScaleUp, kReduce };

struct Phase {
  std::string name;
  Resource resource = Resource::kNetwork;
  double steps = 1;           // identical steps
  double bytes_per_step = 0;  // per connection (network) or per GPU (scale-up, reduce)
  int group = 0;              // phases of one group are pipelined (overlap)
  bool step_latency = true;   // each step pays the resource's per-step latency
  double latency_steps = -1;  // latency steps if different from `steps` (pipelined trees)
  // Network phases only.
  std::string pattern_key;                // equal keys = identical connection sets (solved once)
  int max_fan = 1;                        // most connections leaving or entering one NIC in a step
  std::int64_t hop_src = 0, hop_dst = 0;  // representative far pair (ranks), for analytic hops
  std::function<void(std::vector<Connection>&)> connections;
};

struct CollectivePlan {
  Collective collective;
  Algo algo;
  std::int64_t ranks = 0;
  Bytes bytes = 0;
  double bus_factor = 1;  // busbw = algbw * bus_factor (nccl-tests conventions)
  std::vector<Phase> phases;
  std::vector<std::string> notes;  // approximations specific to this plan
};

// Builds the plan for `ranks` GPUs in scale-up domains of `domain` GPUs. `seed` drives the
// random permutation traffic. Throws ModelError for unsupported shapes.
CollectivePlan make_plan(Collective c, Algo a, std::int64_t ranks, int domain, Bytes bytes,
                         std::uint64_t seed);

// Rank -> GPU: aligned keeps rank order; fragmented shuffles whole scale-up domains over the
// cluster (a job scattered across racks).
std::vector<std::int64_t> make_placement(Placement p, std::int64_t ranks, int domain,
                                         std::uint64_t seed);

// Double binary tree over n nodes: parent of node i in tree 0 / tree 1 (-1 for a root).
std::int64_t dbt_parent(std::int64_t n, int tree, std::int64_t i);

}  // namespace fb::model
