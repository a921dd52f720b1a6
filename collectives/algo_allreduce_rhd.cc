// Recursive halving-doubling all-reduce (Rabenseifner): a reduce-scatter by recursive halving
// then an all-gather by recursive doubling, log2(p) steps each, moving the bandwidth-optimal
// 2(p-1)/p of the data. For a rank count n that is not a power of two, the first 2(n-p) ranks
// (p = largest power of two <= n) pair up first: each even one hands its input to its odd
// neighbour and receives the result at the end.
#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr int kTag = 2;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  if (single_rank_copy(a, comm, engine)) return;
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(a.dtype), count = a.counts.recv_count;
  int p2 = 1;
  while (p2 * 2 <= n) p2 *= 2;
  const int rem = n - p2;
  // Rank of virtual rank v among the p2 that take part in halving-doubling.
  auto real = [rem](int v) { return v < rem ? 2 * v + 1 : v + rem; };
  auto* scratch = static_cast<unsigned char*>(engine.scratch(count * es));
  const void* cur = a.send;  // where this rank's partial result lives

  int vrank = -1;
  if (r < 2 * rem) {
    if (r % 2 == 0) {
      RequestPtr s = comm.isend(a.send, count * es, r + 1, kTag);
      comm.wait(s);
    } else {
      RequestPtr q = comm.irecv(scratch, count * es, r - 1, kTag);
      comm.wait(q);
      engine.reduce(a.dtype, a.op, a.recv, a.send, scratch, count);
      cur = a.recv;
      vrank = r / 2;
    }
  } else {
    vrank = r - rem;
  }

  if (vrank >= 0) {
    auto elems = [&](int lo_block, int hi_block) {
      const std::size_t first = block_range(count, p2, lo_block).first;
      const std::size_t last = hi_block == p2 ? count : block_range(count, p2, hi_block).first;
      return BlockRange{first, last - first};
    };
    // Halving: the window of blocks this rank is responsible for shrinks by half each step; the
    // bits of vrank from the top choose the half, so the last window is block vrank.
    int lo = 0, hi = p2;
    for (int mask = p2 / 2; mask >= 1; mask /= 2) {
      const int peer = real(vrank ^ mask);
      const int mid = lo + (hi - lo) / 2;
      const bool upper = (vrank & mask) != 0;
      const BlockRange keep = upper ? elems(mid, hi) : elems(lo, mid);
      const BlockRange give = upper ? elems(lo, mid) : elems(mid, hi);
      comm.sendrecv(byte_ptr(cur, give.first, es), give.count * es, peer, scratch, keep.count * es,
                    peer, kTag);
      engine.reduce(a.dtype, a.op, byte_ptr(a.recv, keep.first, es), byte_ptr(cur, keep.first, es),
                    scratch, keep.count);
      cur = a.recv;
      if (upper) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    if (a.op == RedOp::kAvg) {
      const BlockRange mine = elems(vrank, vrank + 1);
      engine.avg_finalize(a.dtype, byte_ptr(a.recv, mine.first, es), mine.count, n);
    }
    // Doubling: exchange windows with the partner that differs in bit `mask`.
    for (int mask = 1; mask < p2; mask *= 2) {
      const int pv = vrank ^ mask;
      const int mlo = vrank / mask * mask, plo = pv / mask * mask;
      const BlockRange mine = elems(mlo, mlo + mask), theirs = elems(plo, plo + mask);
      comm.sendrecv(byte_ptr(a.recv, mine.first, es), mine.count * es, real(pv),
                    byte_ptr(a.recv, theirs.first, es), theirs.count * es, real(pv), kTag);
    }
  }

  if (r < 2 * rem) {
    if (r % 2 == 1) {
      RequestPtr s = comm.isend(a.recv, count * es, r - 1, kTag);
      comm.wait(s);
    } else {
      RequestPtr q = comm.irecv(a.recv, count * es, r + 1, kTag);
      comm.wait(q);
    }
  }
}

}  // namespace

extern const AlgorithmDef kAllReduceRhd = {
    "rhd", CollKind::kAllReduce,
    "recursive halving-doubling (Rabenseifner); non-power-of-two ranks fold in pairs first", run,
    nullptr};

}  // namespace fb
