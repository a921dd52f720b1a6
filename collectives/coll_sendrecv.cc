#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

// Every rank sends its buffer to rank + 1 and receives from rank - 1 (a ring shift).
CollCounts counts(std::size_t bytes, std::size_t elem_size, int /*nranks*/) {
  const std::size_t n = bytes / elem_size;
  return {n, n, n, n * elem_size};
}

// Each byte crosses one link once: busbw = algbw.
double bus_factor(int) { return 1.0; }

std::size_t in_place_offset(const DataContext&) { return 0; }

void fill(const DataContext& c, void* in) {
  generate(c.dtype, RedOp::kSum, c.nranks, c.seed, c.rank, 0, in, c.counts.send_count);
}

CheckRegion expected(const DataContext& c, void* out) {
  const int from = (c.rank + c.nranks - 1) % c.nranks;
  generate(c.dtype, RedOp::kSum, c.nranks, c.seed, from, 0, out, c.counts.recv_count);
  return {0, c.counts.recv_count};
}

}  // namespace

extern const CollectiveDef kSendRecv = {"sendrecv", CollKind::kSendRecv, false, false,   counts,
                                        bus_factor, in_place_offset,     fill,  expected};

}  // namespace fb
