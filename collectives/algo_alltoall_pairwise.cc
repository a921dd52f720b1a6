// Pairwise-exchange alltoall: n-1 steps; in step s a rank sends its chunk for rank r+s and
// receives the chunk from rank r-s, so every rank sends and receives exactly one chunk per step
// and no link is oversubscribed. In place the input is first copied to scratch, since chunk j of
// the buffer is overwritten (from rank j) before it has been sent (to rank j).
#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr int kTag = 28;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const int n = comm.size(), r = comm.rank();
  const std::size_t cb = a.counts.param_count * dtype_size(a.dtype);  // bytes per chunk
  auto chunk = [cb](const void* base, int j) {
    return byte_ptr(base, static_cast<std::size_t>(j), cb);
  };
  if (cb == 0 || (n == 1 && a.in_place)) return;
  const void* src = a.send;
  if (a.in_place && n > 1) {
    void* copy = engine.scratch(static_cast<std::size_t>(n) * cb);
    engine.copy(copy, a.send, static_cast<std::size_t>(n) * cb);
    src = copy;
  } else {
    engine.copy(byte_ptr(a.recv, static_cast<std::size_t>(r), cb), chunk(src, r), cb);
  }
  for (int s = 1; s < n; ++s) {
    const int to = (r + s) % n, from = (r - s + n) % n;
    comm.sendrecv(chunk(src, to), cb, to, byte_ptr(a.recv, static_cast<std::size_t>(from), cb), cb,
                  from, kTag);
  }
}

}  // namespace

extern const AlgorithmDef kAlltoallPairwise = {"pairwise", CollKind::kAlltoall,
                                               "n-1 steps, step s exchanges with ranks r+s and r-s",
                                               run, nullptr};

}  // namespace fb
