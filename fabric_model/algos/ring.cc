// Flat ring over every rank, one channel per scale-up GPU leaving through its own NIC (NCCL
// Ring); see algo_util::flat_ring.
#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

CollectivePlan ring_plan(const PlanRequest& r) { return algo_util::flat_ring(r, "ring", 1); }

}  // namespace

extern const ModelAlgorithm kRingAlgorithm = {
    "ring", "flat ring over every rank, one channel per scale-up GPU (NCCL Ring)",
    algo_util::ring_collectives_only, ring_plan, "Ring"};

}  // namespace fb::model
