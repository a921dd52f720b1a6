// nccl-tests' hypercube: an all-gather by pairwise exchanges along the dimensions of a hypercube.
// In step k (mask m = 2^k) rank r swaps the m blocks it holds with rank r ^ m, so after log2 n
// steps every rank has every block. nccl-tests skips rank counts that are not a power of two;
// here the ranks r >= p (p the largest power of two <= n) first hand their block to r - p, the p
// ranks exchange both their blocks, and r - p sends r the result: two more steps.
#include <algorithm>

#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

// Each rank contributes size / nranks elements; the output is the n blocks in rank order (the
// size column: nccl-tests aligns blocks to 4 elements, which this suite does not).
CollCounts counts(std::size_t bytes, std::size_t elem_size, int nranks) {
  const auto [block, total] = split_into_chunks(bytes, elem_size, nranks);
  return {block, total, block, total * elem_size};
}

// nccl-tests reports algbw = busbw = (n-1) blocks / time, what each rank receives; algbw here is
// size / time as for every collective, so busbw = algbw (n-1)/n is the same number.
constexpr double (*bus_factor)(int) = peer_share_bus_factor;

int power_below(int n) {
  int p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

int steps(int n) {
  if (n < 2) return 1;
  const int p = power_below(n);
  int k = 0;
  for (int m = 1; m < p; m *= 2) ++k;
  return k + (p < n ? 2 : 0);
}

std::size_t in_place_offset(const DataContext& c) {
  return static_cast<std::size_t>(c.rank) * c.counts.param_count;
}

CheckRegion expected(const DataContext& c, void* out) {
  const std::size_t block = c.counts.param_count;
  const std::size_t es = dtype_size(c.dtype);
  auto* bytes = static_cast<unsigned char*>(out);
  for (int r = 0; r < c.nranks; ++r) {
    generate(c.dtype, RedOp::kSum, c.nranks, c.seed, r, 0, bytes + r * block * es, block);
  }
  return {0, c.counts.recv_count};
}

void schedule(const DataContext& c, P2pSchedule* s) {
  const int n = c.nranks, r = c.rank, p = power_below(n);
  const std::size_t bb = c.counts.param_count * dtype_size(c.dtype);  // bytes per block
  if (bb == 0) return;
  s->copy_dst = static_cast<std::size_t>(r) * bb;
  s->copy_bytes = bb;
  if (n == 1) return;
  // Blocks [first, last) as one transfer of the receive buffer (nothing when empty).
  auto add = [&](std::vector<P2pTransfer>& v, int peer, int first, int last) {
    if (last > first) {
      v.push_back({peer, static_cast<std::size_t>(first) * bb,
                   static_cast<std::size_t>(last - first) * bb, true});
    }
  };
  if (p < n) {
    P2pStep in;
    if (r >= p) add(in.sends, r - p, r, r + 1);
    if (r + p < n) add(in.recvs, r + p, r + p, r + p + 1);
    s->steps.push_back(in);
  }
  if (r < p) {
    for (int m = 1; m < p; m *= 2) {
      // Rank r holds blocks [g, g + m) and their partners [g + p, g + p + m) below n.
      const int mine = r & ~(m - 1), theirs = mine ^ m;
      P2pStep step;
      add(step.sends, r ^ m, mine, mine + m);
      add(step.sends, r ^ m, mine + p, std::min(mine + p + m, n));
      add(step.recvs, r ^ m, theirs, theirs + m);
      add(step.recvs, r ^ m, theirs + p, std::min(theirs + p + m, n));
      s->steps.push_back(step);
    }
  }
  if (p < n) {
    P2pStep out;
    if (r + p < n) {
      add(out.sends, r + p, 0, r + p);
      add(out.sends, r + p, r + p + 1, n);
    }
    if (r >= p) {
      add(out.recvs, r - p, 0, r);
      add(out.recvs, r - p, r + 1, n);
    }
    s->steps.push_back(out);
  }
}

}  // namespace

extern const CollectiveDef kHypercube = {
    "hypercube", CollKind::kHypercube, false,           false,    counts,   bus_factor,
    steps,       in_place_offset,      fill_own_stream, expected, schedule, nullptr};

}  // namespace fb
