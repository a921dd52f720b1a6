// Ring all-gather: n-1 steps; in each a rank forwards to its right neighbour the block it
// received in the step before (its own at first). Every rank sends and receives (n-1)/n of the
// output, the bandwidth optimum; latency grows linearly with n.
#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr int kTag = 20;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const std::size_t es = dtype_size(a.dtype), chunk = a.counts.param_count;
  // In place the input already sits at its block of the output.
  if (!a.in_place) {
    engine.copy(byte_ptr(a.recv, static_cast<std::size_t>(comm.rank()) * chunk, es), a.send,
                chunk * es);
  }
  if (chunk == 0) return;
  // all_gather blocks are equal (recv_count = n * chunk), so block_range's block i is chunk i.
  ring_all_gather(comm, engine, a.dtype, a.recv, a.counts.recv_count, kTag);
}

}  // namespace

extern const AlgorithmDef kAllGatherRing = {
    "ring", CollKind::kAllGather,
    "n-1 steps around a ring, each forwarding the block just received", run, nullptr};

}  // namespace fb
