#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

// nccl-tests' gather: the requested size is the root's gathered output; each rank sends
// size / nranks (whole elements here; nccl-tests also rounds chunks down to 16 B).
CollCounts counts(std::size_t bytes, std::size_t elem_size, int nranks) {
  const auto [chunk, total] = split_into_chunks(bytes, elem_size, nranks);
  return {chunk, total, chunk, total * elem_size};
}

// The root receives the (n-1)/n of the output it did not contribute (nccl-tests' factor).
constexpr double (*bus_factor)(int) = peer_share_bus_factor;

// In place, a rank's input is its own chunk of the receive buffer (as all_gather).
std::size_t in_place_offset(const DataContext& c) {
  return static_cast<std::size_t>(c.rank) * c.counts.param_count;
}

// Only the root's receive buffer is defined: chunk r is rank r's stream.
CheckRegion expected(const DataContext& c, void* out) {
  if (c.rank != c.root) return {0, 0};
  const std::size_t chunk = c.counts.param_count;
  const std::size_t es = dtype_size(c.dtype);
  auto* bytes = static_cast<unsigned char*>(out);
  for (int r = 0; r < c.nranks; ++r) {
    generate(c.dtype, RedOp::kSum, c.nranks, c.seed, r, 0, bytes + r * chunk * es, chunk);
  }
  return {0, c.counts.recv_count};
}

// One step: every other rank sends its chunk to the root, which posts one receive per rank.
void schedule(const DataContext& c, P2pSchedule* s) {
  const std::size_t cb = c.counts.param_count * dtype_size(c.dtype);
  if (cb == 0) return;
  P2pStep step;
  if (c.rank == c.root) {
    s->copy_dst = static_cast<std::size_t>(c.root) * cb;
    s->copy_bytes = cb;
    for (int r = 0; r < c.nranks; ++r) {
      if (r != c.root) step.recvs.push_back({r, static_cast<std::size_t>(r) * cb, cb, false});
    }
  } else {
    step.sends.push_back({c.root, 0, cb, false});
  }
  s->steps.push_back(step);
}

}  // namespace

extern const CollectiveDef kGather = {
    "gather",         CollKind::kGather, false,           true,     counts,   bus_factor,
    ring_chunk_steps, in_place_offset,   fill_own_stream, expected, schedule, nullptr};

}  // namespace fb
