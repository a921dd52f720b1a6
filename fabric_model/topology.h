#pragma once
// Folded Clos / fat tree as an extended generalised fat tree (XGFT, Ohring et al.):
// level-i switches are labelled (subtree a, replica b); a level-i switch has m_i children (one
// per child subtree) and w_{i+1} uplinks. Nothing is materialised: switches and links are
// addressed arithmetically, so a 1M-GPU tree costs a few hundred bytes.
//
// Partial population: the top tier only gets as many children as there are populated
// subtrees; when its ports are then under-used the top-tier uplinks are folded onto fewer top
// switches with r parallel links each (r = largest divisor of w_t that fits the radix).
#include <cstdint>
#include <string>
#include <vector>

#include "fabric_model/config.h"
#include "fabric_model/units.h"

namespace fb::model {

using LinkId = std::uint64_t;

enum class LinkKind { kHostUp, kHostDown, kSwitchUp, kSwitchDown, kBundleUp, kBundleDown };

struct LinkInfo {
  LinkKind kind;
  int plane;           // -1 for bundles (they span all planes)
  int level;           // host links: 0; switch links: lower switch level; bundles: subtree level
  std::int64_t index;  // host, lower switch, or subtree index
  int port;            // uplink index for switch links, else 0
};

class ClosTopology {
 public:
  explicit ClosTopology(const ClusterConfig& config);  // throws ModelError

  const ClusterConfig& config() const { return config_; }
  int tiers() const { return t_; }
  int planes() const { return config_.planes; }
  std::int64_t gpus() const { return config_.gpus; }
  std::int64_t servers() const { return config_.gpus / config_.gpus_per_server; }
  std::int64_t host_slots() const { return hosts_; }  // leaves used x hosts per leaf

  // Host slot of a GPU's NIC (identical in every plane).
  std::int64_t host_of_gpu(std::int64_t gpu) const;
  // 0: same host; 1: same leaf; ...; tiers(): through the top tier.
  int lca_level(std::int64_t host_a, std::int64_t host_b) const;
  // Switches traversed between two hosts (2L - 1; 0 for the same host).
  int switch_hops(std::int64_t host_a, std::int64_t host_b) const;

  // XGFT shape. m(i): children per level-i switch (1 <= i <= t). up(i): physical uplinks per
  // level-i switch (1 <= i < t). parents(i): distinct parents of a level-i switch.
  std::int64_t m(int i) const { return m_[i]; }
  std::int64_t up(int i) const { return w_[i + 1]; }
  std::int64_t parents(int i) const { return wd_[i + 1]; }
  std::int64_t top_parallel_links() const { return r_; }
  std::int64_t hosts_under(int i) const { return s_[i]; }            // hosts per level-i subtree
  std::int64_t replicas(int i) const { return rep_[i]; }             // switches per level-i subtree
  std::int64_t subtrees(int i) const { return a_[i]; }               // populated level-i subtrees
  std::int64_t switches_at(int i) const { return a_[i] * rep_[i]; }  // per plane
  std::int64_t links_above(int i) const { return a_[i] * rep_[i] * w_[i + 1]; }  // per plane
  Gbps host_link_gbps() const { return host_gbps_; }
  Gbps link_gbps_above(int i) const { return link_gbps_[i]; }  // level i -> i+1
  std::int64_t max_hosts_for_tiers() const { return max_hosts_; }

  // Dense link ids, per plane: host links, then switch links level by level; then bundles.
  LinkId host_up(int plane, std::int64_t host) const;
  LinkId host_down(int plane, std::int64_t host) const;
  LinkId switch_up(int plane, int level, std::int64_t sw, std::int64_t port) const;
  LinkId switch_down(int plane, int level, std::int64_t sw, std::int64_t port) const;
  // Bundles: all equal-cost links out of (up) / into (down) a level-i subtree, across planes.
  LinkId bundle_up(int level, std::int64_t subtree) const;
  LinkId bundle_down(int level, std::int64_t subtree) const;
  std::uint64_t link_slots() const { return total_slots_; }
  Gbps capacity_gbps(LinkId id) const;
  LinkInfo describe(LinkId id) const;
  std::string describe_string(LinkId id) const;

  // Resolved tier specs, one per tier (the config's last spec repeated).
  static std::vector<TierSpec> resolve_tiers(const ClusterConfig& c, int tiers);
  // Smallest tier count (1..4) whose Clos holds the config's GPUs; throws if none does.
  static int tiers_needed(const ClusterConfig& c);

 private:
  ClusterConfig config_;
  int t_ = 1;
  std::int64_t hosts_ = 0;
  std::int64_t leaves_ = 0;
  std::int64_t max_hosts_ = 0;
  std::int64_t r_ = 1;
  std::vector<std::int64_t> m_, w_, wd_, s_, rep_, a_;
  std::vector<Gbps> link_gbps_;
  Gbps host_gbps_ = 0;
  std::vector<std::uint64_t> up_base_, down_base_, bup_base_, bdown_base_;
  std::uint64_t per_plane_ = 0, bundle_base_ = 0, total_slots_ = 0;
};

// Bill of materials for the sizer (`fabricbench topo-size`).
struct BillOfMaterials {
  std::int64_t gpus = 0;
  int tiers = 0;
  int planes = 1;
  std::int64_t max_hosts = 0;                   // for this tier count, per plane
  std::vector<std::int64_t> switches_per_tier;  // all planes
  std::vector<int> radix_per_tier;
  std::vector<std::int64_t> down_ports_per_tier;  // per switch
  std::vector<std::int64_t> up_ports_per_tier;    // per switch
  std::int64_t host_links = 0;                    // all planes
  std::vector<std::int64_t> links_above_tier;     // switch-to-switch, all planes
  std::int64_t switches = 0;
  std::int64_t switch_links = 0;
  std::int64_t transceivers = 0;  // 2 per link, host links included (NIC + switch end)
  std::int64_t top_parallel_links = 1;
};

BillOfMaterials size_cluster(const ClusterConfig& c);
nlohmann::json to_json(const BillOfMaterials& b);

}  // namespace fb::model
