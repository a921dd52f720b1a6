#include <gtest/gtest.h>

#include "fabric_model/routing.h"
#include "fabric_model/topology.h"
#include "tests/fabric_model/test_util.h"

namespace fb::model {
namespace {

using testing::plain_tree;

TEST(Sizer, TwoTierFullIsKSquaredOverTwo) {
  for (int k : {4, 8, 16, 64, 128}) {
    const std::int64_t hosts = std::int64_t{k} * k / 2;
    auto b = size_cluster(plain_tree(hosts, k, 0));
    EXPECT_EQ(b.tiers, 2) << k;
    EXPECT_EQ(b.max_hosts, hosts);
    EXPECT_EQ(b.switches_per_tier[0], k);      // leaves
    EXPECT_EQ(b.switches_per_tier[1], k / 2);  // spines
    EXPECT_EQ(b.switch_links, hosts);
    EXPECT_EQ(b.host_links, hosts);
    EXPECT_EQ(b.transceivers, 4 * hosts);
    // One more host needs a third tier.
    EXPECT_EQ(size_cluster(plain_tree(hosts + 1, k, 0)).tiers, 3);
  }
}

TEST(Sizer, ThreeTierFullIsKCubedOverFour) {
  for (int k : {4, 8, 16, 128}) {
    const std::int64_t hosts = std::int64_t{k} * k * k / 4;
    auto b = size_cluster(plain_tree(hosts, k, 0));
    EXPECT_EQ(b.tiers, 3);
    EXPECT_EQ(b.max_hosts, hosts);
    EXPECT_EQ(b.switches_per_tier[0], std::int64_t{k} * k / 2);
    EXPECT_EQ(b.switches_per_tier[1], std::int64_t{k} * k / 2);
    EXPECT_EQ(b.switches_per_tier[2], std::int64_t{k} * k / 4);
    EXPECT_EQ(b.switches, 5 * std::int64_t{k} * k / 4);
    EXPECT_EQ(b.switch_links, 2 * hosts);
  }
}

TEST(Sizer, PartialPopulationMatchesClosArithmetic) {
  // N hosts on radix-k switches, t tiers, 1:1: (t-1) * 2N/k + N/k switches and (t-1) N links.
  const int k = 16;
  for (std::int64_t n : {256, 512, 1024}) {
    auto b = size_cluster(plain_tree(n, k, 3));
    EXPECT_EQ(b.switches_per_tier[0], 2 * n / k);
    EXPECT_EQ(b.switches_per_tier[1], 2 * n / k);
    EXPECT_EQ(b.switches_per_tier[2], n / k);
    EXPECT_EQ(b.switches, 2 * 2 * n / k + n / k);
    EXPECT_EQ(b.switch_links, 2 * n);
  }
  // Not a multiple of the leaf size: the last leaf is partly filled.
  auto b = size_cluster(plain_tree(100, 16, 2));
  EXPECT_EQ(b.switches_per_tier[0], 13);
  EXPECT_EQ(b.switches_per_tier[1], 8);
  EXPECT_EQ(b.switch_links, 13 * 8);
  EXPECT_EQ(b.host_links, 100);
}

TEST(Sizer, PlanesAndOversubscription) {
  auto c = plain_tree(512, 16, 0);
  c.planes = 2;
  auto b = size_cluster(c);
  EXPECT_EQ(b.tiers, 3);
  EXPECT_EQ(b.switches, 2 * (2 * 2 * 512 / 16 + 512 / 16));
  EXPECT_EQ(b.host_links, 1024);
  // 3:1 at the leaf: 12 down, 4 up.
  auto o = plain_tree(96, 16, 2);
  o.tiers[0].oversubscription_ratio = 3;
  auto bo = size_cluster(o);
  EXPECT_EQ(bo.down_ports_per_tier[0], 12);
  EXPECT_EQ(bo.up_ports_per_tier[0], 4);
  EXPECT_EQ(bo.switches_per_tier[0], 8);
  EXPECT_EQ(bo.switch_links, 32);
}

TEST(Sizer, ColossusLikePreset) {
  auto b = size_cluster(load_cluster_config("colossus_like"));
  EXPECT_EQ(b.tiers, 3);
  EXPECT_EQ(b.gpus, 100000);
  // 12,500 servers in groups of 64 per rail leaf: 196 groups x 8 rails.
  EXPECT_EQ(b.switches_per_tier[0], 196 * 8);
  EXPECT_EQ(b.host_links, 100000);
}

TEST(Topology, RailOptimisedPutsSameLocalGpuOnOneLeaf) {
  auto c = load_cluster_config("colossus_like");
  c.gpus = 2048;
  ClosTopology t(c);
  const std::int64_t m1 = t.m(1);
  for (int l = 0; l < 8; ++l) {
    EXPECT_EQ(t.host_of_gpu(l) / m1, t.host_of_gpu(8 + l) / m1);
    EXPECT_EQ(t.lca_level(t.host_of_gpu(l), t.host_of_gpu(8 * 63 + l)), 1);
    if (l > 0) {
      EXPECT_NE(t.host_of_gpu(l) / m1, t.host_of_gpu(0) / m1);
    }
  }
  c.rail_optimized = false;
  ClosTopology r(c);
  EXPECT_EQ(r.host_of_gpu(5) / r.m(1), 0);
}

TEST(Topology, PathsAreConsistent) {
  for (int tiers : {2, 3}) {
    const auto c = plain_tree(tiers == 2 ? 32 : 96, 8, tiers);
    ClosTopology t(c);
    for (RoutingKind k :
         {RoutingKind::kEcmp, RoutingKind::kStaticDmodK, RoutingKind::kEcmpPolarized}) {
      Router router(t, k, 7);
      std::vector<LinkId> path;
      for (std::int64_t a = 0; a < c.gpus; ++a)
        for (std::int64_t b = 0; b < c.gpus; ++b) {
          path.clear();
          const int hops = router.route({a, b, 0, 0}, path);
          const int l = t.lca_level(a, b);
          ASSERT_EQ(hops, a == b ? 0 : 2 * l - 1);
          if (a == b) continue;
          ASSERT_EQ(path.size(), static_cast<size_t>(2 * l));
          EXPECT_EQ(path.front(), t.host_up(0, a));
          EXPECT_EQ(path.back(), t.host_down(0, b));
          for (LinkId id : path) ASSERT_LT(id, t.link_slots());
          if (l >= 2) {
            const LinkInfo first = t.describe(path[1]);
            EXPECT_EQ(first.kind, LinkKind::kSwitchUp);
            EXPECT_EQ(first.index, a / t.m(1));
            const LinkInfo last = t.describe(path[path.size() - 2]);
            EXPECT_EQ(last.kind, LinkKind::kSwitchDown);
            EXPECT_EQ(last.index, b / t.m(1));  // into the destination leaf
            // Up and down halves meet at one switch: the top digit of the replica matches.
            const LinkInfo up_top = t.describe(path[static_cast<size_t>(l - 1)]);
            const LinkInfo down_top = t.describe(path[static_cast<size_t>(l)]);
            EXPECT_EQ(up_top.port % t.parents(l - 1), down_top.port % t.parents(l - 1));
          }
        }
    }
  }
}

TEST(Topology, SingleSwitch) {
  ClosTopology t(plain_tree(10, 16, 0));
  EXPECT_EQ(t.tiers(), 1);
  EXPECT_EQ(t.switch_hops(0, 9), 1);
  EXPECT_THROW(ClosTopology(plain_tree(17, 16, 1)), ModelError);
}

}  // namespace
}  // namespace fb::model
