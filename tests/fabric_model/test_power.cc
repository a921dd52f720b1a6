// Network power of a bill of materials (fabric_model/power.h) against a hand computation from
// the figures of fabric_model/power/network_power.json.
#include <gtest/gtest.h>

#include "fabric_model/power.h"
#include "fabric_model/topology.h"

namespace fm = fb::model;

namespace {

// 8 HGX-like servers (64 GPUs, one 400G NIC per GPU, 8 rails) on a 2-tier Clos of radix-64
// 400G switches: a leaf has 32 down and 32 up ports; rail-optimised, 8 leaves (one per rail);
// the top folds 32 uplinks per leaf onto 4 spines with 8 parallel links each.
fm::ClusterConfig small_cluster(double nic_gbps = 400) {
  fm::ClusterConfig c;
  c.name = "power_test";
  c.gpus = 64;
  c.gpus_per_server = 8;
  c.scaleup_domain_gpus = 8;
  c.scaleup_gbps = 2966.4;
  c.nic_gbps = nic_gbps;
  c.planes = 1;
  c.rail_optimized = true;
  c.tier_count = 2;
  c.tiers = {{64, 400, 1.0}};
  return c;
}

}  // namespace

TEST(Power, SmallClusterMatchesHandComputation) {
  const fm::ClusterConfig c = small_cluster();
  const fm::BillOfMaterials b = fm::size_cluster(c);
  ASSERT_EQ(b.switches, 12);       // 8 leaves + 4 spines
  ASSERT_EQ(b.switch_links, 256);  // 8 leaves x 32 uplinks
  ASSERT_EQ(b.host_links, 64);
  // Per device (network_power.json): Quantum-2 747 W for 25.6 Tb/s, Spectrum-4 940 W for
  // 51.2 Tb/s; twin-port 800G switch-side module 17 W (8.5 W per 400G port); 400G NIC-side
  // module 9 W; ConnectX-7 400G NIC 24.9 W.
  // Optics: 2 x 256 switch-link ends x 8.5 + 64 host-link switch ends x 8.5 + 64 NIC-side x 9
  // = 4352 + 544 + 576 = 5472 W; NICs 64 x 24.9 = 1593.6 W.
  // InfiniBand: a radix-64 400G switch is one Quantum-2 box: 12 x 747 = 8964 W.
  const fm::NetworkPower ib = fm::network_power(c, b, "infiniband");
  ASSERT_TRUE(ib.complete());
  EXPECT_NEAR(ib.counted_watts, 8964 + 5472 + 1593.6, 1e-9);
  EXPECT_NEAR(ib.network_power_mw(), 0.0160296, 1e-12);
  // RoCEv2: 25.6 Tb/s is half a 51.2 Tb/s box: 12 x 470 = 5640 W.
  const fm::NetworkPower eth = fm::network_power(c, b, "rocev2");
  EXPECT_NEAR(eth.counted_watts, 5640 + 5472 + 1593.6, 1e-9);
  ASSERT_EQ(eth.items.size(), 6u);  // 2 switch tiers, 1 switch-link tier, 2 host optics, NICs
  EXPECT_EQ(eth.items[0].count, 8);
  EXPECT_EQ(eth.items[1].count, 4);
  EXPECT_DOUBLE_EQ(eth.items[1].watts_each, 470);
  EXPECT_EQ(eth.items[2].count, 512);
  EXPECT_EQ(eth.items.back().count, 64);
  EXPECT_DOUBLE_EQ(eth.items.back().watts_each, 24.9);
  for (const auto& it : eth.items) EXPECT_FALSE(it.source.empty()) << it.what;
}

// An 800G NIC (ConnectX-8 class) has no sourced figure: not counted, total unknown.
TEST(Power, UnsourcedDeviceMakesTheTotalIncomplete) {
  fm::ClusterConfig c = small_cluster(800);
  c.tiers = {{64, 800, 1.0}};
  const fm::NetworkPower p = fm::network_power(c, fm::size_cluster(c), "rocev2");
  EXPECT_FALSE(p.complete());
  EXPECT_LT(p.network_power_mw(), 0);
  ASSERT_EQ(p.not_counted.size(), 1u);
  EXPECT_EQ(p.not_counted[0], "NICs (one per GPU)");
  EXPECT_TRUE(fm::to_json(p).at("network_power_mw").is_null());
  EXPECT_THROW(fm::network_power(c, fm::size_cluster(c), "omnipath"), fm::ModelError);
}
