// CUDA reduction kernels on device buffers, using the same functors as the CPU kernels
// (kernels/ops.h), so a GPU result is bit-identical to reduce_cpu's. All calls enqueue on
// `stream` and return at once; errors (bad launch) throw std::runtime_error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "kernels/dtype.h"
#include "kernels/ops.h"

namespace fb {

// Inputs one kernel launch combines; more are folded in further passes over the output.
constexpr int kMaxReduceInputs = 8;

// out[i] = op(...op(op(in[0][i], in[1][i]), in[2][i])..., in[k-1][i]), rounding to the element type
// after every step as the CPU reference does. out may alias any input. k >= 1 (k == 1 copies).
// avg combines as sum: call avg_finalize_cuda once on the final result.
void reduce_cuda(DType dtype, RedOp op, void* out, const void* const* in, int k, std::size_t count,
                 cudaStream_t stream);

inline void reduce2_cuda(DType dtype, RedOp op, void* out, const void* a, const void* b,
                         std::size_t count, cudaStream_t stream) {
  const void* in[2] = {a, b};
  reduce_cuda(dtype, op, out, in, 2, count, stream);
}

// buf[i] = buf[i] / nranks (truncating for integers), as avg_finalize_cpu.
void avg_finalize_cuda(DType dtype, void* buf, std::size_t count, int nranks, cudaStream_t stream);

// Multiprocessor count of the current device (cached per device), for launch geometry.
int current_sm_count();

}  // namespace fb
