// solve_max_min against the plain formulation it was derived from (separate arrays per link,
// a frozen flag per flow): the packed layout must give bit-identical rates, ties included.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <queue>
#include <random>

#include "fabric_model/flow_solver.h"

namespace fb::model {
namespace {

std::vector<double> reference_max_min(const FlowProblem& p) {
  const std::size_t nf = p.flows(), nl = p.capacity.size();
  std::vector<double> rate(nf, std::numeric_limits<double>::infinity());
  std::vector<std::vector<std::size_t>> lflows(nl);
  for (std::size_t f = 0; f < nf; ++f)
    for (std::int64_t k = p.offsets[f]; k < p.offsets[f + 1]; ++k)
      lflows[static_cast<std::size_t>(p.links[static_cast<std::size_t>(k)])].push_back(f);
  std::vector<double> rem(p.capacity);
  std::vector<std::int64_t> cnt(nl);
  for (std::size_t l = 0; l < nl; ++l) cnt[l] = static_cast<std::int64_t>(lflows[l].size());
  std::vector<std::uint32_t> stamp(nl, 0);
  std::vector<char> frozen(nf, 0), dirty(nl, 0);
  struct Entry {
    double share;
    std::int32_t link;
    std::uint32_t stamp;
    bool operator>(const Entry& o) const { return share > o.share; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  for (std::size_t l = 0; l < nl; ++l)
    if (cnt[l] > 0)
      heap.push({rem[l] / static_cast<double>(cnt[l]), static_cast<std::int32_t>(l), 0});
  std::vector<std::size_t> touched;
  while (!heap.empty()) {
    const Entry e = heap.top();
    heap.pop();
    const auto l = static_cast<std::size_t>(e.link);
    if (e.stamp != stamp[l] || cnt[l] == 0) continue;
    for (std::size_t f : lflows[l]) {
      if (frozen[f]) continue;
      frozen[f] = 1;
      rate[f] = e.share;
      for (std::int64_t q = p.offsets[f]; q < p.offsets[f + 1]; ++q) {
        const auto l2 = static_cast<std::size_t>(p.links[static_cast<std::size_t>(q)]);
        rem[l2] = std::max(0.0, rem[l2] - e.share);
        --cnt[l2];
        if (!dirty[l2]) {
          dirty[l2] = 1;
          touched.push_back(l2);
        }
      }
    }
    for (std::size_t t : touched) {
      dirty[t] = 0;
      ++stamp[t];
      if (cnt[t] > 0)
        heap.push({std::max(e.share, rem[t] / static_cast<double>(cnt[t])),
                   static_cast<std::int32_t>(t), stamp[t]});
    }
    touched.clear();
  }
  return rate;
}

bool same_bits(double a, double b) {
  std::uint64_t x = 0, y = 0;
  std::memcpy(&x, &a, sizeof a);
  std::memcpy(&y, &b, sizeof b);
  return x == y;
}

// Small integer capacities and few links: many equal shares, so the tie order matters.
FlowProblem random_problem(std::mt19937_64& rng, int nl, int nf, bool zero_and_inf) {
  FlowProblem p;
  for (int l = 0; l < nl; ++l) p.capacity.push_back(static_cast<double>(1 + rng() % 8) * 100);
  if (zero_and_inf) {
    p.capacity[0] = 0;
    p.capacity[static_cast<std::size_t>(nl - 1)] = std::numeric_limits<double>::infinity();
  }
  p.offsets = {0};
  for (int f = 0; f < nf; ++f) {
    const int len = static_cast<int>(rng() % 6);  // 0: a flow without links
    std::vector<std::int32_t> path;
    for (int k = 0; k < len; ++k) {
      const auto l = static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(nl));
      if (std::find(path.begin(), path.end(), l) == path.end()) path.push_back(l);
    }
    p.links.insert(p.links.end(), path.begin(), path.end());
    p.offsets.push_back(static_cast<std::int64_t>(p.links.size()));
  }
  return p;
}

TEST(SolverReference, BitIdenticalOnRandomInstancesWithTies) {
  std::mt19937_64 rng(7);
  for (int inst = 0; inst < 300; ++inst) {
    const int nl = 2 + static_cast<int>(rng() % 40), nf = 1 + static_cast<int>(rng() % 400);
    const FlowProblem p = random_problem(rng, nl, nf, inst % 3 == 0);
    const std::vector<double> got = solve_max_min(p), want = reference_max_min(p);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t f = 0; f < got.size(); ++f)
      ASSERT_TRUE(same_bits(got[f], want[f]))
          << "instance " << inst << " flow " << f << ": " << got[f] << " vs " << want[f];
  }
}

TEST(SolverReference, FlowsWithoutLinksAndDeadLinks) {
  // Flow 0 has no links (+inf); flow 1 crosses a dead link (0); flow 2 an infinite one (+inf);
  // flow 3 shares link 1 (capacity 6) with flow 1: 6.
  FlowProblem p;
  p.capacity = {0, 6, std::numeric_limits<double>::infinity()};
  p.offsets = {0, 0, 2, 3, 4};
  p.links = {0, 1, 2, 1};
  const std::vector<double> r = solve_max_min(p);
  EXPECT_TRUE(std::isinf(r[0]));
  EXPECT_EQ(r[1], 0.0);
  EXPECT_TRUE(std::isinf(r[2]));
  EXPECT_EQ(r[3], 6.0);
}

}  // namespace
}  // namespace fb::model
