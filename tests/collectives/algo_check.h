// One checked collective call on one rank, shared by the thread-transport and MPI tests: fills the
// input with the exact-result data scheme, runs the call, and counts wrong elements against the
// collective registry's expected().
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "collectives/backend.h"
#include "collectives/collective.h"
#include "kernels/datagen.h"

namespace fb::test {

struct CheckCase {
  const CollectiveDef* coll = nullptr;
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kSum;
  std::size_t bytes = 0;  // the requested size, as on the command line
  bool in_place = false;
  int root = 0;
  std::uint64_t seed = 7;

  std::string str() const {
    return std::string(coll->name) + " " + dtype_name(dtype) + " " + redop_name(op) +
           " bytes=" + std::to_string(bytes) + (in_place ? " in-place" : " out-of-place") +
           " root=" + std::to_string(root);
  }
};

inline CollCounts case_counts(const CheckCase& c, int nranks) {
  return c.coll->counts(c.bytes, dtype_size(c.dtype), nranks);
}

// Receive buffer size: in place it also holds the input at the collective's offset.
inline std::size_t recv_buffer_bytes(const CheckCase& c, int nranks) {
  const CollCounts k = case_counts(c, nranks);
  const std::size_t es = dtype_size(c.dtype);
  std::size_t elems = k.recv_count;
  if (c.in_place) {
    DataContext ctx;
    ctx.rank = nranks - 1;  // the largest offset
    ctx.nranks = nranks;
    ctx.counts = k;
    elems = std::max(elems, c.coll->in_place_input_offset(ctx) + k.send_count);
  }
  return std::max<std::size_t>(elems * es, 1);
}
inline std::size_t send_buffer_bytes(const CheckCase& c, int nranks) {
  return std::max<std::size_t>(case_counts(c, nranks).send_count * dtype_size(c.dtype), 1);
}

// Runs one call through `run` with this rank's buffers (send unused in place) and returns the
// number of wrong elements in the region the collective defines for this rank.
inline std::size_t run_checked(const CheckCase& c, int rank, int nranks, void* send_buf,
                               void* recv_buf, const std::function<void(const CollArgs&)>& run) {
  DataContext ctx;
  ctx.dtype = c.dtype;
  ctx.op = data_op(*c.coll, c.op);
  ctx.root = c.root;
  ctx.rank = rank;
  ctx.nranks = nranks;
  ctx.seed = c.seed;
  ctx.counts = case_counts(c, nranks);
  ctx.in_place = c.in_place;
  const std::size_t es = dtype_size(c.dtype);
  // Stale values in the output must not pass for results.
  std::memset(recv_buf, 0xA5, recv_buffer_bytes(c, nranks));
  auto* recv = static_cast<unsigned char*>(recv_buf);
  void* send = c.in_place ? recv + c.coll->in_place_input_offset(ctx) * es : send_buf;
  c.coll->fill_input(ctx, send);

  CollArgs a;
  a.coll = c.coll;
  a.dtype = c.dtype;
  a.op = c.op;
  a.root = c.root;
  a.counts = ctx.counts;
  a.send = send;
  a.recv = recv;
  a.in_place = c.in_place;
  run(a);

  std::vector<unsigned char> expected(recv_buffer_bytes(c, nranks));
  const CheckRegion region = c.coll->expected(ctx, expected.data());
  return count_mismatches(c.dtype, ctx.op, recv + region.first * es, expected.data(), region.count);
}

}  // namespace fb::test
