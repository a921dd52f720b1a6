#pragma once
// Max-min fair rates by progressive filling: all unfrozen flows grow together; the link whose
// fair share (remaining capacity / unfrozen flows) is smallest saturates first and freezes its
// flows at that share. With a heap keyed by fair share this costs O(sum of path lengths * log L).
// Every flow crosses each of its links once with weight 1 (adaptive routing uses bundles, see
// routing.h, so fluid splits also have weight 1).
#include <cstdint>
#include <string>
#include <vector>

#include "fabric_model/topology.h"

namespace fb::model {

struct FlowProblem {
  std::vector<double> capacity;       // per compact link, Gb/s
  std::vector<std::int64_t> offsets;  // CSR: flow f uses links[offsets[f] .. offsets[f+1])
  std::vector<std::int32_t> links;
  std::vector<LinkId> link_ids;  // compact link -> topology link id (empty if hand-made)
  std::size_t flows() const { return offsets.empty() ? 0 : offsets.size() - 1; }
};

// Collects flow paths in topology link ids and compacts them to the links actually used.
class FlowProblemBuilder {
 public:
  explicit FlowProblemBuilder(std::uint64_t link_slots);
  void add_flow(const std::vector<LinkId>& path);
  // Room for `flows` flows of `links` path links in all (avoids regrowing millions of entries).
  void reserve(std::size_t flows, std::size_t links);
  // Capacities from the topology; releases the builder's memory.
  FlowProblem finish(const ClosTopology& topo);
  std::size_t flows() const { return offsets_.size() - 1; }

 private:
  std::vector<std::int32_t> map_;
  std::vector<LinkId> ids_;
  std::vector<std::int64_t> offsets_{0};
  std::vector<std::int32_t> links_;
};

// Rates in Gb/s, one per flow. Flows with no links get +infinity.
std::vector<double> solve_max_min(const FlowProblem& p);

struct Certificate {
  bool ok = true;
  std::string message;         // first violation
  double max_utilisation = 0;  // max over links of load / capacity
};
// Checks the max-min certificate: no link above capacity, and every flow crosses a saturated
// link on which no other flow has a higher rate (its bottleneck).
Certificate check_max_min(const FlowProblem& p, const std::vector<double>& rate,
                          double rel_tol = 1e-9);

}  // namespace fb::model
