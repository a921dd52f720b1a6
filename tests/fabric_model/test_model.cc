#include <gtest/gtest.h>

#include "fabric_model/model.h"
#include "tests/fabric_model/test_util.h"

namespace fb::model {
namespace {

using testing::two_servers;

EvalOptions opts(const std::string& a, Bytes b) {
  EvalOptions o;
  o.algo = a;
  o.bytes = b;
  return o;
}

TEST(Model, HandWorkedRingTwoServers) {
  const auto ib = load_fabric_profile("infiniband_ndr");
  const double b = 16.0 * 1024 * 1024;
  const ModelResult r = evaluate(two_servers(), ib, opts("ring", 16u << 20));
  // 16 ranks: 30 steps. Per step each rail carries one chunk B/(8*16) = 131072 B at 400 Gb/s
  // = 50000 B/us (same leaf: 1 switch); NVLink carries 7/8 * B/16 per GPU at 370800 B/us.
  const double steps = 30, chunk = b / 128;
  const double wire = 4122.0 / 4096.0;  // 26 B IB headers per 4096 B packet
  const double net = steps * chunk / 50000.0;
  const double nvl = steps * 7.0 / 8.0 * b / 16 / 370800.0;
  ASSERT_GT(net * wire, nvl);
  EXPECT_NEAR(r.breakdown.latency_us, 14.0 + steps * (4.0 + 0.130), 1e-9);
  EXPECT_NEAR(r.breakdown.bandwidth_us, net, 1e-9);
  EXPECT_NEAR(r.breakdown.header_us, net * (wire - 1), 1e-9);
  EXPECT_NEAR(r.breakdown.congestion_us, 0, 1e-9);
  EXPECT_NEAR(r.time_us, 14.0 + steps * 4.13 + net * wire, 1e-9);
  EXPECT_EQ(r.max_switch_hops, 1);
  EXPECT_NEAR(r.busbw_gbps, b / r.time_us * 1e-3 * 30.0 / 16.0, 1e-9);
}

TEST(Model, HandWorkedHierarchicalTwoServers) {
  const auto ib = load_fabric_profile("infiniband_ndr");
  const double b = 16.0 * 1024 * 1024;
  const ModelResult r = evaluate(two_servers(), ib, opts("hier", 16u << 20));
  // NVLink: reduce-scatter + all-gather, 7 steps each of B/8: busier than the network's
  // 2 steps of B/16 per rail, so NVLink sets the pipelined transfer time.
  const double nvl = 14 * (b / 8) / 370800.0;
  EXPECT_NEAR(r.breakdown.bandwidth_us, nvl, 1e-9);
  EXPECT_NEAR(r.breakdown.header_us, 0, 1e-12);
  EXPECT_NEAR(r.breakdown.latency_us, 14.0 + 14 * 1.9 + 2 * 4.13, 1e-9);
  EXPECT_NEAR(r.time_us, r.breakdown.latency_us + nvl, 1e-9);
}

TEST(Model, AnalyticEqualsSolverWithoutContention) {
  const auto topo = load_cluster_config("colossus_like");
  for (const char* fabric : {"roce_adaptive", "infiniband_ndr_adaptive", "infiniband_ndr"}) {
    const auto fab = load_fabric_profile(fabric);
    for (std::string a : {"ring", "hier", "tree", "rhd"}) {
      if (a == "tree" && std::string(fabric) == "infiniband_ndr") continue;  // D-mod-k conflicts
      for (std::int64_t gpus : {64, 1024, 4096}) {
        for (Bytes b : {Bytes{1} << 20, Bytes{1} << 30}) {
          EvalOptions o = opts(a, b);
          o.gpus = gpus;
          const ModelResult flow = evaluate(topo, fab, o);
          o.analytic = true;
          const ModelResult ana = evaluate(topo, fab, o);
          EXPECT_DOUBLE_EQ(flow.time_us, ana.time_us)
              << fabric << " " << a << " " << gpus << " " << b;
          EXPECT_DOUBLE_EQ(flow.breakdown.congestion_us, 0);
          EXPECT_DOUBLE_EQ(flow.throughput_fraction, 1.0);
        }
      }
    }
  }
}

TEST(Model, RackScaleDomainAnalyticEqualsSolver) {
  // NVL72-style: 72-GPU scale-up domains of 4-GPU trays; ring, hier and tree cross domains only.
  const auto topo = load_cluster_config("nvl72_rack");
  const auto fab = load_fabric_profile("roce_adaptive");
  for (std::string a : {"ring", "hier", "tree"}) {
    EvalOptions o = opts(a, Bytes{1} << 30);
    const ModelResult flow = evaluate(topo, fab, o);
    o.analytic = true;
    const ModelResult ana = evaluate(topo, fab, o);
    EXPECT_DOUBLE_EQ(flow.time_us, ana.time_us) << a;
    EXPECT_EQ(flow.gpus, 9216);
  }
  EvalOptions rhd = opts("rhd", 1 << 20);
  EXPECT_THROW(evaluate(topo, fab, rhd), ModelError);  // 72 is not a power of two
}

TEST(Model, AdaptivePermutationIsFullRateEcmpIsNot) {
  const auto topo = load_cluster_config("colossus_like");
  EvalOptions o = opts("permutation", 64u << 20);
  o.collective = Collective::kPermutation;
  o.gpus = 8192;
  o.seeds = 3;
  const auto ar = evaluate(topo, load_fabric_profile("roce_adaptive"), o);
  const auto ecmp = evaluate(topo, load_fabric_profile("roce_ecmp"), o);
  EXPECT_DOUBLE_EQ(ar.throughput_fraction, 1.0);
  EXPECT_DOUBLE_EQ(ar.breakdown.congestion_us, 0);
  EXPECT_LT(ecmp.throughput_fraction, 0.9);
  EXPECT_GT(ecmp.throughput_fraction, 0.2);
  EXPECT_GT(ecmp.breakdown.congestion_us, 0);
  EXPECT_GT(ecmp.time_us, ar.time_us);
  EXPECT_EQ(ecmp.seed_time_us.size(), 3u);
  EXPECT_GT(ecmp.time_us_max, ecmp.time_us_min);  // seeds differ
}

TEST(Model, MonotoneInSizeAndBandwidth) {
  auto topo = load_cluster_config("colossus_like");
  topo.gpus = 4096;
  const auto fab = load_fabric_profile("roce_ecmp");
  for (std::string a : {"ring", "hier", "tree", "rhd"}) {
    EvalOptions o = opts(a, 0);
    o.placement = Placement::kFragmented;
    o.seeds = 2;
    double prev = 0;
    for (Bytes b : {Bytes{1} << 10, Bytes{1} << 20, Bytes{64} << 20, Bytes{1} << 30}) {
      o.bytes = b;
      const double t = evaluate(topo, fab, o).time_us;
      EXPECT_GE(t, prev) << a << " " << b;
      prev = t;
    }
    // Faster NICs and links, everything else equal (same seeds): never slower.
    auto fast = topo;
    fast.nic_gbps *= 2;
    for (auto& t : fast.tiers) t.link_gbps *= 2;
    const double slow_t = evaluate(topo, fab, o).time_us;
    const double fast_t = evaluate(fast, fab, o).time_us;
    EXPECT_LE(fast_t, slow_t) << a;
    auto fast_nvl = topo;
    fast_nvl.scaleup_gbps *= 2;
    EXPECT_LE(evaluate(fast_nvl, fab, o).time_us, slow_t) << a;
  }
}

TEST(Model, OverridesReplaceAssumedValues) {
  const auto topo = two_servers();
  const auto ib = load_fabric_profile("infiniband_ndr");
  EvalOptions o = opts("hier", 16u << 20);
  const double base = evaluate(topo, ib, o).time_us;
  o.overrides.scaleup_gbps = 2 * 2966.4;
  o.overrides.network_step_latency_us = 10.0;
  o.overrides.base_latency_us = 0.0;
  o.overrides.scaleup_step_latency_us = 0.0;
  const ModelResult r = evaluate(topo, ib, o);
  EXPECT_NE(r.time_us, base);
  EXPECT_NEAR(r.breakdown.latency_us, 2 * (10.0 + 0.130), 1e-9);
  o.overrides.qps = 0;
  EXPECT_THROW(evaluate(topo, ib, o), ModelError);
}

TEST(Model, EcmpSeedsAndQps) {
  const auto topo = load_cluster_config("colossus_like");
  EvalOptions o = opts("hier", 1u << 30);
  o.gpus = 8192;
  o.placement = Placement::kFragmented;
  o.seeds = 3;
  const auto one = evaluate(topo, load_fabric_profile("roce_ecmp"), o);
  EXPECT_GT(one.breakdown.congestion_us, 0);
  // More QPs per connection split each connection into more hashed flows: the collisions
  // average out and the slowest flow gets closer to its fair share.
  o.overrides.qps = 8;
  const auto eight = evaluate(topo, load_fabric_profile("roce_ecmp"), o);
  EXPECT_LT(eight.breakdown.congestion_us, one.breakdown.congestion_us);
}

TEST(Model, MillionGpuAnalyticIsFast) {
  const auto topo = load_cluster_config("cluster_1m");
  EvalOptions o = opts("hier", 1u << 30);
  o.analytic = true;
  const auto r = evaluate(topo, load_fabric_profile("roce_ecmp"), o);
  EXPECT_EQ(r.gpus, 1048576);
  EXPECT_LT(r.wall_s, 0.05);
  EXPECT_GT(r.time_us, 0);
}

TEST(Model, JsonHasSchemaFields) {
  const auto r = evaluate(two_servers(), load_fabric_profile("roce_ecmp"), opts("ring", 1024));
  const auto j = to_json(r);
  for (const char* k : {"gpus", "fabric", "collective", "algo", "bytes", "time_us", "algbw_gbps",
                        "busbw_gbps", "throughput_fraction", "breakdown"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k : {"latency_us", "bandwidth_us", "congestion_us", "header_us"})
    EXPECT_TRUE(j["breakdown"].contains(k)) << k;
}

}  // namespace
}  // namespace fb::model
