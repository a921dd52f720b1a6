// The presets of the hardware nccl-tests logs come from (hgx_h100, hgx_b200, gb200_nvl72,
// hgx_a100): values as sourced in the JSON files, and resizable like every preset.
#include <gtest/gtest.h>

#include "fabric_model/config.h"
#include "fabric_model/model.h"
#include "fabric_model/profile.h"

namespace fb::model {
namespace {

struct PresetCase {
  const char* name;
  std::int64_t gpus;
  int per_server, domain;
  double scaleup_gbps, nic_gbps;
  bool multicast;
  int cc;
  std::int64_t small;  // a smaller size to resize to: two scale-up domains
};

const PresetCase kCases[] = {
    // 20.6 GB/s x 18 NVLink4 = 370.8 GB/s x 8 = 2966.4 Gb/s
    {"hgx_h100", 256, 8, 8, 2966.4, 400, true, 90, 16},
    // 40.0 GB/s x 18 NVLink5 = 720 GB/s x 8 = 5760 Gb/s
    {"hgx_b200", 256, 8, 8, 5760, 400, true, 100, 16},
    {"gb200_nvl72", 576, 4, 72, 5760, 400, true, 100, 144},
    // 20.0 GB/s x 12 NVLink3 = 240 GB/s x 8 = 1920 Gb/s; no NVLink SHARP before NVSwitch gen 3
    {"hgx_a100", 160, 8, 8, 1920, 200, false, 80, 16},
};

TEST(Presets, ServerPresetsHaveTheirSourcedValues) {
  for (const auto& c : kCases) {
    const ClusterConfig t = load_cluster_config(c.name);
    EXPECT_EQ(t.name, c.name);
    EXPECT_EQ(t.gpus, c.gpus) << c.name;
    EXPECT_EQ(t.gpus_per_server, c.per_server) << c.name;
    EXPECT_EQ(t.scaleup_domain_gpus, c.domain) << c.name;
    EXPECT_DOUBLE_EQ(t.scaleup_gbps, c.scaleup_gbps) << c.name;
    EXPECT_DOUBLE_EQ(t.nic_gbps, c.nic_gbps) << c.name;
    EXPECT_EQ(t.scaleup_multicast, c.multicast) << c.name;
    EXPECT_EQ(t.gpu_compute_capability, c.cc) << c.name;
    EXPECT_DOUBLE_EQ(t.scaleup_step_latency_us, 1.9) << c.name;
    EXPECT_FALSE(t.source.empty()) << c.name;
  }
}

TEST(Presets, ServerPresetsResizeLikeTheOthers) {
  const FabricProfile ib = load_fabric_profile("infiniband_ndr");
  for (const auto& c : kCases) {
    const ClusterConfig t = load_cluster_config(c.name);
    for (std::int64_t gpus : {c.small, c.gpus, std::int64_t{2016}}) {
      EvalOptions o;
      o.algo = "ring";
      o.bytes = Bytes{1} << 30;
      o.gpus = gpus;
      o.analytic = true;
      const ModelResult r = evaluate(t, ib, o);
      EXPECT_EQ(r.gpus, gpus) << c.name;
      // Across domains a ring's busbw never exceeds the domain's NICs together (one ring channel
      // per GPU of the domain, each through its own NIC).
      EXPECT_LE(r.busbw_gbps, c.nic_gbps * c.domain / 8) << c.name << " " << gpus;
      EXPECT_GT(r.busbw_gbps, 0) << c.name;
    }
  }
}

}  // namespace
}  // namespace fb::model
