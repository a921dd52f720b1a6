#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

// The requested size is the gathered output; each rank contributes size / nranks.
CollCounts counts(std::size_t bytes, std::size_t elem_size, int nranks) {
  const auto [chunk, total] = split_into_chunks(bytes, elem_size, nranks);
  return {chunk, total, chunk, total * elem_size};
}

// Each rank receives the (n-1)/n of the output it did not contribute.
constexpr double (*bus_factor)(int) = peer_share_bus_factor;

std::size_t in_place_offset(const DataContext& c) {
  return static_cast<std::size_t>(c.rank) * c.counts.param_count;
}

CheckRegion expected(const DataContext& c, void* out) {
  const std::size_t chunk = c.counts.param_count;
  auto* bytes = static_cast<unsigned char*>(out);
  const std::size_t es = dtype_size(c.dtype);
  for (int r = 0; r < c.nranks; ++r) {
    generate(c.dtype, RedOp::kSum, c.nranks, c.seed, r, 0, bytes + r * chunk * es, chunk);
  }
  return {0, c.counts.recv_count};
}

}  // namespace

extern const CollectiveDef kAllGather = {
    "all_gather", CollKind::kAllGather, false,           false,           counts,
    bus_factor,   ring_chunk_steps,     in_place_offset, fill_own_stream, expected};

}  // namespace fb
