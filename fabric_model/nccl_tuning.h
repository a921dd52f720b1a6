#pragma once
// NCCL's own cost model (its tuner's latency/bandwidth table and the "least time" choice), as a
// library: what NCCL would pick and the time it believes that pick takes, for a job described by
// our topology. Re-implemented from reading NCCL's public src/tuning/*.cc (2.30 line, commit in
// fabric_model/tuning/nccl_2_30.json); every constant lives in that file with its source line.
//
//   time(algo, proto, bytes) = lat * latCount + bytes / (1000 * bw)      [us, bytes, GB/s]
//
// lat and bw come from the table built once per job (build_table); per size the Tree correction
// factor scales bw and the ring "plateau" scales lat (algo_time). NCCL picks the least time.
//
//   auto table = nccl::build_table(job, nccl::default_constants());
//   auto ranked = nccl::rank_candidates(table, Collective::kAllReduce, 1 << 30);  // best first
//   auto results = nccl::evaluate_sizes(topo, fab, options, "auto", "", {1 << 20, 1 << 30});
#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fabric_model/config.h"
#include "fabric_model/model.h"
#include "fabric_model/profile.h"
#include "fabric_model/traffic.h"
#include "fabric_model/units.h"

namespace fb::model::nccl {

// NCCL's order (NCCL_ALGO_TREE = 0 ... NCCL_ALGO_PAT = 6) and protocols (LL, LL128, Simple).
enum class Algorithm { kTree, kRing, kCollNetDirect, kCollNetChain, kNvls, kNvlsTree, kPat };
enum class Protocol { kLL, kLL128, kSimple };
inline constexpr int kNumAlgorithms = 7;
inline constexpr int kNumProtocols = 3;
inline constexpr int kNumCollectives = 3;  // all_reduce, all_gather, reduce_scatter
inline constexpr int kNumCompCaps = 4;     // Volta, Ampere, Hopper, Blackwell
inline constexpr int kNumNodeClasses = 3;  // 1, 2, >2 nodes

std::string to_string(Algorithm a);  // our CLI names: ring, tree, collnet_direct, ...
std::string to_string(Protocol p);   // LL, LL128, Simple
std::string nccl_name(Algorithm a);  // NCCL's names: Ring, Tree, CollNetDirect, ...
Algorithm algorithm_from_string(const std::string& s);  // throws ModelError
Protocol protocol_from_string(const std::string& s);    // throws ModelError

enum class CpuVendor { kIntel, kAmd, kMixed, kOther };

using AlgoProtoTable = std::array<std::array<double, kNumProtocols>, kNumAlgorithms>;
using CapNodeTable = std::array<std::array<double, kNumNodeClasses>, kNumCompCaps>;

// Every number of NCCL's tuner this model uses (see the JSON file for each one's source).
struct Constants {
  std::string nccl_version, commit;
  AlgoProtoTable base_latency_us{};
  std::array<AlgoProtoTable, 3> hw_latency_us{};  // [nvlink, pci, net]
  CapNodeTable ll_max_gbytes_per_s{}, per_channel_max_ring_ll128_gbytes_per_s{},
      per_channel_max_tree_ll128_gbytes_per_s{}, per_channel_max_tree_gbytes_per_s{},
      per_channel_max_nvls_tree_gbytes_per_s{};
  std::array<std::array<double, 24>, kNumProtocols> tree_correction_factor{};
  int tree_correction_log_size_limit = 0, nvls_tree_correction_log_size_limit = 0;
  int tree_correction_size_shift_bits = 0, nvls_tree_correction_min_compcap = 0;
  double ring_ll_bw_factor = 0, ring_ll128_bw_factor = 0, tree_allreduce_bw_factor = 0;
  double tree_ll_bw_divisor = 0, tree_ll128_bw_factor_one_node = 0;
  double tree_ll128_bw_factor_multi_node = 0, tree_pattern_tree_bw_factor = 0;
  double tree_bus_to_alg_ratio = 0, collnet_bus_to_alg_ratio = 0;
  double collnet_allgather_inter_factor = 0, collnet_direct_arity_latency_us = 0;
  int max_direct_arity = 0, max_nvls_arity = 0;
  std::array<double, kNumCompCaps> nvls_efficiency{};
  double nvls_tree_two_node_inter_factor = 0, nvls_allreduce_intra_factor = 0;
  double pat_bw_factor = 0, pat_log_latency_divisor = 0, pat_linear_latency_per_rank_us = 0;
  int pat_min_compcap = 0;
  double ring_plateau_factor = 0, ring_plateau_factor_pre_sm80 = 0;
  double ring_plateau_min_bytes_per_rank_per_channel = 0;
  double net_overhead_intel_us = 0, net_overhead_amd_us = 0, net_overhead_other_us = 0;
  double net_overhead_simple_multiplier = 0;
  // Search speed arrays, GB/s per channel, descending: [sm_pre90, sm90, sm100].
  std::array<std::vector<double>, 3> speed_array_inter_gbytes_per_s, speed_array_intra_gbytes_per_s;
  double dup_channels_min_bw_gbytes_per_s = 0, dup_channels_skip_below_gbytes_per_s = 0;
  int dup_channels_skip_above_channels = 0, ring_max_channels = 0;
  std::map<std::string, std::string> sources;  // constant name -> source line
};

// Strict: unknown or missing keys, a missing/empty source or a value of the wrong shape is a
// one-line ModelError naming `origin` and the key.
Constants parse_constants(const nlohmann::json& j, const std::string& origin);
Constants constants_from_text(const std::string& text, const std::string& origin);
// The embedded fabric_model/tuning/nccl_2_30.json (parsed once).
const Constants& default_constants();

// One of NCCL's graphs as the tuner reads it (struct ncclTopoGraph's fields it uses).
struct GraphInfo {
  int channels = 0;
  double bw_intra_gbytes_per_s = 0;  // per channel
  double bw_inter_gbytes_per_s = 0;  // per channel
  double latency_inter_us = 0;       // graph->latencyInter (network plugin's latency)
  std::string pattern;               // ring, balanced_tree, tree, split_tree, nvls, collnet_direct
};

// What NCCL knows about the communicator when it builds its table.
struct Job {
  std::int64_t ranks = 0;
  std::int64_t nodes = 0;  // servers (NCCL's nNodes = hosts)
  int compute_capability = 90;
  CpuVendor cpu = CpuVendor::kIntel;  // assumed x86 Intel: net overhead 1 us, llMaxBws row 0
  bool nvlink_intra = true;           // graphs' typeIntra NVLink (else PCI)
  bool nvls_multicast = false;        // NVSwitch multicast (comm->nvlsSupport)
  bool in_network_reduction = false;  // a CollNet plugin with SHARP-class switches
  bool collnet_enable = false;        // NCCL_COLLNET_ENABLE=1 (NCCL's default is 0)
  bool pat_enable = true;             // NCCL_PAT_ENABLE=2 (auto), no net device offload
  bool x86 = true;                    // cpuArch; gates the Blackwell NVLSTree correction
  std::array<GraphInfo, kNumAlgorithms> graphs;  // indexed by Algorithm
};

struct Entry {
  bool applicable = false;
  std::string reason;  // why not (applicable == false)
  double latency_us = 0;
  double bandwidth_gbytes_per_s = 0;  // algorithm bandwidth NCCL divides bytes by
};

struct Table {
  Job job;
  // [all_reduce, all_gather, reduce_scatter][algorithm][protocol]
  std::array<std::array<std::array<Entry, kNumProtocols>, kNumAlgorithms>, kNumCollectives> e;
  const Entry& at(Collective c, Algorithm a, Protocol p) const;
};

// Throws ModelError for fewer than 2 ranks or a shape NCCL cannot form.
Table build_table(const Job& job, const Constants& k);

struct AlgoTime {
  Algorithm algo = Algorithm::kRing;
  Protocol proto = Protocol::kSimple;
  bool applicable = false;
  std::string reason;
  double latency_us = 0;              // lat * latCount, after the ring plateau
  double bandwidth_gbytes_per_s = 0;  // after the tree correction factor
  double bandwidth_us = 0;            // bytes / (1000 * bw)
  double time_us = 0;                 // latency_us + bandwidth_us
};

AlgoTime algo_time(const Table& t, const Constants& k, Collective c, Algorithm a, Protocol p,
                   Bytes bytes);
// Every (algorithm, protocol) for the collective: applicable ones by time (NCCL's choice first,
// ties kept in NCCL's id order), then the others with their reason.
std::vector<AlgoTime> rank_candidates(const Table& t, const Constants& k, Collective c,
                                      Bytes bytes);

// Measured or known graph values that replace the derived ones (per graph, indexed by Algorithm).
struct GraphOverride {
  std::optional<int> channels;
  std::optional<double> bw_intra_gbytes_per_s, bw_inter_gbytes_per_s, latency_inter_us;
  std::optional<std::string> pattern;
};

struct Options {
  std::array<GraphOverride, kNumAlgorithms> graphs;
  CpuVendor cpu = CpuVendor::kIntel;
  bool pat_enable = true;
  // Default: on where the fabric has in-network reduction (what a SHARP deployment sets).
  std::optional<bool> collnet_enable;
};

struct DerivedGraphs {
  std::array<GraphInfo, kNumAlgorithms> graphs;
  std::vector<std::string> rules;     // how each graph was derived
  std::vector<std::string> unknowns;  // what NCCL's search would decide that we cannot know
};

DerivedGraphs derive_graphs(const ClusterConfig& topo, std::int64_t ranks, const Constants& k,
                            const Options& o = {});
Job make_job(const ClusterConfig& topo, const FabricProfile& fab, std::int64_t ranks,
             const DerivedGraphs& g, const Options& o = {});

// The `fabricbench model --method nccl` entry. algo: "auto" (NCCL's choice), "all" (same, every
// candidate listed), or one name (forced: ModelError naming why when it does not apply).
// protocol: "" (best for the algorithm) or LL / LL128 / Simple (forced). Uses o.collective and
// o.gpus only: the flow-model overrides (o.overrides) do not enter NCCL's formulas.
std::vector<ModelResult> evaluate_sizes(const ClusterConfig& topo, const FabricProfile& fab,
                                        const EvalOptions& o, const std::string& algo,
                                        const std::string& protocol,
                                        const std::vector<Bytes>& sizes);
std::vector<ModelResult> evaluate_sizes(const ClusterConfig& topo, const FabricProfile& fab,
                                        const EvalOptions& o, const std::string& algo,
                                        const std::string& protocol,
                                        const std::vector<Bytes>& sizes, const Options& nccl);

}  // namespace fb::model::nccl
