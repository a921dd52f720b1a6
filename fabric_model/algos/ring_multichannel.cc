// Rings over several channels per NIC: NCCL duplicates the ring channels when the intra-node
// bandwidth per channel is high (src/graph/search.cc ncclTopoDupChannels, bwIntra >= 25 GB/s;
// not on every Hopper graph), so every NIC carries 2 channels, each a distinct QP (5-tuple) with
// half the chunk.
// Channel rule: 2 channels per NIC, NIC = one GPU of the scale-up domain (its rail). The
// analytic time equals the ring's; on hashed fabrics the extra flows change the collisions.
#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

constexpr int kChannelsPerNic = 2;  // NCCL src/graph/search.cc: ring channels duplicated

std::string ring_mc_na(const PlanRequest& r) {
  std::string why = algo_util::ring_collectives_only(r);
  return why.empty() ? algo_util::needs_several_domains(r) : why;
}

CollectivePlan ring_mc_plan(const PlanRequest& r) {
  return algo_util::flat_ring(r, "ring_multichannel", kChannelsPerNic);
}

}  // namespace

extern const ModelAlgorithm kRingMultichannelAlgorithm = {
    "ring_multichannel", "flat ring, 2 channels (QPs) per NIC as NCCL duplicates ring channels",
    ring_mc_na, ring_mc_plan, "Ring"};

}  // namespace fb::model
