// Hierarchical all-reduce: reduce-scatter inside each node, all-reduce of each block across nodes
// among the ranks with the same local index (one ring per local rank, all running at once), then
// all-gather inside the node. Cross-node traffic per rank falls to 1/L of the data (L ranks per
// node), which is what matters when the network is slower than the node's memory.
#include <cstdint>

#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr int kTag = 5;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const std::size_t es = dtype_size(a.dtype), count = a.counts.recv_count;
  auto node = comm.split_node_local();
  auto cross = comm.split_cross_node();
  const int local = node->size();
  // Blocks line up across nodes only if every node has the same number of ranks; all ranks must
  // agree on the fallback, so take the minimum of everyone's verdict.
  std::int32_t uniform = cross->size() * local == comm.size() ? 1 : 0;
  ring_all_reduce(comm, engine, DType::kInt32, RedOp::kMin, &uniform, &uniform, 1, kTag);
  if (!uniform) {
    ring_all_reduce(comm, engine, a.dtype, a.op, a.send, a.recv, count, kTag);
    return;
  }
  ring_reduce_scatter(*node, engine, a.dtype, a.op, a.send, a.recv, count, kTag);
  const BlockRange mine = block_range(count, local, node->rank());
  void* block = byte_ptr(a.recv, mine.first, es);
  // avg combines as sum; it is finalised once below, over all comm.size() contributions.
  const RedOp op = a.op == RedOp::kAvg ? RedOp::kSum : a.op;
  ring_all_reduce(*cross, engine, a.dtype, op, block, block, mine.count, kTag);
  if (a.op == RedOp::kAvg) engine.avg_finalize(a.dtype, block, mine.count, comm.size());
  ring_all_gather(*node, engine, a.dtype, a.recv, count, kTag);
}

}  // namespace

extern const AlgorithmDef kAllReduceHier = {
    "hier", CollKind::kAllReduce,
    "node-local reduce-scatter, cross-node ring all-reduce per local rank, node-local all-gather",
    run, nullptr};

}  // namespace fb
