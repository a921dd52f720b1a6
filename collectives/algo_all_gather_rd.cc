// Recursive-doubling all-gather in ceil(log2 n) steps for any rank count (Bruck's dissemination
// order): after step k a rank holds the 2^k blocks r, r+1, ..., r+2^k-1 (mod n); in step k it
// sends them to rank r-2^k and receives the next 2^k blocks from rank r+2^k (the last step only
// the n-2^k still missing). Blocks stay at their final place in the output, so no rotation is
// needed: a run of blocks that wraps past n-1 goes as two messages.
#include <algorithm>
#include <vector>

#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr int kTag = 21;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(a.dtype), chunk = a.counts.param_count;
  if (!a.in_place) {
    engine.copy(byte_ptr(a.recv, static_cast<std::size_t>(r) * chunk, es), a.send, chunk * es);
  }
  if (chunk == 0) return;
  // Calls f(element offset, element count) for the blocks first, ..., first+nblocks-1 (mod n):
  // one contiguous range, or two when the run wraps.
  auto for_runs = [&](int first, int nblocks, auto&& f) {
    first %= n;
    const int head = std::min(nblocks, n - first);
    f(static_cast<std::size_t>(first) * chunk, static_cast<std::size_t>(head) * chunk);
    if (nblocks > head) f(0, static_cast<std::size_t>(nblocks - head) * chunk);
  };
  std::vector<RequestPtr> reqs;
  for (int have = 1; have < n; have *= 2) {
    const int take = std::min(have, n - have);
    const int to = (r - have + n) % n, from = (r + have) % n;
    // The receiver computes the same runs for these blocks, so messages pair up in order.
    for_runs(r + have, take, [&](std::size_t first, std::size_t count) {
      reqs.push_back(comm.irecv(byte_ptr(a.recv, first, es), count * es, from, kTag));
    });
    for_runs(r, take, [&](std::size_t first, std::size_t count) {
      reqs.push_back(comm.isend(byte_ptr(a.recv, first, es), count * es, to, kTag));
    });
    comm.wait_all(reqs);
  }
}

}  // namespace

extern const AlgorithmDef kAllGatherRd = {
    "rd", CollKind::kAllGather,
    "recursive doubling, ceil(log2 n) steps for any n (Bruck order, no final rotation)", run,
    nullptr};

}  // namespace fb
