#include "fabric_model/flow_solver.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>

namespace fb::model {

FlowProblemBuilder::FlowProblemBuilder(std::uint64_t link_slots) : map_(link_slots, -1) {}

void FlowProblemBuilder::add_flow(const std::vector<LinkId>& path) {
  for (LinkId id : path) {
    std::int32_t& m = map_[id];
    if (m < 0) {
      m = static_cast<std::int32_t>(ids_.size());
      ids_.push_back(id);
    }
    links_.push_back(m);
  }
  offsets_.push_back(static_cast<std::int64_t>(links_.size()));
}

void FlowProblemBuilder::reserve(std::size_t flows, std::size_t links) {
  offsets_.reserve(flows + 1);
  links_.reserve(links);
}

FlowProblem FlowProblemBuilder::finish(const ClosTopology& topo) {
  FlowProblem p;
  p.capacity.reserve(ids_.size());
  for (LinkId id : ids_) p.capacity.push_back(topo.capacity_gbps(id));
  p.offsets = std::move(offsets_);
  p.links = std::move(links_);
  p.link_ids = std::move(ids_);
  std::vector<std::int32_t>().swap(map_);
  offsets_ = {0};
  return p;
}

// Memory-bound on large problems (millions of links and flows, random access): the per-link
// state is one 16-byte record (one cache line visit per path link instead of four arrays), and a
// flow's frozen mark is the sign of its rate. The sequence of heap operations, and so every
// rate, is the one of the plain formulation.
std::vector<double> solve_max_min(const FlowProblem& p) {
  const std::size_t nf = p.flows(), nl = p.capacity.size();
  // Negative: not frozen yet. Levels are never negative (remaining capacity is clamped at 0).
  constexpr double kUnfrozen = -1.0;
  std::vector<double> rate(nf, kUnfrozen);
  // Link -> flows (CSR).
  std::vector<std::int64_t> loff(nl + 1, 0);
  for (std::int32_t l : p.links) ++loff[static_cast<std::size_t>(l) + 1];
  for (std::size_t l = 0; l < nl; ++l) loff[l + 1] += loff[l];
  std::vector<std::int32_t> lflows(p.links.size());
  {
    std::vector<std::int64_t> fill(loff.begin(), loff.end() - 1);
    for (std::size_t f = 0; f < nf; ++f)
      for (std::int64_t k = p.offsets[f]; k < p.offsets[f + 1]; ++k)
        lflows[static_cast<std::size_t>(fill[static_cast<std::size_t>(p.links[k])]++)] =
            static_cast<std::int32_t>(f);
  }
  // rem: remaining capacity; cnt: unfrozen flows; stamp: version of the link's heap entry, its
  // top bit marks a link touched by the current bottleneck (cleared when re-keyed).
  struct LinkState {
    double rem;
    std::int32_t cnt;
    std::uint32_t stamp;
  };
  constexpr std::uint32_t kTouched = 0x80000000U;
  std::vector<LinkState> ls(nl);
  for (std::size_t l = 0; l < nl; ++l) {
    ls[l].rem = p.capacity[l];
    ls[l].cnt = static_cast<std::int32_t>(loff[l + 1] - loff[l]);
    ls[l].stamp = 0;
  }
  struct Entry {
    double share;
    std::int32_t link;
    std::uint32_t stamp;
    bool operator>(const Entry& o) const { return share > o.share; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  for (std::size_t l = 0; l < nl; ++l)
    if (ls[l].cnt > 0)
      heap.push({ls[l].rem / static_cast<double>(ls[l].cnt), static_cast<std::int32_t>(l), 0});
  std::vector<std::int32_t> touched;
  // Random access dominates: the next heap top's link and the flows a few entries ahead are
  // fetched early (prefetches only; no effect on the results).
  constexpr std::int64_t kAhead = 8;
  while (!heap.empty()) {
    const Entry e = heap.top();
    heap.pop();
    if (!heap.empty()) __builtin_prefetch(&ls[static_cast<std::size_t>(heap.top().link)]);
    const auto l = static_cast<std::size_t>(e.link);
    if (e.stamp != ls[l].stamp || ls[l].cnt == 0) continue;
    const double level = e.share;
    // Freeze every unfrozen flow of the bottleneck link at the current level.
    const std::int64_t kend = loff[l + 1];
    for (std::int64_t k = loff[l]; k < kend; ++k) {
      if (k + kAhead < kend) {
        const auto fa = static_cast<std::size_t>(lflows[static_cast<std::size_t>(k + kAhead)]);
        __builtin_prefetch(&rate[fa]);
        __builtin_prefetch(&p.offsets[fa]);
      }
      if (k + kAhead / 2 < kend) {
        const auto fb = static_cast<std::size_t>(lflows[static_cast<std::size_t>(k + kAhead / 2)]);
        __builtin_prefetch(p.links.data() + p.offsets[fb]);
      }
      const auto f = static_cast<std::size_t>(lflows[static_cast<std::size_t>(k)]);
      if (rate[f] >= 0) continue;
      rate[f] = level;
      const std::int64_t q0 = p.offsets[f], q1 = p.offsets[f + 1];
      for (std::int64_t q = q0; q < q1; ++q)
        __builtin_prefetch(&ls[static_cast<std::size_t>(p.links[q])]);
      for (std::int64_t q = q0; q < q1; ++q) {
        const auto l2 = static_cast<std::size_t>(p.links[q]);
        LinkState& s = ls[l2];
        s.rem = std::max(0.0, s.rem - level);
        --s.cnt;
        if ((s.stamp & kTouched) == 0) {
          s.stamp |= kTouched;
          touched.push_back(static_cast<std::int32_t>(l2));
        }
      }
    }
    for (std::int32_t t : touched) {
      LinkState& s = ls[static_cast<std::size_t>(t)];
      s.stamp = (s.stamp & ~kTouched) + 1;
      if (s.cnt > 0) heap.push({std::max(level, s.rem / static_cast<double>(s.cnt)), t, s.stamp});
    }
    touched.clear();
  }
  // Flows with no links were never frozen.
  for (double& r : rate)
    if (r < 0) r = std::numeric_limits<double>::infinity();
  return rate;
}

Certificate check_max_min(const FlowProblem& p, const std::vector<double>& rate, double rel_tol) {
  Certificate c;
  const std::size_t nf = p.flows(), nl = p.capacity.size();
  std::vector<double> load(nl, 0.0), maxrate(nl, 0.0);
  for (std::size_t f = 0; f < nf; ++f)
    for (std::int64_t k = p.offsets[f]; k < p.offsets[f + 1]; ++k) {
      const auto l = static_cast<std::size_t>(p.links[k]);
      load[l] += rate[f];
      maxrate[l] = std::max(maxrate[l], rate[f]);
    }
  for (std::size_t l = 0; l < nl; ++l) {
    c.max_utilisation = std::max(c.max_utilisation, load[l] / p.capacity[l]);
    if (load[l] > p.capacity[l] * (1 + rel_tol)) {
      c.ok = false;
      c.message = "link " + std::to_string(l) + " above capacity";
      return c;
    }
  }
  for (std::size_t f = 0; f < nf; ++f) {
    if (p.offsets[f] == p.offsets[f + 1]) continue;
    bool has_bottleneck = false;
    for (std::int64_t k = p.offsets[f]; k < p.offsets[f + 1] && !has_bottleneck; ++k) {
      const auto l = static_cast<std::size_t>(p.links[k]);
      const bool saturated = load[l] >= p.capacity[l] * (1 - rel_tol);
      has_bottleneck = saturated && rate[f] >= maxrate[l] * (1 - rel_tol);
    }
    if (!has_bottleneck) {
      c.ok = false;
      c.message = "flow " + std::to_string(f) + " has no bottleneck link";
      return c;
    }
  }
  return c;
}

}  // namespace fb::model
