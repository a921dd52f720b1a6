// CPU reduction kernels over host buffers, using the shared functors of kernels/ops.h.
#pragma once

#include <cstddef>

#include "kernels/dtype.h"
#include "kernels/ops.h"

namespace fb {

// out[i] = op(a[i], b[i]) for i < count. out may alias a or b (in place). avg combines as sum;
// call avg_finalize_cpu once on the final result.
void reduce_cpu(DType dtype, RedOp op, void* out, const void* a, const void* b, std::size_t count);

// buf[i] = buf[i] / nranks (truncating for integers).
void avg_finalize_cpu(DType dtype, void* buf, std::size_t count, int nranks);

}  // namespace fb
