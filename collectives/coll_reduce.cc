#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

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

// A pipelined chain moves every byte once over each link: busbw = algbw.
extern const CollectiveDef kReduce = {
    "reduce",        CollKind::kReduce, true,           true, whole_buffer_counts,
    unit_bus_factor, single_step,       input_at_start, fill, expected};

}  // namespace fb
