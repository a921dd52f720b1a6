#include "fabric_model/topology.h"

#include <algorithm>
#include <cmath>

namespace fb::model {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Down ports of a non-top switch: radix * o / (1 + o), rounded, at least 1 and leaving an uplink.
std::int64_t down_ports(const TierSpec& s) {
  const double d = s.radix * s.oversubscription_ratio / (1.0 + s.oversubscription_ratio);
  auto down = static_cast<std::int64_t>(std::llround(d));
  return std::clamp<std::int64_t>(down, 1, s.radix - 1);
}

// Leaves needed: rail-optimised trees put GPU l of each group of `d1` servers on leaf l.
std::int64_t leaves_needed(const ClusterConfig& c, std::int64_t d1) {
  const std::int64_t servers = c.gpus / c.gpus_per_server;
  if (c.rail_optimized) return ceil_div(servers, d1) * c.gpus_per_server;
  return ceil_div(c.gpus, d1);
}

}  // namespace

std::vector<TierSpec> ClosTopology::resolve_tiers(const ClusterConfig& c, int tiers) {
  std::vector<TierSpec> out;
  for (int i = 0; i < tiers; ++i)
    out.push_back(c.tiers[std::min<size_t>(static_cast<size_t>(i), c.tiers.size() - 1)]);
  return out;
}

int ClosTopology::tiers_needed(const ClusterConfig& c) {
  for (int t = 1; t <= 4; ++t) {
    auto spec = resolve_tiers(c, t);
    if (t == 1) {
      if (c.gpus <= spec[0].radix) return 1;
      continue;
    }
    // A t-tier tree has room for prod(d_i, i < t) * k_t hosts, counted in leaves.
    std::int64_t leaves_room = spec[t - 1].radix;
    for (int i = 1; i < t - 1; ++i) leaves_room *= down_ports(spec[i]);
    if (leaves_needed(c, down_ports(spec[0])) <= leaves_room) return t;
  }
  throw ModelError("topology '" + c.name + "': " + std::to_string(c.gpus) +
                   " GPUs do not fit in 4 tiers of these switches (radix too small)");
}

ClosTopology::ClosTopology(const ClusterConfig& config) : config_(config) {
  config_.validate();
  const ClusterConfig& c = config_;
  t_ = c.tier_count == 0 ? tiers_needed(c) : c.tier_count;
  auto spec = resolve_tiers(c, t_);
  const int t = t_;
  m_.assign(t + 2, 1);
  w_.assign(t + 2, 1);
  wd_.assign(t + 2, 1);
  s_.assign(t + 2, 1);
  rep_.assign(t + 2, 1);
  a_.assign(t + 2, 1);
  link_gbps_.assign(t + 2, 0);
  host_gbps_ = std::min(c.nic_gbps / c.planes, spec[0].link_gbps);
  const std::string where = "topology '" + json_util::printable(c.name) + "'";

  if (t == 1) {
    if (c.gpus > spec[0].radix)
      throw ModelError(where + ": " + std::to_string(c.gpus) + " GPUs exceed one switch of radix " +
                       std::to_string(spec[0].radix));
    m_[1] = spec[0].radix;
    leaves_ = 1;
    max_hosts_ = spec[0].radix;
  } else {
    for (int i = 1; i < t; ++i) {
      m_[i] = down_ports(spec[i - 1]);
      w_[i + 1] = spec[i - 1].radix - m_[i];
      wd_[i + 1] = w_[i + 1];
      link_gbps_[i] = std::min(spec[i - 1].link_gbps, spec[i].link_gbps);
    }
    leaves_ = leaves_needed(c, m_[1]);
    std::int64_t below_top = leaves_;  // populated level-(t-1) subtrees
    for (int i = 2; i < t; ++i) below_top = ceil_div(below_top, m_[i]);
    const std::int64_t k_top = spec[t - 1].radix;
    if (below_top > k_top)
      throw ModelError(where + ": " + std::to_string(c.gpus) + " GPUs need " +
                       std::to_string(below_top) + " top-tier children but the radix is " +
                       std::to_string(k_top) + " (radix too small for " + std::to_string(t) +
                       " tiers: use more tiers or a larger radix)");
    m_[t] = below_top;
    // Fold the top onto fewer switches with r parallel links when its ports would sit idle.
    r_ = 1;
    for (std::int64_t r = w_[t]; r >= 1; --r) {
      if (w_[t] % r == 0 && below_top * r <= k_top) {
        r_ = r;
        break;
      }
    }
    wd_[t] = w_[t] / r_;
    max_hosts_ = k_top;
    for (int i = 1; i < t; ++i) max_hosts_ *= m_[i];
  }
  hosts_ = leaves_ * m_[1];
  for (int i = 1; i <= t; ++i) s_[i] = s_[i - 1] * m_[i];
  s_[0] = 1;
  rep_[1] = 1;
  for (int i = 2; i <= t; ++i) rep_[i] = rep_[i - 1] * wd_[i];
  a_[0] = hosts_;
  a_[1] = leaves_;
  for (int i = 2; i <= t; ++i) a_[i] = ceil_div(a_[i - 1], m_[i]);

  // Link id layout.
  std::uint64_t next = 2 * static_cast<std::uint64_t>(hosts_);
  up_base_.assign(t + 1, 0);
  down_base_.assign(t + 1, 0);
  for (int i = 1; i < t; ++i) {
    const auto n = static_cast<std::uint64_t>(links_above(i));
    up_base_[i] = next;
    down_base_[i] = next + n;
    next += 2 * n;
  }
  per_plane_ = next;
  bundle_base_ = per_plane_ * static_cast<std::uint64_t>(c.planes);
  next = bundle_base_;
  bup_base_.assign(t + 1, 0);
  bdown_base_.assign(t + 1, 0);
  for (int i = 0; i < t; ++i) {
    bup_base_[i] = next;
    bdown_base_[i] = next + static_cast<std::uint64_t>(a_[i]);
    next += 2 * static_cast<std::uint64_t>(a_[i]);
  }
  total_slots_ = next;
}

std::int64_t ClosTopology::host_of_gpu(std::int64_t gpu) const {
  if (t_ == 1 || !config_.rail_optimized) return gpu;
  const std::int64_t g = config_.gpus_per_server;
  const std::int64_t server = gpu / g, local = gpu % g;
  const std::int64_t leaf = (server / m_[1]) * g + local;
  return leaf * m_[1] + server % m_[1];
}

int ClosTopology::lca_level(std::int64_t a, std::int64_t b) const {
  if (a == b) return 0;
  for (int i = 1; i < t_; ++i)
    if (a / s_[i] == b / s_[i]) return i;
  return t_;
}

int ClosTopology::switch_hops(std::int64_t a, std::int64_t b) const {
  const int l = lca_level(a, b);
  return l == 0 ? 0 : 2 * l - 1;
}

LinkId ClosTopology::host_up(int plane, std::int64_t host) const {
  return per_plane_ * static_cast<std::uint64_t>(plane) + static_cast<std::uint64_t>(host);
}
LinkId ClosTopology::host_down(int plane, std::int64_t host) const {
  return per_plane_ * static_cast<std::uint64_t>(plane) + static_cast<std::uint64_t>(hosts_ + host);
}
LinkId ClosTopology::switch_up(int plane, int level, std::int64_t sw, std::int64_t port) const {
  return per_plane_ * static_cast<std::uint64_t>(plane) + up_base_[level] +
         static_cast<std::uint64_t>(sw * w_[level + 1] + port);
}
LinkId ClosTopology::switch_down(int plane, int level, std::int64_t sw, std::int64_t port) const {
  return per_plane_ * static_cast<std::uint64_t>(plane) + down_base_[level] +
         static_cast<std::uint64_t>(sw * w_[level + 1] + port);
}
LinkId ClosTopology::bundle_up(int level, std::int64_t subtree) const {
  return bup_base_[level] + static_cast<std::uint64_t>(subtree);
}
LinkId ClosTopology::bundle_down(int level, std::int64_t subtree) const {
  return bdown_base_[level] + static_cast<std::uint64_t>(subtree);
}

LinkInfo ClosTopology::describe(LinkId id) const {
  if (id >= total_slots_) throw ModelError("link id out of range");
  if (id >= bundle_base_) {
    for (int i = t_ - 1; i >= 0; --i) {
      if (id >= bdown_base_[i])
        return {LinkKind::kBundleDown, -1, i, static_cast<std::int64_t>(id - bdown_base_[i]), 0};
      if (id >= bup_base_[i])
        return {LinkKind::kBundleUp, -1, i, static_cast<std::int64_t>(id - bup_base_[i]), 0};
    }
  }
  const int plane = static_cast<int>(id / per_plane_);
  const std::uint64_t x = id % per_plane_;
  const auto h = static_cast<std::uint64_t>(hosts_);
  if (x < h) return {LinkKind::kHostUp, plane, 0, static_cast<std::int64_t>(x), 0};
  if (x < 2 * h) return {LinkKind::kHostDown, plane, 0, static_cast<std::int64_t>(x - h), 0};
  for (int i = t_ - 1; i >= 1; --i) {
    const bool down = x >= down_base_[i];
    if (x >= up_base_[i]) {
      const auto off = static_cast<std::int64_t>(x - (down ? down_base_[i] : up_base_[i]));
      return {down ? LinkKind::kSwitchDown : LinkKind::kSwitchUp, plane, i, off / w_[i + 1],
              static_cast<int>(off % w_[i + 1])};
    }
  }
  throw ModelError("link id not decodable");
}

std::string ClosTopology::describe_string(LinkId id) const {
  const LinkInfo l = describe(id);
  static const char* kNames[] = {"host-up",     "host-down", "switch-up",
                                 "switch-down", "bundle-up", "bundle-down"};
  return std::string(kNames[static_cast<int>(l.kind)]) + " plane " + std::to_string(l.plane) +
         " level " + std::to_string(l.level) + " index " + std::to_string(l.index) + " port " +
         std::to_string(l.port);
}

Gbps ClosTopology::capacity_gbps(LinkId id) const {
  const LinkInfo l = describe(id);
  switch (l.kind) {
    case LinkKind::kHostUp:
    case LinkKind::kHostDown:
      return host_gbps_;
    case LinkKind::kSwitchUp:
    case LinkKind::kSwitchDown:
      return link_gbps_[l.level];
    case LinkKind::kBundleUp:
    case LinkKind::kBundleDown:
      // Every equal-cost link out of / into the subtree, in every plane.
      if (l.level == 0) return host_gbps_ * planes();
      return link_gbps_[l.level] * static_cast<double>(rep_[l.level] * w_[l.level + 1]) * planes();
  }
  return 0;
}

BillOfMaterials size_cluster(const ClusterConfig& c) {
  ClosTopology topo(c);
  BillOfMaterials b;
  b.gpus = c.gpus;
  b.tiers = topo.tiers();
  b.planes = c.planes;
  b.max_hosts = topo.max_hosts_for_tiers();
  b.top_parallel_links = topo.top_parallel_links();
  auto spec = ClosTopology::resolve_tiers(c, b.tiers);
  for (int i = 1; i <= b.tiers; ++i) {
    const std::int64_t n = topo.switches_at(i) * c.planes;
    b.switches_per_tier.push_back(n);
    b.switches += n;
    b.radix_per_tier.push_back(spec[i - 1].radix);
    b.down_ports_per_tier.push_back(i < b.tiers ? topo.m(i)
                                                : topo.m(i) * topo.top_parallel_links());
    b.up_ports_per_tier.push_back(i < b.tiers ? topo.up(i) : 0);
    if (i < b.tiers) {
      const std::int64_t l = topo.links_above(i) * c.planes;
      b.links_above_tier.push_back(l);
      b.switch_links += l;
    }
  }
  b.host_links = c.gpus * c.planes;
  b.transceivers = 2 * (b.switch_links + b.host_links);
  return b;
}

nlohmann::json to_json(const BillOfMaterials& b) {
  return {{"gpus", b.gpus},
          {"tiers", b.tiers},
          {"planes", b.planes},
          {"max_hosts_per_plane", b.max_hosts},
          {"switches_per_tier", b.switches_per_tier},
          {"radix_per_tier", b.radix_per_tier},
          {"down_ports_used_per_switch", b.down_ports_per_tier},
          {"up_ports_per_switch", b.up_ports_per_tier},
          {"host_links", b.host_links},
          {"switch_links_above_tier", b.links_above_tier},
          {"switches", b.switches},
          {"switch_links", b.switch_links},
          {"transceivers", b.transceivers},
          {"top_parallel_links", b.top_parallel_links}};
}

}  // namespace fb::model
