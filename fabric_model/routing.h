#pragma once
// Routing on a ClosTopology: up to the lowest common ancestor level, then down the unique path.
// The choice among equal-cost uplinks is the routing policy:
//  - static_dmodk: destination-based, uplink = (dst / prod of lower uplink counts) mod up(i)
//    (InfiniBand linear forwarding tables as OpenSM's fat-tree routing fills them);
//  - ecmp: hash of the flow 5-tuple with a seed per switch (each QP is its own 5-tuple);
//  - ecmp_polarized: the same hash and seed at every switch, so choices at successive tiers are
//    correlated and only a fraction of the paths is used;
//  - adaptive: per-packet least-loaded port, as a fluid split. On a symmetric Clos the
//    least-loaded equilibrium spreads each flow evenly over all equal-cost links, so the flow
//    loads each "bundle" (all links out of / into a subtree, all planes) by its full rate; the
//    route is the sequence of bundles. This is exact for an even split; it ignores transient
//    queueing and the reordering cost at the NIC.
#include <cstdint>
#include <vector>

#include "fabric_model/profile.h"
#include "fabric_model/topology.h"

namespace fb::model {

struct FlowKey {
  std::int64_t src_host = 0;
  std::int64_t dst_host = 0;
  int plane = 0;         // ignored by adaptive routing (it sprays across planes)
  std::uint32_t qp = 0;  // queue pair number: gives the UDP source port (ECMP entropy)
};

std::uint64_t mix64(std::uint64_t x);

class Router {
 public:
  Router(const ClosTopology& topo, RoutingKind kind, std::uint64_t seed);
  // Appends the links (or bundles) of the flow's path to `out`; returns switches traversed.
  int route(const FlowKey& f, std::vector<LinkId>& out) const;
  RoutingKind kind() const { return kind_; }

 private:
  std::uint64_t switch_seed(int plane, int level, std::int64_t sw) const;
  const ClosTopology& topo_;
  RoutingKind kind_;
  std::uint64_t seed_;
};

}  // namespace fb::model
