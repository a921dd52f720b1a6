#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

CollCounts counts(std::size_t bytes, std::size_t elem_size, int /*nranks*/) {
  const std::size_t n = bytes / elem_size;
  return {n, n, n, n * elem_size};
}

// A pipelined reduce moves every byte once over each link: busbw = algbw.
double bus_factor(int) { return 1.0; }

std::size_t in_place_offset(const DataContext&) { return 0; }

void fill(const DataContext& c, void* in) {
  generate(c.dtype, c.op, c.nranks, c.seed, c.rank, 0, in, c.counts.send_count);
}

// Only the root's receive buffer is defined.
CheckRegion expected(const DataContext& c, void* out) {
  if (c.rank != c.root) return {0, 0};
  expected_reduction(c.dtype, c.op, c.nranks, c.seed, 0, out, c.counts.recv_count);
  return {0, c.counts.recv_count};
}

}  // namespace

extern const CollectiveDef kReduce = {"reduce",   CollKind::kReduce, true, true,    counts,
                                      bus_factor, in_place_offset,   fill, expected};

}  // namespace fb
