// Failed links, failed switches and a slow GPU (fabric_model/faults.h) on a small Clos whose
// max-min rates are computed by hand below.
//
// The Clos: 32 hosts, radix-8 switches, 2 tiers, every link 100 Gb/s. A leaf has 4 hosts and 4
// uplinks, one to each of the 4 spines (no parallel links). Four flows, one per host of leaf 0
// to the host of leaf 1 with the same position: host s -> host 4 + s (s = 0..3).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "fabric_model/faults.h"
#include "fabric_model/flow_solver.h"
#include "fabric_model/model.h"
#include "fabric_model/routing.h"
#include "test_util.h"

namespace fm = fb::model;

namespace {

fm::ClusterConfig clos32() { return fm::testing::plain_tree(32, 8, 2, 100); }

struct Solved {
  std::vector<double> rate;                   // Gb/s per flow
  std::vector<std::vector<fm::LinkId>> path;  // per flow
};

Solved solve(const fm::ClosTopology& t, fm::RoutingKind k, const fm::LinkFaults* lf,
             std::uint64_t seed = 1) {
  const fm::Router router(t, k, seed, lf);
  fm::FlowProblemBuilder b(t.link_slots());
  Solved s;
  for (std::int64_t h = 0; h < 4; ++h) {
    std::vector<fm::LinkId> p;
    router.route({h, 4 + h, 0, 0}, p);
    b.add_flow(p);
    s.path.push_back(p);
  }
  fm::FlowProblem prob = b.finish(t);
  if (lf != nullptr) lf->apply(prob.capacity, prob.link_ids);
  s.rate = fm::solve_max_min(prob);
  return s;
}

// Uplink port of leaf 0 a flow takes (its second link is leaf 0's switch-up link).
std::int64_t uplink(const fm::ClosTopology& t, const std::vector<fm::LinkId>& p) {
  return t.describe(p.at(1)).port;
}

void expect_rates(const Solved& s, const std::vector<double>& want) {
  ASSERT_EQ(s.rate.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_DOUBLE_EQ(s.rate[i], want[i]) << i;
}

}  // namespace

TEST(Faults, ShapeOfTheTestClos) {
  const fm::ClosTopology t(clos32());
  ASSERT_EQ(t.tiers(), 2);
  ASSERT_EQ(t.hosts_under(1), 4);
  ASSERT_EQ(t.up(1), 4);
  ASSERT_EQ(t.switches_at(2), 4);
  ASSERT_EQ(t.top_parallel_links(), 1);
  EXPECT_EQ(fm::LinkFaults::cables(t), 32);  // 8 leaves x 4 uplinks
  EXPECT_EQ(fm::LinkFaults::failable_switches(t), 4);
}

// Healthy, static D-mod-k: uplink = dst mod 4 = 0, 1, 2, 3: every flow alone on its path, 100.
// Leaf 0's uplink 0 dead: the flow to host 4 (4 mod 4 = 0) is rerouted to the live ports
// {1, 2, 3} at index 4 mod 3 = 1, i.e. port 2, which the flow to host 6 already takes: those two
// share 100 Gb/s (50 each), the others keep 100.
TEST(Faults, StaticRoutingRerouteDoublesUpOnePort) {
  const fm::ClosTopology t(clos32());
  expect_rates(solve(t, fm::RoutingKind::kStaticDmodK, nullptr), {100, 100, 100, 100});
  fm::LinkFaults lf(t);
  lf.fail_cable(0, 1, 0, 0);
  const Solved s = solve(t, fm::RoutingKind::kStaticDmodK, &lf);
  expect_rates(s, {50, 100, 50, 100});
  EXPECT_EQ(uplink(t, s.path[0]), 2);
}

// The dead cable on the destination side (leaf 1's uplink 1, i.e. spine 1 -> leaf 1): the flow
// to host 5 (5 mod 4 = 1) cannot descend through spine 1, so the reroute avoids port 1 at leaf 0
// too: live {0, 2, 3}, index 5 mod 3 = 2 -> port 3, shared with the flow to host 7: 50 each.
TEST(Faults, StaticRoutingAvoidsADeadCableOnTheWayDown) {
  const fm::ClosTopology t(clos32());
  fm::LinkFaults lf(t);
  lf.fail_cable(0, 1, 1, 1);
  const Solved s = solve(t, fm::RoutingKind::kStaticDmodK, &lf);
  expect_rates(s, {100, 50, 100, 50});
  EXPECT_EQ(uplink(t, s.path[1]), 3);
}

// Adaptive routing spreads over what is left: leaf 0's uplinks carry 3 x 100 = 300 Gb/s for 4
// flows: 75 each (host links, 100, are not the bottleneck). Healthy: 400 / 4 = 100.
TEST(Faults, AdaptiveSpreadsOverTheRemainingUplinks) {
  const fm::ClosTopology t(clos32());
  expect_rates(solve(t, fm::RoutingKind::kAdaptive, nullptr), {100, 100, 100, 100});
  fm::LinkFaults lf(t);
  lf.fail_cable(0, 1, 0, 0);
  expect_rates(solve(t, fm::RoutingKind::kAdaptive, &lf), {75, 75, 75, 75});
}

// ECMP: ports come from hashes, so the test takes the first seed whose healthy hashing puts a
// flow on leaf 0's uplink 0, kills that uplink, and checks what resilient rehashing implies:
// flows on live ports keep their whole path, the others leave the dead port, and every flow's
// rate is 100 Gb/s / (flows on its uplink) (a flow's uplink and its spine's downlink to leaf 1
// carry the same flows).
TEST(Faults, EcmpRehashesOnlyTheFlowsOfTheDeadPort) {
  const fm::ClosTopology t(clos32());
  std::uint64_t seed = 1;
  Solved healthy;
  for (; seed < 100; ++seed) {
    healthy = solve(t, fm::RoutingKind::kEcmp, nullptr, seed);
    bool on0 = false;
    for (const auto& p : healthy.path) on0 = on0 || uplink(t, p) == 0;
    if (on0) break;
  }
  ASSERT_LT(seed, 100u);
  fm::LinkFaults lf(t);
  lf.fail_cable(0, 1, 0, 0);
  const Solved s = solve(t, fm::RoutingKind::kEcmp, &lf, seed);
  int load[4] = {0, 0, 0, 0};
  for (std::size_t f = 0; f < 4; ++f) {
    const std::int64_t u = uplink(t, s.path[f]);
    EXPECT_NE(u, 0) << f;
    if (uplink(t, healthy.path[f]) != 0) {
      EXPECT_EQ(s.path[f], healthy.path[f]) << f;
    }
    ++load[u];
  }
  for (std::size_t f = 0; f < 4; ++f)
    EXPECT_DOUBLE_EQ(s.rate[f], 100.0 / load[uplink(t, s.path[f])]) << f;
}

// A failed spine takes its 8 cables (uplink 0 of every leaf): static routing behaves as with
// leaf 0's uplink 0 dead (50, 100, 50, 100); adaptive gets 300 Gb/s up out of leaf 0 and 300
// down into leaf 1: 75 each.
TEST(Faults, FailedSpineRemovesAllItsLinks) {
  const fm::ClosTopology t(clos32());
  fm::LinkFaults lf(t);
  lf.fail_switch(0, 2, 0);
  EXPECT_EQ(lf.dead_cables(), 8);
  for (std::int64_t leaf = 0; leaf < 8; ++leaf) EXPECT_TRUE(lf.dead(0, 1, leaf, 0)) << leaf;
  EXPECT_FALSE(lf.dead(0, 1, 0, 1));
  expect_rates(solve(t, fm::RoutingKind::kStaticDmodK, &lf), {50, 100, 50, 100});
  expect_rates(solve(t, fm::RoutingKind::kAdaptive, &lf), {75, 75, 75, 75});
}

// Host 0 twice as slow: its NIC link runs at 100 / 2 = 50 Gb/s, its flow gets 50 under every
// routing, the others keep 100.
TEST(Faults, SlowGpuGatesItsFlows) {
  const fm::ClosTopology t(clos32());
  fm::LinkFaults lf(t);
  lf.set_slow_gpu(0, 2.0);
  EXPECT_FALSE(lf.fabric_faults());
  for (auto k :
       {fm::RoutingKind::kStaticDmodK, fm::RoutingKind::kEcmp, fm::RoutingKind::kAdaptive}) {
    const Solved s = solve(t, k, &lf);
    EXPECT_DOUBLE_EQ(s.rate[0], 50.0) << fm::to_string(k);
  }
  expect_rates(solve(t, fm::RoutingKind::kStaticDmodK, &lf), {50, 100, 100, 100});
}

TEST(Faults, SeededChoiceAndBadValues) {
  const fm::ClosTopology t(clos32());
  fm::FaultOptions o;
  o.failed_links = 5;
  const auto a = fm::choose_faults(t, o, 7), b = fm::choose_faults(t, o, 7);
  EXPECT_EQ(a->dead_cables(), 5);
  int same = 0;
  for (std::int64_t leaf = 0; leaf < 8; ++leaf)
    for (std::int64_t p = 0; p < 4; ++p) same += a->dead(0, 1, leaf, p) == b->dead(0, 1, leaf, p);
  EXPECT_EQ(same, 32);  // same seed, same failures
  o.failed_links = 33;
  EXPECT_THROW(fm::choose_faults(t, o, 1), fm::ModelError);
  o.failed_links = 0;
  o.failed_switches = 5;
  EXPECT_THROW(fm::choose_faults(t, o, 1), fm::ModelError);
  o.failed_switches = 4;  // every spine: the leaves are cut apart
  const auto all = fm::choose_faults(t, o, 1);
  EXPECT_EQ(all->dead_cables(), 32);
  EXPECT_THROW(solve(t, fm::RoutingKind::kStaticDmodK, all.get()), fm::ModelError);
  EXPECT_THROW(solve(t, fm::RoutingKind::kAdaptive, all.get()), fm::ModelError);
  for (double f : {0.5, 0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    fm::FaultOptions s;
    s.slow_gpu_factor = f;
    EXPECT_THROW(s.validate(), fm::ModelError) << f;
  }
  fm::FaultOptions n;
  n.failed_links = -1;
  EXPECT_THROW(n.validate(), fm::ModelError);
}

// The whole model path (EvalOptions::faults -> seeded failure set -> router -> solver): four
// 2-rank ring all-gathers at once, group g on hosts {g, 4 + g} (leaf 0 and leaf 1), B = 1 MB:
// one step of B/2 = 500,000 B per connection, 40 us at 100 Gb/s (no headers in the test
// profile). One spine fails (which one depends on the seed; every one gives the same rates):
// static routing reroutes the flow to and from the dead spine's destination onto a port that
// already carries a flow -> 50 Gb/s, 80 us, congestion 40 us; adaptive spreads 4 flows over 300
// Gb/s -> 75 Gb/s, 53.33 us, congestion 13.33 us. Healthy: no congestion for either.
TEST(Faults, FailedSpineThroughTheModel) {
  const fm::ClusterConfig c = clos32();
  fm::EvalOptions o;
  o.collective = fm::Collective::kAllGather;
  o.algo = "ring";
  fm::ConcurrentGroups g;
  g.ranks = 2;
  g.groups = 4;
  g.domain = 1;
  g.gpus = [](std::uint64_t) { return std::vector<std::int64_t>{0, 4, 1, 5, 2, 6, 3, 7}; };
  const fm::Bytes b = 1000000;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    o.seed_base = seed;
    for (auto k : {fm::RoutingKind::kStaticDmodK, fm::RoutingKind::kAdaptive}) {
      const fm::FabricProfile fab = fm::testing::profile(k);
      o.faults = {};
      const fm::ModelResult healthy = fm::evaluate_concurrent(c, fab, o, g, {b}).front();
      EXPECT_DOUBLE_EQ(healthy.breakdown.bandwidth_us, 40.0);
      EXPECT_NEAR(healthy.breakdown.congestion_us, 0.0, 1e-9);
      o.faults.failed_switches = 1;
      const fm::ModelResult faulty = fm::evaluate_concurrent(c, fab, o, g, {b}).front();
      EXPECT_DOUBLE_EQ(faulty.breakdown.bandwidth_us, 40.0);
      const double want = k == fm::RoutingKind::kStaticDmodK ? 40.0 : 40.0 / 3;
      EXPECT_NEAR(faulty.breakdown.congestion_us, want, 1e-9) << fm::to_string(k) << seed;
    }
  }
}
