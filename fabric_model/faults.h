#pragma once
// Failures in the fabric tiers and one slow GPU (a straggler).
//
// Failed links are switch-to-switch cables (both directions), chosen uniformly without
// replacement among every such cable of every plane and level; failed switches are chosen
// uniformly among the switches of levels 2 and above (spine and core). Leaves and host links
// never fail here: every NIC is single-homed on its plane's leaf, so a failed leaf or host link
// cuts its GPUs off, and a scheduler moves the job off them rather than running it slower.
// A failed switch takes all its cables with it. Both sets are drawn from the evaluation seed,
// so --seeds averages over failure sets.
//
// How each routing reacts (routing.h): ECMP keeps every flow whose hashed port is alive and
// rehashes the others over the live equal-cost ports (resilient hashing; a port is live when
// its cable up and the matching cable down to the destination are alive and the switch above
// still reaches the destination); static D-mod-k keeps (dst / prod) mod k where alive, else the
// subnet manager's reroute assigns live[(dst / prod) mod live] (deterministic in the
// destination); adaptive routing spreads over what is left (its bundles lose the capacity of
// their dead cables).
//
// Slow GPU (factor F >= 1, seeded among the cluster's GPUs): its NIC links run at 1/F of their
// rate in the max-min problem and its scale-up and reduction phases take F times as long, so
// every collective of the groups it belongs to (one group of every kind) is gated by it, and
// with all groups of a kind synchronous the whole step is.
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "fabric_model/topology.h"

namespace fb::model {

struct FaultOptions {
  std::int64_t failed_links = 0;
  std::int64_t failed_switches = 0;
  double slow_gpu_factor = 1;
  bool fabric() const { return failed_links > 0 || failed_switches > 0; }
  bool any() const { return fabric() || slow_gpu_factor != 1; }
  // Negative counts, NaN or a factor below 1: ModelError (one line).
  void validate() const;
};

class LinkFaults {
 public:
  explicit LinkFaults(const ClosTopology& topo);
  // Marks one cable dead: plane, lower level (1..tiers-1), lower switch id, uplink port.
  void fail_cable(int plane, int level, std::int64_t sw, std::int64_t port);
  // Marks a switch of level >= 2 dead (all its cables).
  void fail_switch(int plane, int level, std::int64_t sw);
  void set_slow_gpu(std::int64_t gpu, double factor);

  bool dead(int plane, int level, std::int64_t sw, std::int64_t port) const {
    return dead_[cable(plane, level, sw, port)] != 0;
  }
  bool fabric_faults() const { return dead_count_ > 0; }
  std::int64_t dead_cables() const { return dead_count_; }
  std::int64_t slow_host() const { return slow_host_; }
  double slow_factor() const { return slow_factor_; }
  // Capacities of a solved problem's links under the failures: adaptive bundles lose their
  // dead cables, the slow GPU's host links run at 1/factor. Throws when a bundle has none left.
  void apply(std::vector<double>& capacity, const std::vector<LinkId>& link_ids) const;

  static std::int64_t cables(const ClosTopology& topo);          // all planes and levels
  static std::int64_t failable_switches(const ClosTopology& t);  // levels >= 2, all planes

 private:
  std::size_t cable(int plane, int level, std::int64_t sw, std::int64_t port) const;
  const ClosTopology& topo_;
  std::vector<std::int64_t> base_;  // first cable of a level in a plane
  std::int64_t per_plane_ = 0;
  std::vector<std::uint8_t> dead_;
  std::int64_t dead_count_ = 0;
  std::unordered_map<LinkId, double> lost_gbps_;  // bundle -> capacity lost
  std::int64_t slow_host_ = -1;
  double slow_factor_ = 1;
};

// The failure set (and slow GPU) of one seed; throws ModelError when the options ask for more
// failures than the fabric has.
std::shared_ptr<const LinkFaults> choose_faults(const ClosTopology& topo, const FaultOptions& o,
                                                std::uint64_t seed);

}  // namespace fb::model
