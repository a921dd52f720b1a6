#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

CheckRegion expected(const DataContext& c, void* out) {
  generate(c.dtype, RedOp::kSum, c.nranks, c.seed, c.root, 0, out, c.counts.recv_count);
  return {0, c.counts.recv_count};
}

}  // namespace

// A pipelined chain moves every byte once over each link: busbw = algbw.
extern const CollectiveDef kBroadcast = {"broadcast", CollKind::kBroadcast, false,
                                         true,        whole_buffer_counts,  unit_bus_factor,
                                         single_step, input_at_start,       fill_own_stream,
                                         expected};

}  // namespace fb
