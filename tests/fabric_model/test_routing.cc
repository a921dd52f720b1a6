#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>

#include "fabric_model/flow_solver.h"
#include "fabric_model/routing.h"
#include "fabric_model/traffic.h"
#include "tests/fabric_model/test_util.h"

namespace fb::model {
namespace {

std::vector<double> solve_pairs(const ClosTopology& t, const Router& router,
                                const std::vector<std::pair<std::int64_t, std::int64_t>>& pairs) {
  FlowProblemBuilder b(t.link_slots());
  std::vector<LinkId> path;
  for (auto [s, d] : pairs) {
    path.clear();
    router.route({s, d, 0, 0}, path);
    b.add_flow(path);
  }
  auto p = b.finish(t);
  auto r = solve_max_min(p);
  EXPECT_TRUE(check_max_min(p, r).ok);
  return r;
}

TEST(Routing, DmodKShiftPermutationIsContentionFree) {
  // Destination-based routing on a full fat tree routes any shift permutation without conflict.
  for (int tiers : {2, 3}) {
    const std::int64_t n = tiers == 2 ? 128 : 1024;
    ClosTopology t(testing::plain_tree(n, 16, tiers));
    Router router(t, RoutingKind::kStaticDmodK, 0);
    for (std::int64_t shift :
         {std::int64_t{1}, std::int64_t{7}, std::int64_t{8}, std::int64_t{64}, n / 2 + 3}) {
      std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
      for (std::int64_t h = 0; h < n; ++h) pairs.push_back({h, (h + shift) % n});
      for (double r : solve_pairs(t, router, pairs)) ASSERT_DOUBLE_EQ(r, 100) << shift;
    }
  }
}

TEST(Routing, AdaptiveRandomPermutationIsFullRate) {
  ClosTopology t(testing::plain_tree(1024, 16, 3));
  Router router(t, RoutingKind::kAdaptive, 0);
  std::vector<std::int64_t> perm(1024);
  std::iota(perm.begin(), perm.end(), 0);
  std::mt19937_64 rng(3);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  for (std::int64_t h = 0; h < 1024; ++h)
    if (perm[static_cast<size_t>(h)] != h) pairs.push_back({h, perm[static_cast<size_t>(h)]});
  for (double r : solve_pairs(t, router, pairs)) ASSERT_DOUBLE_EQ(r, 100);
}

TEST(Routing, EcmpRandomPermutationLosesThroughput) {
  ClosTopology t(testing::plain_tree(1024, 16, 3));
  std::vector<std::int64_t> perm(1024);
  std::iota(perm.begin(), perm.end(), 0);
  std::mt19937_64 rng(3);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  for (std::int64_t h = 0; h < 1024; ++h)
    if (perm[static_cast<size_t>(h)] != h) pairs.push_back({h, perm[static_cast<size_t>(h)]});
  auto frac = [&](RoutingKind k) {
    Router router(t, k, 5);
    auto r = solve_pairs(t, router, pairs);
    return std::accumulate(r.begin(), r.end(), 0.0) / (100.0 * static_cast<double>(r.size()));
  };
  const double ecmp = frac(RoutingKind::kEcmp), polar = frac(RoutingKind::kEcmpPolarized);
  EXPECT_LT(ecmp, 0.95);
  EXPECT_GT(ecmp, 0.3);
  EXPECT_LT(polar, ecmp);  // correlated choices use fewer paths
}

TEST(Routing, PolarisedHashRepeatsTheChoiceAtEveryTier) {
  ClosTopology t(testing::plain_tree(1024, 16, 3));
  ASSERT_EQ(t.up(1), t.up(2));
  Router polar(t, RoutingKind::kEcmpPolarized, 9), seeded(t, RoutingKind::kEcmp, 9);
  int same_polar = 0, same_seeded = 0, n = 0;
  std::vector<LinkId> path;
  for (std::int64_t s = 0; s < 64; ++s)
    for (std::int64_t d = 512; d < 1024; d += 37) {
      path.clear();
      polar.route({s, d, 0, 0}, path);
      same_polar += t.describe(path[1]).port == t.describe(path[2]).port;
      path.clear();
      seeded.route({s, d, 0, 0}, path);
      same_seeded += t.describe(path[1]).port == t.describe(path[2]).port;
      ++n;
    }
  EXPECT_EQ(same_polar, n);
  EXPECT_LT(same_seeded, n / 4);
}

TEST(Routing, QpsAreDistinctFlows) {
  ClosTopology t(testing::plain_tree(512, 32, 2));
  Router router(t, RoutingKind::kEcmp, 1);
  std::set<int> ports;
  std::vector<LinkId> path;
  for (std::uint32_t qp = 0; qp < 64; ++qp) {
    path.clear();
    router.route({0, 100, 0, qp}, path);
    ports.insert(t.describe(path[1]).port);
  }
  EXPECT_GT(ports.size(), 8u);  // 64 QPs spread over 16 uplinks
}

}  // namespace
}  // namespace fb::model

namespace fb::model {
namespace {

// Invariants at scale: the solved rates of a real collective step on a 8k-GPU fragmented job
// satisfy the max-min certificate for every routing policy.
TEST(Routing, CertificateOnCollectiveStepAtScale) {
  auto c = load_cluster_config("colossus_like");
  c.gpus = 8192;
  ClosTopology t(c);
  const auto plan = make_plan(Collective::kAllReduce, "hier", c.gpus, 8, 1u << 20, 1);
  const auto gpu = make_placement(Placement::kFragmented, c.gpus, 8, 3);
  std::vector<Connection> conns;
  for (const auto& ph : plan.phases)
    if (ph.resource == Resource::kNetwork) ph.connections(conns);
  ASSERT_EQ(conns.size(), 8192u);
  for (RoutingKind k : {RoutingKind::kEcmp, RoutingKind::kEcmpPolarized, RoutingKind::kStaticDmodK,
                        RoutingKind::kAdaptive}) {
    Router router(t, k, 11);
    FlowProblemBuilder b(t.link_slots());
    std::vector<LinkId> path;
    for (const auto& cn : conns) {
      path.clear();
      router.route({t.host_of_gpu(gpu[static_cast<size_t>(cn.src_rank)]),
                    t.host_of_gpu(gpu[static_cast<size_t>(cn.dst_rank)]), 0, 0},
                   path);
      b.add_flow(path);
    }
    auto p = b.finish(t);
    auto r = solve_max_min(p);
    auto cert = check_max_min(p, r);
    EXPECT_TRUE(cert.ok) << to_string(k) << ": " << cert.message;
    EXPECT_LE(cert.max_utilisation, 1 + 1e-9);
    // Every flow is limited by at most its NIC.
    for (double x : r) ASSERT_LE(x, t.host_link_gbps() + 1e-9);
  }
}

// The model solves one plane under static routing: the premise is that D-mod-k routes do not
// depend on the plane, so both planes' flows get identical rates when solved together.
TEST(Routing, StaticPlanesAreIdentical) {
  auto c = load_cluster_config("cluster_1m");
  c.gpus = 4096;
  ClosTopology t(c);
  ASSERT_EQ(t.planes(), 2);
  const auto plan = make_plan(Collective::kAllReduce, "tree", c.gpus, 8, 1u << 20, 1);
  std::vector<Connection> conns;
  for (const auto& ph : plan.phases)
    if (ph.resource == Resource::kNetwork) ph.connections(conns);
  Router router(t, RoutingKind::kStaticDmodK, 1);
  FlowProblemBuilder b(t.link_slots());
  std::vector<LinkId> path;
  for (const auto& cn : conns)
    for (int plane = 0; plane < 2; ++plane) {
      path.clear();
      router.route({t.host_of_gpu(cn.src_rank), t.host_of_gpu(cn.dst_rank), plane, 0}, path);
      b.add_flow(path);
    }
  const auto p = b.finish(t);
  const auto r = solve_max_min(p);
  for (std::size_t f = 0; f + 1 < r.size(); f += 2) ASSERT_DOUBLE_EQ(r[f], r[f + 1]) << f;
}

}  // namespace
}  // namespace fb::model
