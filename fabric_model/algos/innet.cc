// In-network reduction (InfiniBand SHARP class, NCCL CollNet): NVLink reduce-scatter in the
// domain, then each GPU's NIC sends its B/d shard up an aggregation tree in the switches (one
// tree per rail and plane), the switches reduce on the way up and the root sends the result
// down the same tree, so every tree link carries the shard once in each direction; NVLink
// all-gather. The tree is the aggregation manager's, not the routing's: at each switch the tree
// of rail c takes uplink c mod (uplinks), so the rails' trees share no link while there are
// at least as many uplinks as rails. Latency: one network step plus, per aggregation switch up
// and down, the profile's aggregation latency.
#include <unordered_set>

#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

std::string innet_na(const PlanRequest& r) {
  std::string why = algo_util::only_all_reduce(r);
  if (!why.empty()) return why;
  if (!r.in_network_reduction)
    return "needs in-network reduction (SHARP-class switches); this fabric profile has no "
           "in_network_reduction";
  why = algo_util::needs_several_domains(r);
  if (!why.empty()) return why;
  const std::int64_t trees = static_cast<std::int64_t>(r.domain) * r.planes;
  if (trees > r.innet_max_trees)
    return "needs " + std::to_string(trees) +
           " aggregation trees (one per rail and plane), the "
           "switches hold " +
           std::to_string(r.innet_max_trees);
  return "";
}

int innet_paths(std::int64_t n, int d, const ClosTopology& t, const HostOfRank& host,
                const AddPath& add) {
  const std::int64_t m = n / d;
  int hops = 0;
  std::vector<LinkId> one(1);
  std::unordered_set<std::uint64_t> seen;  // (level, switch) already on this tree
  for (std::int64_t c = 0; c < d; ++c) {
    // The root sits at the lowest level that holds every member of the rail.
    const std::int64_t h0 = host(c);
    int top = 0;
    for (std::int64_t j = 1; j < m; ++j) top = std::max(top, t.lca_level(h0, host(j * d + c)));
    hops = std::max(hops, top == 0 ? 0 : 2 * top - 1);
    for (int p = 0; p < t.planes(); ++p) {
      seen.clear();
      for (std::int64_t j = 0; j < m; ++j) {
        const std::int64_t h = host(j * d + c);
        one[0] = t.host_up(p, h);
        add(one);
        one[0] = t.host_down(p, h);
        add(one);
        std::int64_t a = h / t.hosts_under(1), b = 0;
        for (int i = 1; i < top; ++i) {
          const std::int64_t sw = a * t.replicas(i) + b;
          // Above a switch already on the tree the path is known (same uplink choices).
          if (!seen.insert((static_cast<std::uint64_t>(i) << 56) ^ static_cast<std::uint64_t>(sw))
                   .second)
            break;
          const std::int64_t up = c % t.up(i);
          one[0] = t.switch_up(p, i, sw, up);
          add(one);
          one[0] = t.switch_down(p, i, sw, up);
          add(one);
          b += t.replicas(i) * (up % t.parents(i));
          a /= t.m(i + 1);
        }
      }
    }
  }
  return hops;
}

CollectivePlan innet_plan(const PlanRequest& r) {
  using namespace algo_util;
  CollectivePlan plan = start(r, "innet");
  const std::int64_t n = r.ranks, m = n / r.domain;
  const int d = r.domain;
  const double b = static_cast<double>(r.bytes), dd = d;
  auto& ph = plan.phases;
  if (d > 1) ph.push_back(scaleup("scale-up reduce-scatter", dd - 1, b / dd, 0, true));
  Phase net;
  net.name = "in-network all-reduce (aggregation tree per rail and plane)";
  net.bytes_per_step = b / dd;
  net.pattern_key = "innet";
  net.hop_src = 0;
  net.hop_dst = (m - 1) * d;
  net.rate_cap_gbps = r.innet_reduction_gbps;
  net.aggregation_latency_ns = r.innet_switch_latency_ns;
  net.link_flows = [n, d](const ClosTopology& t, const HostOfRank& host, const AddPath& add) {
    return innet_paths(n, d, t, host, add);
  };
  ph.push_back(std::move(net));
  if (d > 1) ph.push_back(scaleup("scale-up all-gather", dd - 1, b / dd, 0, true));
  ph.push_back(reduce((dd - 1) / dd * b, 0));
  plan.notes.push_back(
      "innet: aggregation trees fixed (rail c takes uplink c mod uplinks), streaming "
      "aggregation at min(link, reduction_gbps); one NIC step + aggregation latency per switch "
      "level up and down");
  return plan;
}

}  // namespace

extern const ModelAlgorithm kInnetAlgorithm = {
    "innet",
    "NVLink reduce-scatter, switch aggregation tree per rail (SHARP, NCCL CollNet), all-gather",
    innet_na, innet_plan, "CollNetDirect"};

}  // namespace fb::model
