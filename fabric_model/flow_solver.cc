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

std::vector<double> solve_max_min(const FlowProblem& p) {
  const std::size_t nf = p.flows(), nl = p.capacity.size();
  std::vector<double> rate(nf, std::numeric_limits<double>::infinity());
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
  std::vector<double> rem(p.capacity);
  std::vector<std::int64_t> cnt(nl);
  for (std::size_t l = 0; l < nl; ++l) cnt[l] = loff[l + 1] - loff[l];
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
  std::vector<std::int32_t> touched;
  while (!heap.empty()) {
    const Entry e = heap.top();
    heap.pop();
    const auto l = static_cast<std::size_t>(e.link);
    if (e.stamp != stamp[l] || cnt[l] == 0) continue;
    const double level = e.share;
    // Freeze every unfrozen flow of the bottleneck link at the current level.
    for (std::int64_t k = loff[l]; k < loff[l + 1]; ++k) {
      const auto f = static_cast<std::size_t>(lflows[static_cast<std::size_t>(k)]);
      if (frozen[f]) continue;
      frozen[f] = 1;
      rate[f] = level;
      for (std::int64_t q = p.offsets[f]; q < p.offsets[f + 1]; ++q) {
        const auto l2 = static_cast<std::size_t>(p.links[q]);
        rem[l2] = std::max(0.0, rem[l2] - level);
        --cnt[l2];
        if (!dirty[l2]) {
          dirty[l2] = 1;
          touched.push_back(static_cast<std::int32_t>(l2));
        }
      }
    }
    for (std::int32_t t : touched) {
      const auto l2 = static_cast<std::size_t>(t);
      dirty[l2] = 0;
      ++stamp[l2];
      if (cnt[l2] > 0)
        heap.push({std::max(level, rem[l2] / static_cast<double>(cnt[l2])), t, stamp[l2]});
    }
    touched.clear();
  }
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
