// CPU reduction kernels over host buffers, using the shared functors of kernels/ops.h. Each call
// runs the code of the best instruction set the CPU supports (kernels/cpu_isa.h); every level
// gives bit-identical results.
#pragma once

#include <cstddef>

#include "kernels/cpu_isa.h"
#include "kernels/dtype.h"
#include "kernels/ops.h"

namespace fb {

// out[i] = op(a[i], b[i]) for i < count. out may alias a or b (in place). avg combines as sum;
// call avg_finalize_cpu once on the final result. Out-of-place outputs of 8 MiB or more are
// written with non-temporal stores (they bypass the cache: 3 n bytes of memory traffic instead of
// 4 n); FB_STREAM_MIN_BYTES=<bytes> in the environment moves that threshold.
void reduce_cpu(DType dtype, RedOp op, void* out, const void* a, const void* b, std::size_t count);

// buf[i] = buf[i] / nranks (truncating for integers).
void avg_finalize_cpu(DType dtype, void* buf, std::size_t count, int nranks);

// out[i] = op(...op(op(in[0][i], in[1][i]), in[2][i])..., in[k-1][i]) for k >= 1 inputs, reading
// each input once (k reads + 1 write instead of 3 (k - 1) for a chain of reduce_cpu calls). out
// may alias any input exactly. half and bfloat16 combine in float and round once at the end, so
// for k > 2 they may differ from a chain of reduce_cpu calls (by being more accurate).
void reduce_many_cpu(DType dtype, RedOp op, void* out, const void* const* in, int k,
                     std::size_t count);

// The same on an explicit instruction-set level; `isa` must be supported (cpu_isa_supported),
// otherwise std::runtime_error.
void reduce_cpu(CpuIsa isa, DType dtype, RedOp op, void* out, const void* a, const void* b,
                std::size_t count);
void avg_finalize_cpu(CpuIsa isa, DType dtype, void* buf, std::size_t count, int nranks);
void reduce_many_cpu(CpuIsa isa, DType dtype, RedOp op, void* out, const void* const* in, int k,
                     std::size_t count);

}  // namespace fb
