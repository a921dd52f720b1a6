// Internal: the table of entry points each reduce_cpu_<isa>.cc compiles for its instruction set.
// Public code uses kernels/reduce_cpu.h and kernels/convert_cpu.h.
#pragma once

#include <cstddef>

#include "kernels/cpu_isa.h"
#include "kernels/dtype.h"
#include "kernels/half_types.h"
#include "kernels/ops.h"

namespace fb::detail {

struct CpuKernels {
  void (*reduce)(DType dtype, RedOp op, void* out, const void* a, const void* b, std::size_t n);
  void (*reduce_many)(DType dtype, RedOp op, void* out, const void* const* in, int k,
                      std::size_t n);
  void (*avg_finalize)(DType dtype, void* buf, std::size_t n, int nranks);
  void (*half_to_float)(const half_t* in, float* out, std::size_t n);
  void (*float_to_half)(const float* in, half_t* out, std::size_t n);
  void (*bfloat16_to_float)(const bfloat16_t* in, float* out, std::size_t n);
  void (*float_to_bfloat16)(const float* in, bfloat16_t* out, std::size_t n);
};

const CpuKernels& cpu_kernels_generic();
#if defined(__x86_64__) || defined(__i386__)
const CpuKernels& cpu_kernels_avx2();
const CpuKernels& cpu_kernels_avx512();
#endif

// The table for `isa`; throws std::runtime_error if the CPU cannot run it.
const CpuKernels& cpu_kernels(CpuIsa isa);

}  // namespace fb::detail
