#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

// The requested size is each rank's send buffer, split into nranks chunks, one per peer.
CollCounts counts(std::size_t bytes, std::size_t elem_size, int nranks) {
  const auto [chunk, total] = split_into_chunks(bytes, elem_size, nranks);
  return {total, total, chunk, total * elem_size};
}

// (n-1)/n of each rank's data leaves it.
constexpr double (*bus_factor)(int) = peer_share_bus_factor;

// Chunk j of the result comes from rank j: its elements [rank*chunk, (rank+1)*chunk).
CheckRegion expected(const DataContext& c, void* out) {
  const std::size_t chunk = c.counts.param_count;
  const std::size_t es = dtype_size(c.dtype);
  auto* bytes = static_cast<unsigned char*>(out);
  for (int j = 0; j < c.nranks; ++j) {
    generate(c.dtype, RedOp::kSum, c.nranks, c.seed, j, static_cast<std::size_t>(c.rank) * chunk,
             bytes + j * chunk * es, chunk);
  }
  return {0, c.counts.recv_count};
}

}  // namespace

// Chunk j of rank r (destined to rank j) holds elements [j*chunk, (j+1)*chunk) of stream r.
extern const CollectiveDef kAlltoall = {
    "alltoall", CollKind::kAlltoall, false,          false,           counts,
    bus_factor, ring_chunk_steps,    input_at_start, fill_own_stream, expected};

}  // namespace fb
