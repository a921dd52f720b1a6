#pragma once
// Cluster (topology) configuration: a folded Clos of 1-4 tiers described by a JSON file with
// units in its keys, or by a named preset under fabric_model/presets/.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fabric_model/units.h"

namespace fb::model {

struct TierSpec {
  int radix = 0;                      // ports per switch at this tier
  Gbps link_gbps = 0;                 // speed of every port of this tier
  double oversubscription_ratio = 1;  // down ports : up ports (ignored at the top tier)
};

struct ClusterConfig {
  std::string name;
  std::string source;
  std::int64_t gpus = 0;
  int gpus_per_server = 8;             // = NICs per server = rails (one NIC per GPU)
  int scaleup_domain_gpus = 8;         // NVLink domain: 8 (server) or 72 (rack)
  Gbps scaleup_gbps = 0;               // per GPU, per direction
  Micros scaleup_step_latency_us = 0;  // per NVLink step
  double gpu_reduce_gbytes_per_s = 0;  // reduction rate per GPU; 0 = not modelled
  // NVSwitch with NVLink SHARP (multicast + in-switch reduction), what NCCL's NVLS and NVLSTree
  // algorithms need (third-generation NVSwitch and later: HGX H100/H200/B200, GB200 NVL72).
  bool scaleup_multicast = false;
  Micros scaleup_multicast_latency_us = 0;  // one NVLS reduce + multicast (NCCL hwLat NVLink NVLS)
  int gpu_compute_capability = 90;  // SM version x 10 (90 = Hopper): selects NCCL's per-arch tables
  Gbps nic_gbps = 0;                // per GPU, split evenly across planes
  int planes = 1;                   // parallel copies of the fabric
  bool rail_optimized = true;       // GPU i of every server on leaf (rail) i
  int tier_count = 0;               // 0 = smallest that fits; else 1..4
  std::vector<TierSpec> tiers;      // per tier from the leaf up; the last repeats

  // Throws ModelError on any inconsistency (negative speeds, radix too small, ...).
  void validate() const;
};

// Parses a JSON object; unknown keys are rejected. Throws ModelError.
ClusterConfig parse_cluster_config(const nlohmann::json& j);
ClusterConfig cluster_config_from_text(const std::string& text, const std::string& origin);
// A preset name (see list_presets()) or a path to a JSON file.
ClusterConfig load_cluster_config(const std::string& name_or_path);
std::vector<std::string> list_presets();
nlohmann::json to_json(const ClusterConfig& c);

// Shared JSON helpers (strict parsing with clear messages).
namespace json_util {
void reject_unknown_keys(const nlohmann::json& j, const std::vector<std::string>& allowed,
                         const std::string& where);
std::string read_text_file(const std::string& path);
// Text from a file, fit for a one-line error message: at most 80 bytes, control characters '?'.
std::string printable(const std::string& text);
}  // namespace json_util

}  // namespace fb::model
