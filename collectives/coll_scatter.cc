#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

// nccl-tests' scatter: the requested size is the root's input; each rank receives size / nranks
// (whole elements here; nccl-tests also rounds chunks down to 16 B).
CollCounts counts(std::size_t bytes, std::size_t elem_size, int nranks) {
  const auto [chunk, total] = split_into_chunks(bytes, elem_size, nranks);
  return {total, chunk, chunk, total * elem_size};
}

// The root sends the (n-1)/n of its input that other ranks receive (nccl-tests' factor).
constexpr double (*bus_factor)(int) = peer_share_bus_factor;

// Rank r receives chunk r of the root's stream; in place (nccl-tests' convention) it lands at
// chunk r of the receive buffer, where the root's input lies.
CheckRegion expected(const DataContext& c, void* out) {
  const std::size_t chunk = c.counts.param_count;
  const std::size_t first = static_cast<std::size_t>(c.rank) * chunk;
  generate(c.dtype, RedOp::kSum, c.nranks, c.seed, c.root, first, out, chunk);
  return {c.in_place ? first : 0, chunk};
}

// One step: the root sends chunk r to rank r and keeps its own.
void schedule(const DataContext& c, P2pSchedule* s) {
  const std::size_t cb = c.counts.param_count * dtype_size(c.dtype);
  if (cb == 0) return;
  const auto at = [&](int r) { return c.in_place ? static_cast<std::size_t>(r) * cb : 0; };
  P2pStep step;
  if (c.rank == c.root) {
    s->copy_src = static_cast<std::size_t>(c.root) * cb;
    s->copy_dst = at(c.root);
    s->copy_bytes = cb;
    for (int r = 0; r < c.nranks; ++r) {
      if (r != c.root) step.sends.push_back({r, static_cast<std::size_t>(r) * cb, cb, false});
    }
  } else {
    step.recvs.push_back({c.root, at(c.rank), cb, false});
  }
  s->steps.push_back(step);
}

}  // namespace

extern const CollectiveDef kScatter = {
    "scatter",        CollKind::kScatter, false,           true,     counts,   bus_factor,
    ring_chunk_steps, input_at_start,     fill_own_stream, expected, schedule, nullptr};

}  // namespace fb
