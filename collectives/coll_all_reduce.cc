#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

// Each rank sends and receives 2(n-1)/n of the data in an optimal (ring) all-reduce.
double bus_factor(int n) { return 2.0 * (n - 1) / n; }

// A ring all-reduce is a reduce-scatter then an all-gather, n-1 steps each.
int ring_steps(int n) { return n < 2 ? 1 : 2 * (n - 1); }

void fill(const DataContext& c, void* in) {
  generate(c.dtype, c.op, c.nranks, c.seed, c.rank, 0, in, c.counts.send_count);
}

CheckRegion expected(const DataContext& c, void* out) {
  expected_reduction(c.dtype, c.op, c.nranks, c.seed, 0, out, c.counts.recv_count);
  return {0, c.counts.recv_count};
}

}  // namespace

extern const CollectiveDef kAllReduce = {
    "all_reduce", CollKind::kAllReduce, true,           false, whole_buffer_counts,
    bus_factor,   ring_steps,           input_at_start, fill,  expected};

}  // namespace fb
