#include "fabric_model/routing.h"

#include <string>

namespace fb::model {

std::uint64_t mix64(std::uint64_t x) {
  // splitmix64 finaliser: a full-avalanche 64-bit mix.
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Router::Router(const ClosTopology& topo, RoutingKind kind, std::uint64_t seed,
               const LinkFaults* faults)
    : topo_(topo),
      kind_(kind),
      seed_(mix64(seed)),
      faults_(faults != nullptr && faults->fabric_faults() ? faults : nullptr) {}

std::uint64_t Router::switch_seed(int plane, int level, std::int64_t sw) const {
  if (kind_ == RoutingKind::kEcmpPolarized) return seed_;
  return mix64(seed_ ^
               mix64((static_cast<std::uint64_t>(level) << 58) ^
                     (static_cast<std::uint64_t>(plane) << 50) ^ static_cast<std::uint64_t>(sw)));
}

namespace {

// 5-tuple of a RoCEv2 packet: IPs from the hosts, UDP destination port 4791, source port from the
// QP (NICs derive it from the QP number to give ECMP entropy), protocol UDP (17).
std::uint64_t five_tuple_hash(const FlowKey& f) {
  const auto src_ip =
      static_cast<std::uint64_t>(f.src_host) * 16 + static_cast<std::uint64_t>(f.plane);
  const auto dst_ip =
      static_cast<std::uint64_t>(f.dst_host) * 16 + static_cast<std::uint64_t>(f.plane);
  const std::uint64_t sport = 49152 + (mix64(src_ip ^ (dst_ip << 20) ^ f.qp) & 0x3fff);
  const std::uint64_t ports = (sport << 16) | 4791u;
  return mix64(mix64(mix64(src_ip) ^ dst_ip) ^ (ports << 8 | 17u));
}

}  // namespace

int Router::route(const FlowKey& f, std::vector<LinkId>& out) const {
  const ClosTopology& t = topo_;
  const int lca = t.lca_level(f.src_host, f.dst_host);
  if (lca == 0) return 0;
  const int top = t.tiers();
  if (kind_ == RoutingKind::kAdaptive) {
    for (int i = 0; i < lca; ++i) out.push_back(t.bundle_up(i, f.src_host / t.hosts_under(i)));
    for (int i = lca - 1; i >= 0; --i)
      out.push_back(t.bundle_down(i, f.dst_host / t.hosts_under(i)));
    return 2 * lca - 1;
  }
  if (faults_ != nullptr) return route_around(f, out);
  const int p = f.plane;
  const std::uint64_t tuple = kind_ == RoutingKind::kStaticDmodK ? 0 : five_tuple_hash(f);
  out.push_back(t.host_up(p, f.src_host));
  // Ascend: at level i the switch is (subtree a, replica b); id = a * replicas(i) + b.
  std::int64_t a = f.src_host / t.hosts_under(1), b = 0;
  std::int64_t dmodk_div = 1;  // product of lower uplink counts, for destination-based routing
  std::int64_t top_parallel = 0;
  for (int i = 1; i < lca; ++i) {
    const std::int64_t ups = t.up(i);
    const std::int64_t sw = a * t.replicas(i) + b;
    std::int64_t j;
    if (kind_ == RoutingKind::kStaticDmodK) {
      j = (f.dst_host / dmodk_div) % ups;
      dmodk_div *= ups;
    } else {
      j = static_cast<std::int64_t>(mix64(switch_seed(p, i, sw) ^ tuple) %
                                    static_cast<std::uint64_t>(ups));
    }
    out.push_back(t.switch_up(p, i, sw, j));
    const std::int64_t par = t.parents(i);
    if (i + 1 == top) top_parallel = j / par;
    b += t.replicas(i) * (j % par);
    a /= t.m(i + 1);
  }
  // Descend: the child replica is b mod replicas(i); the digit above names the uplink; at the top
  // with parallel links the choice among them is made like an uplink choice.
  for (int i = lca - 1; i >= 1; --i) {
    const std::int64_t child_a = f.dst_host / t.hosts_under(i);
    const std::int64_t child_b = b % t.replicas(i);
    std::int64_t j = b / t.replicas(i);
    if (i + 1 == top && t.top_parallel_links() > 1) {
      std::int64_t pl;
      if (kind_ == RoutingKind::kStaticDmodK) {
        pl = top_parallel;  // same parallel index as on the way up
      } else {
        const std::int64_t parent = (child_a / t.m(top)) * t.replicas(top) + b;
        pl = static_cast<std::int64_t>(mix64(switch_seed(p, top, parent) ^ tuple) %
                                       static_cast<std::uint64_t>(t.top_parallel_links()));
      }
      j += pl * t.parents(i);
    }
    out.push_back(t.switch_down(p, i, child_a * t.replicas(i) + child_b, j));
    b = child_b;
  }
  out.push_back(t.host_down(p, f.dst_host));
  return 2 * lca - 1;
}

}  // namespace fb::model

namespace fb::model {

namespace {
constexpr std::uint64_t kRehashSalt = 0x7265686173680000ULL;  // "rehash"

[[noreturn]] void disconnected(const FlowKey& f) {
  std::string m = "the failures disconnect host ";
  m += std::to_string(f.src_host);
  m += " from host ";
  m += std::to_string(f.dst_host);
  m += " in plane ";
  m += std::to_string(f.plane);
  throw ModelError(m);
}
}  // namespace

bool Router::usable(const FlowKey& f, int lca, int i, std::int64_t a, std::int64_t b,
                    std::int64_t j) const {
  const ClosTopology& t = topo_;
  const int p = f.plane;
  if (faults_->dead(p, i, a * t.replicas(i) + b, j)) return false;
  const std::int64_t par = t.parents(i);
  const std::int64_t dst_sw = (f.dst_host / t.hosts_under(i)) * t.replicas(i) + b;
  if (i + 1 == t.tiers() && t.top_parallel_links() > 1) {
    bool any = false;
    for (std::int64_t pl = 0; pl < t.top_parallel_links() && !any; ++pl)
      any = !faults_->dead(p, i, dst_sw, j % par + pl * par);
    if (!any) return false;
  } else if (faults_->dead(p, i, dst_sw, j)) {
    return false;
  }
  if (i + 1 >= lca) return true;
  // The switch above must still reach the destination (routes through it are withdrawn).
  const std::int64_t na = a / t.m(i + 1), nb = b + t.replicas(i) * (j % par);
  for (std::int64_t q = 0; q < t.up(i + 1); ++q)
    if (usable(f, lca, i + 1, na, nb, q)) return true;
  return false;
}

std::int64_t Router::top_parallel(const FlowKey& f, int i, std::int64_t child_sw, std::int64_t j,
                                  std::int64_t preferred, std::uint64_t key) const {
  const std::int64_t par = topo_.parents(i);
  if (!faults_->dead(f.plane, i, child_sw, j + preferred * par)) return preferred;
  std::vector<std::int64_t> live;
  for (std::int64_t pl = 0; pl < topo_.top_parallel_links(); ++pl)
    if (!faults_->dead(f.plane, i, child_sw, j + pl * par)) live.push_back(pl);
  const std::uint64_t k = kind_ == RoutingKind::kStaticDmodK ? key : mix64(key ^ kRehashSalt);
  return live[k % live.size()];  // usable() checked that one is alive
}

// As route(), around dead cables: the healthy choice where it is usable, else ECMP rehashes over
// the usable ports and static routing assigns live[key mod live] (the subnet manager's reroute).
int Router::route_around(const FlowKey& f, std::vector<LinkId>& out) const {
  const ClosTopology& t = topo_;
  const int lca = t.lca_level(f.src_host, f.dst_host);
  const int top = t.tiers();
  const int p = f.plane;
  const bool dmodk = kind_ == RoutingKind::kStaticDmodK;
  const std::uint64_t tuple = dmodk ? 0 : five_tuple_hash(f);
  out.push_back(t.host_up(p, f.src_host));
  std::int64_t a = f.src_host / t.hosts_under(1), b = 0;
  std::int64_t dmodk_div = 1;
  std::int64_t top_j = 0;
  std::vector<std::int64_t> live;
  for (int i = 1; i < lca; ++i) {
    const std::int64_t ups = t.up(i);
    const std::int64_t sw = a * t.replicas(i) + b;
    std::uint64_t key;
    if (dmodk) {
      key = static_cast<std::uint64_t>(f.dst_host / dmodk_div);
      dmodk_div *= ups;
    } else {
      key = mix64(switch_seed(p, i, sw) ^ tuple);
    }
    auto j = static_cast<std::int64_t>(key % static_cast<std::uint64_t>(ups));
    if (!usable(f, lca, i, a, b, j)) {
      live.clear();
      for (std::int64_t q = 0; q < ups; ++q)
        if (usable(f, lca, i, a, b, q)) live.push_back(q);
      if (live.empty()) disconnected(f);
      j = live[(dmodk ? key : mix64(key ^ kRehashSalt)) % live.size()];
    }
    out.push_back(t.switch_up(p, i, sw, j));
    const std::int64_t par = t.parents(i);
    if (i + 1 == top) top_j = j;
    b += t.replicas(i) * (j % par);
    a /= t.m(i + 1);
  }
  for (int i = lca - 1; i >= 1; --i) {
    const std::int64_t child_a = f.dst_host / t.hosts_under(i);
    const std::int64_t child_b = b % t.replicas(i);
    const std::int64_t child_sw = child_a * t.replicas(i) + child_b;
    std::int64_t j = b / t.replicas(i);
    if (i + 1 == top && t.top_parallel_links() > 1) {
      const std::int64_t par = t.parents(i);
      std::int64_t pl;
      std::uint64_t key;
      if (kind_ == RoutingKind::kStaticDmodK) {
        pl = top_j / par;
        key = static_cast<std::uint64_t>(f.dst_host);
      } else {
        const std::int64_t parent = (child_a / t.m(top)) * t.replicas(top) + b;
        key = mix64(switch_seed(p, top, parent) ^ tuple);
        pl = static_cast<std::int64_t>(key % static_cast<std::uint64_t>(t.top_parallel_links()));
      }
      j += top_parallel(f, i, child_sw, j, pl, key) * par;
    }
    out.push_back(t.switch_down(p, i, child_sw, j));
    b = child_b;
  }
  out.push_back(t.host_down(p, f.dst_host));
  return 2 * lca - 1;
}

}  // namespace fb::model
