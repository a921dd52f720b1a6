// The registries: one line per collective.
#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {

extern const CollectiveDef kAllReduce, kAllGather, kReduceScatter, kBroadcast, kReduce, kAlltoall,
    kSendRecv, kGather, kScatter, kAlltoallv, kHypercube;

CollCounts whole_buffer_counts(std::size_t bytes, std::size_t elem_size, int /*nranks*/) {
  const std::size_t n = bytes / elem_size;
  return {n, n, n, n * elem_size};
}

std::size_t input_at_start(const DataContext&) { return 0; }

double unit_bus_factor(int) { return 1.0; }

double peer_share_bus_factor(int n) { return static_cast<double>(n - 1) / n; }

ChunkCounts split_into_chunks(std::size_t bytes, std::size_t elem_size, int nranks) {
  const std::size_t chunk = bytes / elem_size / static_cast<std::size_t>(nranks);
  return {chunk, chunk * static_cast<std::size_t>(nranks)};
}

int single_step(int) { return 1; }

int ring_chunk_steps(int n) { return n < 2 ? 1 : n - 1; }

void fill_own_stream(const DataContext& c, void* in) {
  generate(c.dtype, RedOp::kSum, c.nranks, c.seed, c.rank, 0, in, c.counts.send_count);
}

const std::vector<const CollectiveDef*>& all_collectives() {
  static const std::vector<const CollectiveDef*> kAll = {
      &kAllReduce, &kAllGather, &kReduceScatter, &kBroadcast, &kReduce,    &kAlltoall,
      &kSendRecv,  &kGather,    &kScatter,       &kAlltoallv, &kHypercube,
  };
  return kAll;
}

const CollectiveDef* find_collective(std::string_view name) {
  for (const auto* def : all_collectives()) {
    if (name == def->name) return def;
  }
  return nullptr;
}

}  // namespace fb
