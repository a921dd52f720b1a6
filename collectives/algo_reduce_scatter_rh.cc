// Recursive-halving reduce-scatter: log2(p) steps; in each a rank swaps half of its current
// window of blocks with a partner and adds the half it keeps, so data volume halves every step
// (the bandwidth-optimal (p-1)/p in total). For a rank count n that is not a power of two
// (p = largest power of two <= n, rem = n - p), the first 2 rem ranks pair up first: each even
// one hands its whole input to its odd neighbour, which then stands for both blocks, and receives
// its result block from it at the end. Virtual rank v < rem stands for blocks 2v and 2v+1, the
// others for block v + rem, so a window of virtual ranks is a contiguous range of blocks.
#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr int kTag = 23;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(a.dtype), chunk = a.counts.param_count;
  const std::size_t total = static_cast<std::size_t>(n) * chunk;
  void* out = a.in_place ? byte_ptr(a.recv, static_cast<std::size_t>(r) * chunk, es) : a.recv;
  auto finish = [&] {
    if (a.op == RedOp::kAvg) engine.avg_finalize(a.dtype, out, chunk, n);
  };
  if (n == 1 || chunk == 0) {
    if (n == 1 && !a.in_place) engine.copy(out, a.send, chunk * es);
    finish();
    return;
  }
  int p2 = 1;
  while (p2 * 2 <= n) p2 *= 2;
  const int rem = n - p2;
  auto real = [rem](int v) { return v < rem ? 2 * v + 1 : v + rem; };
  auto first_block = [rem, n, p2](int v) { return v == p2 ? n : v < rem ? 2 * v : v + rem; };
  auto window = [&](int lo, int hi) {  // elements of the blocks of virtual ranks [lo, hi)
    const auto first = static_cast<std::size_t>(first_block(lo)) * chunk;
    return BlockRange{first, static_cast<std::size_t>(first_block(hi)) * chunk - first};
  };
  // Running partial sums over the whole input, and room for the largest half received.
  auto* work = static_cast<unsigned char*>(engine.scratch(2 * total * es));
  unsigned char* incoming = work + total * es;
  const void* cur = a.send;

  int vrank = r - rem;
  if (r < 2 * rem) {
    if (r % 2 == 0) {
      RequestPtr s = comm.isend(a.send, total * es, r + 1, kTag);
      comm.wait(s);  // in place, out overlaps the input just sent
      RequestPtr q = comm.irecv(out, chunk * es, r + 1, kTag);
      comm.wait(q);
      finish();
      return;
    }
    RequestPtr q = comm.irecv(incoming, total * es, r - 1, kTag);
    comm.wait(q);
    engine.reduce(a.dtype, a.op, work, a.send, incoming, total);
    cur = work;
    vrank = r / 2;
  }
  // The bits of vrank from the top choose which half of the window this rank keeps.
  int lo = 0, hi = p2;
  for (int mask = p2 / 2; mask >= 1; mask /= 2) {
    const int mid = lo + mask;
    const bool upper = (vrank & mask) != 0;
    const BlockRange keep = upper ? window(mid, hi) : window(lo, mid);
    const BlockRange give = upper ? window(lo, mid) : window(mid, hi);
    const int peer = real(vrank ^ mask);
    comm.sendrecv(byte_ptr(cur, give.first, es), give.count * es, peer, incoming, keep.count * es,
                  peer, kTag);
    engine.reduce(a.dtype, a.op, work + keep.first * es, byte_ptr(cur, keep.first, es), incoming,
                  keep.count);
    cur = work;
    (upper ? lo : hi) = mid;
  }
  // The window is now this rank's block, plus its even neighbour's when it stood for two.
  RequestPtr give_back;
  if (vrank < rem) {
    give_back =
        comm.isend(work + static_cast<std::size_t>(r - 1) * chunk * es, chunk * es, r - 1, kTag);
  }
  engine.copy(out, work + static_cast<std::size_t>(r) * chunk * es, chunk * es);
  if (give_back) comm.wait(give_back);
  finish();
}

}  // namespace

extern const AlgorithmDef kReduceScatterRh = {
    "rh", CollKind::kReduceScatter,
    "recursive halving, log2 steps; non-power-of-two ranks fold into pairs first", run, nullptr};

}  // namespace fb
