// Vectorised conversions between the 16-bit float types and float, bit-identical to the scalar
// functions of kernels/half_types.h (round to nearest even, subnormals, infinities, and NaN
// encodings exactly as the scalar code writes them).
#pragma once

#include <cstddef>

#include "kernels/cpu_isa.h"
#include "kernels/half_types.h"

namespace fb {

void half_to_float_cpu(const half_t* in, float* out, std::size_t count);
void float_to_half_cpu(const float* in, half_t* out, std::size_t count);
void bfloat16_to_float_cpu(const bfloat16_t* in, float* out, std::size_t count);
void float_to_bfloat16_cpu(const float* in, bfloat16_t* out, std::size_t count);

// The same on an explicit instruction-set level (tests and benchmarks compare levels); `isa` must
// be supported (cpu_isa_supported), otherwise std::runtime_error.
void half_to_float_cpu(CpuIsa isa, const half_t* in, float* out, std::size_t count);
void float_to_half_cpu(CpuIsa isa, const float* in, half_t* out, std::size_t count);
void bfloat16_to_float_cpu(CpuIsa isa, const bfloat16_t* in, float* out, std::size_t count);
void float_to_bfloat16_cpu(CpuIsa isa, const float* in, bfloat16_t* out, std::size_t count);

}  // namespace fb
