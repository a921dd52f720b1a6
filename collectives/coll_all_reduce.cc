#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

CollCounts counts(std::size_t bytes, std::size_t elem_size, int /*nranks*/) {
  const std::size_t n = bytes / elem_size;
  return {n, n, n, n * elem_size};
}

// Each rank sends and receives 2(n-1)/n of the data in an optimal (ring) all-reduce.
double bus_factor(int n) { return 2.0 * (n - 1) / n; }

std::size_t in_place_offset(const DataContext&) { return 0; }

void fill(const DataContext& c, void* in) {
  generate(c.dtype, c.op, c.nranks, c.seed, c.rank, 0, in, c.counts.send_count);
}

CheckRegion expected(const DataContext& c, void* out) {
  expected_reduction(c.dtype, c.op, c.nranks, c.seed, 0, out, c.counts.recv_count);
  return {0, c.counts.recv_count};
}

}  // namespace

extern const CollectiveDef kAllReduce = {"all_reduce", CollKind::kAllReduce, true, false,   counts,
                                         bus_factor,   in_place_offset,      fill, expected};

}  // namespace fb
