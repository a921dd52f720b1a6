#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "fabric_model/flow_solver.h"
#include "fabric_model/routing.h"
#include "tests/fabric_model/test_util.h"

namespace fb::model {
namespace {

FlowProblem hand_problem(std::vector<double> caps, std::vector<std::vector<int>> paths) {
  FlowProblem p;
  p.capacity = std::move(caps);
  p.offsets = {0};
  for (const auto& path : paths) {
    for (int l : path) p.links.push_back(l);
    p.offsets.push_back(static_cast<std::int64_t>(p.links.size()));
  }
  return p;
}

TEST(Solver, HandWorkedMaxMin) {
  // Link 0 (10) carries flows 0,1; link 1 (4) carries flows 1,2. Link 1 saturates first at
  // 2 each; flow 0 then takes the rest of link 0: 8.
  auto p = hand_problem({10, 4}, {{0}, {0, 1}, {1}});
  auto r = solve_max_min(p);
  EXPECT_DOUBLE_EQ(r[0], 8);
  EXPECT_DOUBLE_EQ(r[1], 2);
  EXPECT_DOUBLE_EQ(r[2], 2);
  EXPECT_TRUE(check_max_min(p, r).ok);
  // A non-max-min allocation fails the certificate.
  EXPECT_FALSE(check_max_min(p, {5, 2, 2}).ok);
  EXPECT_FALSE(check_max_min(p, {9, 2, 2}).ok);
}

TEST(Solver, ParkingLot) {
  // Three links of capacity 1 in a row; one long flow over all, one short flow per link:
  // every flow gets 1/2.
  auto p = hand_problem({1, 1, 1}, {{0, 1, 2}, {0}, {1}, {2}});
  auto r = solve_max_min(p);
  for (double x : r) EXPECT_DOUBLE_EQ(x, 0.5);
}

TEST(Solver, CertificateOnRandomInstances) {
  std::mt19937_64 rng(42);
  for (int inst = 0; inst < 200; ++inst) {
    const int nl = 1 + static_cast<int>(rng() % 30), nf = 1 + static_cast<int>(rng() % 60);
    std::vector<double> caps;
    for (int l = 0; l < nl; ++l) caps.push_back(1 + static_cast<double>(rng() % 1000) / 10);
    std::vector<std::vector<int>> paths;
    for (int f = 0; f < nf; ++f) {
      std::vector<int> path;
      const int len = 1 + static_cast<int>(rng() % 5);
      for (int k = 0; k < len; ++k) {
        const int l = static_cast<int>(rng() % static_cast<std::uint64_t>(nl));
        if (std::find(path.begin(), path.end(), l) == path.end()) path.push_back(l);
      }
      paths.push_back(path);
    }
    auto p = hand_problem(caps, paths);
    auto r = solve_max_min(p);
    auto c = check_max_min(p, r);
    ASSERT_TRUE(c.ok) << "instance " << inst << ": " << c.message;
    EXPECT_LE(c.max_utilisation, 1 + 1e-9);
  }
}

TEST(Solver, TwoTierFourLeavesStaticRouting) {
  // radix 4: 2 hosts and 2 uplinks per leaf, 4 leaves, 2 spines, all links 100 Gb/s.
  ClosTopology t(testing::plain_tree(8, 4, 2));
  ASSERT_EQ(t.subtrees(1), 4);
  Router dmodk(t, RoutingKind::kStaticDmodK, 1);
  auto rates = [&](const Router& router, std::vector<std::pair<int, int>> flows) {
    FlowProblemBuilder b(t.link_slots());
    std::vector<LinkId> path;
    for (auto [s, d] : flows) {
      path.clear();
      router.route({s, d, 0, 0}, path);
      b.add_flow(path);
    }
    auto p = b.finish(t);
    auto r = solve_max_min(p);
    EXPECT_TRUE(check_max_min(p, r).ok);
    return r;
  };
  // Destinations 2 and 4 are both even: D-mod-k sends both up uplink 0 of leaf 0: 50 each.
  auto r1 = rates(dmodk, {{0, 2}, {1, 4}});
  EXPECT_DOUBLE_EQ(r1[0], 50);
  EXPECT_DOUBLE_EQ(r1[1], 50);
  // Destinations 2 and 5 use different uplinks: full rate.
  auto r2 = rates(dmodk, {{0, 2}, {1, 5}});
  EXPECT_DOUBLE_EQ(r2[0], 100);
  EXPECT_DOUBLE_EQ(r2[1], 100);
  // Adaptive routing splits both over both uplinks: full rate for the colliding pair too.
  Router ar(t, RoutingKind::kAdaptive, 1);
  auto r3 = rates(ar, {{0, 2}, {1, 4}});
  EXPECT_DOUBLE_EQ(r3[0], 100);
  EXPECT_DOUBLE_EQ(r3[1], 100);
  // Incast: three sources into host 7 share its 100 Gb/s link.
  auto r4 = rates(dmodk, {{0, 7}, {2, 7}, {4, 7}});
  for (double x : r4) EXPECT_NEAR(x, 100.0 / 3, 1e-12);
}

TEST(Solver, EcmpMatchesBallsIntoBins) {
  // 16 flows from the 16 hosts of leaf 0 to the 16 hosts of leaf 1 hash onto u = 16 uplinks.
  // Balls into bins: E[empty bins] = u (1 - 1/u)^F, E[sum of squared loads] = F + F(F-1)/u.
  ClosTopology t(testing::plain_tree(512, 32, 2));
  const int u = static_cast<int>(t.up(1)), flows = 16, trials = 4000;
  ASSERT_EQ(u, 16);
  double empty_sum = 0, empty_sq = 0, sq_sum = 0, sq_sq = 0, slow_match = 0;
  std::vector<LinkId> path;
  for (int s = 0; s < trials; ++s) {
    Router router(t, RoutingKind::kEcmp, static_cast<std::uint64_t>(s) + 1000);
    std::vector<int> load(static_cast<size_t>(u), 0);
    FlowProblemBuilder b(t.link_slots());
    for (int f = 0; f < flows; ++f) {
      path.clear();
      router.route({f, 16 + f, 0, 0}, path);
      ++load[static_cast<size_t>(t.describe(path[1]).port)];
      b.add_flow(path);
    }
    int empty = 0, maxload = 0;
    double sq = 0;
    for (int x : load) {
      empty += x == 0;
      sq += x * x;
      maxload = std::max(maxload, x);
    }
    empty_sum += empty;
    empty_sq += empty * empty;
    sq_sum += sq;
    sq_sq += sq * sq;
    // The solver's slowest flow is exactly the link rate over the fullest bin.
    if (s < 200) {
      auto p = b.finish(t);
      auto r = solve_max_min(p);
      const double rmin = *std::min_element(r.begin(), r.end());
      slow_match += std::abs(rmin - 100.0 / maxload) < 1e-9;
    }
  }
  const double e_empty = u * std::pow(1 - 1.0 / u, flows);
  const double mean_empty = empty_sum / trials;
  const double se_empty = std::sqrt((empty_sq / trials - mean_empty * mean_empty) / trials);
  EXPECT_NEAR(mean_empty, e_empty, 4 * se_empty);
  const double e_sq = flows + flows * (flows - 1.0) / u;
  const double mean_sq = sq_sum / trials;
  const double se_sq = std::sqrt((sq_sq / trials - mean_sq * mean_sq) / trials);
  EXPECT_NEAR(mean_sq, e_sq, 4 * se_sq);
  EXPECT_EQ(slow_match, 200);
}

}  // namespace
}  // namespace fb::model
