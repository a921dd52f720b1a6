#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

CheckRegion expected(const DataContext& c, void* out) {
  const int from = (c.rank + c.nranks - 1) % c.nranks;
  generate(c.dtype, RedOp::kSum, c.nranks, c.seed, from, 0, out, c.counts.recv_count);
  return {0, c.counts.recv_count};
}

}  // namespace

// A ring shift: rank r sends its buffer to r + 1 and receives from r - 1; busbw = algbw.
extern const CollectiveDef kSendRecv = {
    "sendrecv",      CollKind::kSendRecv, false,          false,           whole_buffer_counts,
    unit_bus_factor, single_step,         input_at_start, fill_own_stream, expected};

}  // namespace fb
