#pragma once
// Collective cost on a fabric: the public entry point of the fabric model.
//
//   time = base latency
//        + sum over steps of alpha        (alpha = per-step NIC/protocol latency
//                                           + switches traversed x switch latency)
//        + sum over pipelined groups of the busiest resource's transfer time
//          (network bytes / max-min fair rate, NVLink bytes / scale-up bandwidth, reduction)
//
// The breakdown keeps latency, bandwidth (payload at the uncontended rate), header (packet
// header bytes) and congestion (extra time from sharing links inside the fabric, i.e. ECMP
// collisions, oversubscription, static-routing conflicts). Nothing is scaled by an efficiency
// constant: losses come out of topology + routing + max-min fair sharing.
//
// Calibration API (used by the calibration/publish stage):
//
//   fb::model::ClusterConfig topo = fb::model::load_cluster_config("colossus_like");  // or a path
//   fb::model::FabricProfile fab = fb::model::load_fabric_profile("roce_ecmp");        // or a path
//   fb::model::EvalOptions o;
//   o.collective = fb::model::Collective::kAllReduce;
//   o.algo = "hier";        // a registered algorithm (algos/registry.cc) or "auto" (fastest)
//   o.bytes = 1 << 30;
//   o.gpus = 16384;          // 0 = the topology's own GPU count
//   o.seeds = 4;             // ECMP hash seeds / placements; mean and spread reported
//   o.analytic = false;      // true: closed form alpha-beta, no flows (< 1 ms)
//   o.overrides.scaleup_gbps = 8 * 360.0;           // measured NVLink, Gb/s per GPU per direction
//   o.overrides.scaleup_step_latency_us = 2.1;      // measured per NVLink step
//   o.overrides.network_step_latency_us = 5.5;      // measured per network step (NIC + software)
//   o.overrides.base_latency_us = 10.0;             // measured once per collective
//   o.overrides.gpu_reduce_gbytes_per_s = 1000.0;   // measured reduction kernel rate
//   fb::model::ModelResult r = fb::model::evaluate(topo, fab, o);
//   // r.time_us, r.algbw_gbps, r.busbw_gbps, r.breakdown.{latency,bandwidth,congestion,header}_us
//
// All functions throw fb::model::ModelError on bad input; nothing prints or exits.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fabric_model/config.h"
#include "fabric_model/faults.h"
#include "fabric_model/profile.h"
#include "fabric_model/topology.h"
#include "fabric_model/traffic.h"

namespace fb::model {

inline constexpr const char* kModelSchema = "fabricbench.model/1";

// Measured values that replace the topology's or profile's assumed ones.
struct ModelOverrides {
  std::optional<double> scaleup_gbps;             // Gb/s per GPU per direction
  std::optional<double> scaleup_step_latency_us;  // per NVLink step
  std::optional<double> network_step_latency_us;  // per network step, NIC + software
  std::optional<double> base_latency_us;          // once per collective
  std::optional<double> gpu_reduce_gbytes_per_s;  // reduction rate per GPU, GB/s; 0 = ignore
  std::optional<int> qps;                         // flows (QPs) per connection
};

struct EvalOptions {
  Collective collective = Collective::kAllReduce;
  std::string algo = "auto";  // a registered algorithm name, or "auto": the fastest that applies
  Bytes bytes = 0;
  std::int64_t gpus = 0;  // 0 = the topology's GPU count; else the cluster is resized
  int seeds = 1;
  std::uint64_t seed_base = 1;
  Placement placement = Placement::kAligned;
  bool analytic = false;
  ModelOverrides overrides;
  FaultOptions faults;  // failed links / switches and a slow GPU, drawn per seed (faults.h)
};

struct Breakdown {
  Micros latency_us = 0;
  Micros bandwidth_us = 0;
  Micros congestion_us = 0;
  Micros header_us = 0;
};

// One algorithm (and protocol, for the nccl method) evaluated for a point by --algo auto/all.
struct Candidate {
  std::string algo;
  std::string protocol;  // nccl method only (LL, LL128, Simple)
  bool applicable = true;
  std::string reason;  // why it does not apply (applicable == false)
  Micros time_us = 0;
  double busbw_gbps = 0;
};

struct ModelResult {
  std::string topology, fabric, routing, collective, algo, placement, method;
  std::string protocol;               // nccl method: LL, LL128 or Simple; empty otherwise
  std::string selection;              // "forced" (--algo NAME), "auto" (fastest) or "all"
  std::vector<Candidate> candidates;  // auto/all: every algorithm considered, best first
  std::int64_t gpus = 0;
  int tiers = 0;
  Bytes bytes = 0;
  Micros time_us = 0;  // mean over seeds
  Micros time_us_min = 0, time_us_max = 0, time_us_stddev = 0;
  double algbw_gbps = 0;  // GB/s (1e9 B/s), as nccl-tests
  double busbw_gbps = 0;
  double throughput_fraction = 1;  // delivered / offered network rate, mean over seeds
  Breakdown breakdown;             // mean over seeds
  int seeds = 1;
  std::vector<Micros> seed_time_us;
  std::int64_t flows = 0;  // largest flow set solved
  int max_switch_hops = 0;
  double wall_s = 0;
  std::vector<std::string> approximations;
};

// options.algo "auto": every registered algorithm that applies is evaluated and the fastest is
// returned (selection "auto", candidates best first, the ones that do not apply last with their
// reason). A named algorithm that does not apply throws ModelError naming why.
ModelResult evaluate(const ClusterConfig& topology, const FabricProfile& fabric,
                     const EvalOptions& options);
// Several message sizes at once (options.bytes ignored): each flow set is solved once per seed
// and reused for every size. wall_s of the first result includes the solves.
std::vector<ModelResult> evaluate_sizes(const ClusterConfig& topology, const FabricProfile& fabric,
                                        const EvalOptions& options,
                                        const std::vector<Bytes>& sizes);
// Every candidate as its own result (options.algo ignored): per size, the applicable
// algorithms best first (selection "all"); each result's candidates list every algorithm.
std::vector<std::vector<ModelResult>> evaluate_all(const ClusterConfig& topology,
                                                   const FabricProfile& fabric,
                                                   const EvalOptions& options,
                                                   const std::vector<Bytes>& sizes);
// Why `algo` does not apply to this point ("" = it applies). Throws for an unknown name.
std::string not_applicable(const ClusterConfig& topology, const FabricProfile& fabric,
                           const EvalOptions& options, const std::string& algo);
nlohmann::json to_json(const ModelResult& r);

struct ModelAlgorithm;  // fabric_model/algos/algorithm.h

// Identical communicators running at the same time on one fabric (a training job's groups):
// `groups` communicators of `ranks` ranks each; group g's rank r runs on GPU
// gpus(seed)[g * ranks + r] (GPU ids of the topology, resized to options.gpus); each run of
// `domain` consecutive ranks of a group shares one scale-up domain. The network phases of all
// groups are routed together and solved as one max-min problem, so they share links, switches
// and planes; a step lasts as long as its slowest flow over all groups. Scale-up and reduction
// phases are per GPU (each GPU is in one group of the kind). options.algo as for evaluate
// (auto: among the algorithms NCCL runs, one algorithm for every group), or `custom` (e.g.
// pipeline point-to-point) when non-null. options.placement only labels the result; the map is
// the caller's. One result per size.
struct ConcurrentGroups {
  std::int64_t ranks = 0;
  std::int64_t groups = 1;
  int domain = 1;
  std::function<std::vector<std::int64_t>(std::uint64_t seed)> gpus;
  const ModelAlgorithm* custom = nullptr;
};
// Several collectives on the same communicators (one fabric): the flow sets one solved are
// reused by the next (e.g. a DP reduce-scatter and all-gather of the same algorithm). The
// constructor's options give the cluster size, overrides and placement label; evaluate's give
// the collective, algo and seeds.
class ConcurrentSession {
 public:
  ConcurrentSession(const ClusterConfig& topology, const FabricProfile& fabric,
                    const EvalOptions& options, ConcurrentGroups groups);
  ~ConcurrentSession();
  ConcurrentSession(const ConcurrentSession&) = delete;
  ConcurrentSession& operator=(const ConcurrentSession&) = delete;
  std::vector<ModelResult> evaluate(const EvalOptions& options, const std::vector<Bytes>& sizes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};
std::vector<ModelResult> evaluate_concurrent(const ClusterConfig& topology,
                                             const FabricProfile& fabric,
                                             const EvalOptions& options,
                                             const ConcurrentGroups& groups,
                                             const std::vector<Bytes>& sizes);

}  // namespace fb::model
