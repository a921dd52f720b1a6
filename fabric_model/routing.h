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
// With failed links or switches (faults.h) the non-adaptive policies route around them; the
// healthy path is untouched (the faulty router runs only when a LinkFaults is given).
#include <cstdint>
#include <vector>

#include "fabric_model/faults.h"
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
  // `faults`: dead cables to route around (nullptr or none dead: the healthy router).
  Router(const ClosTopology& topo, RoutingKind kind, std::uint64_t seed,
         const LinkFaults* faults = nullptr);
  // Appends the links (or bundles) of the flow's path to `out`; returns switches traversed.
  int route(const FlowKey& f, std::vector<LinkId>& out) const;
  RoutingKind kind() const { return kind_; }

 private:
  std::uint64_t switch_seed(int plane, int level, std::int64_t sw) const;
  int route_around(const FlowKey& f, std::vector<LinkId>& out) const;
  // Port j of the level-i switch (src subtree a, replica b) reaches the destination alive.
  bool usable(const FlowKey& f, int lca, int i, std::int64_t a, std::int64_t b,
              std::int64_t j) const;
  // Live parallel index at the top (down cable into the destination's level-i switch).
  std::int64_t top_parallel(const FlowKey& f, int i, std::int64_t child_sw, std::int64_t j,
                            std::int64_t preferred, std::uint64_t key) const;
  const ClosTopology& topo_;
  RoutingKind kind_;
  std::uint64_t seed_;
  const LinkFaults* faults_ = nullptr;
};

}  // namespace fb::model
