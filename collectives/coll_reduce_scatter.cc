#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

// The requested size is each rank's full input; each rank ends with size / nranks of the result.
CollCounts counts(std::size_t bytes, std::size_t elem_size, int nranks) {
  const auto [chunk, total] = split_into_chunks(bytes, elem_size, nranks);
  return {total, chunk, chunk, total * elem_size};
}

// Each rank sends the (n-1)/n of its input that other ranks reduce.
constexpr double (*bus_factor)(int) = peer_share_bus_factor;

void fill(const DataContext& c, void* in) {
  generate(c.dtype, c.op, c.nranks, c.seed, c.rank, 0, in, c.counts.send_count);
}

// In place (NCCL's convention) the result is the rank's own chunk of the input buffer.
CheckRegion expected(const DataContext& c, void* out) {
  const std::size_t chunk = c.counts.param_count;
  const std::size_t first = static_cast<std::size_t>(c.rank) * chunk;
  expected_reduction(c.dtype, c.op, c.nranks, c.seed, first, out, chunk);
  return {c.in_place ? first : 0, chunk};
}

}  // namespace

extern const CollectiveDef kReduceScatter = {
    "reduce_scatter", CollKind::kReduceScatter, true,           false, counts,
    bus_factor,       ring_chunk_steps,         input_at_start, fill,  expected};

}  // namespace fb
