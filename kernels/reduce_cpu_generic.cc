// Portable CPU kernels: plain C++ loops the compiler vectorises for the baseline target.
#include <algorithm>
#include <cstring>

#include "kernels/cpu_kernels.h"

namespace fb::detail {
namespace {

// The scalar definitions themselves; the compiler vectorises the bfloat16 ones (shifts only).
void to_float_block(const half_t* in, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = half_to_float(in[i]);
}
void from_float_block(const float* in, half_t* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = float_to_half(in[i]);
}
void to_float_block(const bfloat16_t* in, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = bfloat16_to_float(in[i]);
}
void from_float_block(const float* in, bfloat16_t* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = float_to_bfloat16(in[i]);
}

#include "kernels/reduce_cpu_loops.inc"

}  // namespace

const CpuKernels& cpu_kernels_generic() { return kKernels; }

}  // namespace fb::detail
