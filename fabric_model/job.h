#pragma once
// A training job on a cluster: its communicators (which ranks form each TP, CP, PP, DP, EP
// group), the collectives of one training step with their sizes, and the step's communication
// time on a fabric with every group of a kind running at once (evaluate_concurrent).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fabric_model/config.h"
#include "fabric_model/job_spec.h"
#include "fabric_model/model.h"
#include "fabric_model/profile.h"
#include "fabric_model/traffic.h"

namespace fb::model {

struct Communicator {
  std::string kind;               // tp, cp, pp, dp, ep, edp (expert data parallel)
  std::int64_t ranks = 0;         // per group
  std::int64_t groups = 0;        // groups of this kind (all run at the same time)
  int gpus_per_server = 0;        // GPUs of one group on one server
  int ranks_per_domain = 0;       // GPUs of one group in one scale-up domain
  int concurrent_per_server = 0;  // groups of this kind with GPUs on one server
  // groups x ranks job ranks, group after group, each group in increasing rank order. A job
  // rank is the GPU it runs on under aligned placement.
  std::vector<std::int64_t> members;
};

struct StepCollective {
  std::string kind;  // the communicator's
  Collective collective = Collective::kAllReduce;
  bool p2p = false;        // pipeline send/recv between neighbouring stages (not a collective)
  Bytes bytes = 0;         // per call, nccl-tests size convention (p2p: per send)
  std::int64_t calls = 0;  // per step at `bytes`
  Bytes last_bytes = 0;    // DP: a smaller last bucket (0: none)
  std::string per;         // what one call is for ("bucket", "layer x micro-batch", ...)
  double bytes_per_step() const {
    return static_cast<double>(bytes) * static_cast<double>(calls) +
           static_cast<double>(last_bytes);
  }
  std::string name() const { return p2p ? "send_recv" : to_string(collective); }
};

struct JobLayout {
  JobSpec spec;
  std::vector<Communicator> communicators;
  std::vector<StepCollective> collectives;
  std::vector<std::string> approximations;
  const Communicator& communicator(const std::string& kind) const;  // throws if absent
};

// Validates the spec on the cluster and builds groups and step collectives. Throws ModelError.
JobLayout build_job(const JobSpec& spec, const ClusterConfig& cluster);

// Job ranks -> GPUs for a placement and seed (aligned: identity; fragmented: whole scale-up
// domains shuffled over the job's GPUs, make_placement).
std::vector<std::int64_t> job_placement(const JobLayout& job, const ClusterConfig& cluster,
                                        Placement placement, std::uint64_t seed);

struct JobEvalOptions {
  Placement placement = Placement::kAligned;
  int seeds = 1;
  std::uint64_t seed_base = 1;
  std::string algo = "auto";  // for every collective (pipeline send/recv is always p2p)
  FaultOptions faults;        // failed links / switches, slow GPU (faults.h); none = healthy
};

struct CollectiveTime {
  std::string kind, collective, algo, per;
  Bytes bytes = 0;
  std::int64_t calls = 0;
  double bytes_per_step = 0;
  Micros time_us_per_call = 0;  // at `bytes`
  Micros time_us_per_step = 0;
  Micros congestion_us_per_step = 0;
  double throughput_fraction = 1;
  bool network = true;  // false: inside the scale-up domain only
  std::int64_t flows = 0;
  double wall_s = 0;
};

struct JobFabricResult {
  std::string fabric, routing;
  std::vector<CollectiveTime> collectives;
  Micros comm_time_us_per_step = 0;
  Micros exposed_time_us_per_step = -1;  // -1: no compute time given
  Micros congestion_us_per_step = 0;
  double throughput_fraction = 1;  // over network collectives, weighted by their time
  double ratio_to_best = 1;
  double wall_s = 0;
  std::vector<std::string> approximations;
};

// One fabric: every step collective with all groups of its kind concurrent. Throws ModelError.
JobFabricResult evaluate_job(const JobLayout& job, const ClusterConfig& cluster,
                             const FabricProfile& fabric, const JobEvalOptions& options);
// Fills ratio_to_best (comm time / the smallest comm time).
void rank_fabrics(std::vector<JobFabricResult>& results);

// The overlap rule: DP collectives overlap the step's compute and are exposed only beyond it;
// TP, CP, PP and EP collectives are on the critical path and exposed in full.
inline constexpr const char* kOverlapRule =
    "exposed = TP + CP + PP + EP time + max(0, DP time - compute time per step); compute time "
    "= 6 x active parameters x tokens per step / (GPUs x achieved TFLOP/s per GPU)";

nlohmann::json to_json(const Communicator& c);

}  // namespace fb::model
