// Ring reduce-scatter: n-1 steps; in step s a rank passes to its right neighbour the partial sum
// of block r-s-1 and receives from its left one the partial sum of block r-s-2, adding its own
// input. Block r completes at this rank in the last step. Every rank sends and receives (n-1)/n
// of its input, the bandwidth optimum. Partial sums live in two scratch chunks, so the output
// (one chunk, or the rank's chunk of the input in place) is written once, at the end.
#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr int kTag = 22;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(a.dtype), chunk = a.counts.param_count;
  // In place (NCCL's convention) the result is the rank's own chunk of the input buffer.
  void* out = a.in_place ? byte_ptr(a.recv, static_cast<std::size_t>(r) * chunk, es) : a.recv;
  auto input_block = [&](int b) {
    return byte_ptr(a.send, static_cast<std::size_t>((b % n + n) % n) * chunk, es);
  };
  if (n == 1) {
    if (!a.in_place) engine.copy(out, a.send, chunk * es);
  } else if (chunk > 0) {
    auto* partial = static_cast<unsigned char*>(engine.scratch(2 * chunk * es));
    const void* outgoing = input_block(r - 1);
    for (int s = 0; s < n - 1; ++s) {
      // Alternate scratch chunks: the one sent this step was received (and waited on) before.
      unsigned char* incoming = partial + static_cast<std::size_t>(s % 2) * chunk * es;
      comm.sendrecv(outgoing, chunk * es, (r + 1) % n, incoming, chunk * es, (r + n - 1) % n, kTag);
      void* dst = s == n - 2 ? out : incoming;
      engine.reduce(a.dtype, a.op, dst, incoming, input_block(r - s - 2), chunk);
      outgoing = incoming;
    }
  }
  if (a.op == RedOp::kAvg) engine.avg_finalize(a.dtype, out, chunk, n);
}

}  // namespace

extern const AlgorithmDef kReduceScatterRing = {
    "ring", CollKind::kReduceScatter, "n-1 steps around a ring, adding one block per step", run,
    nullptr};

}  // namespace fb
