#include "kernels/convert_cpu.h"

#include "kernels/cpu_kernels.h"

namespace fb {

void half_to_float_cpu(const half_t* in, float* out, std::size_t count) {
  half_to_float_cpu(active_cpu_isa(), in, out, count);
}
void float_to_half_cpu(const float* in, half_t* out, std::size_t count) {
  float_to_half_cpu(active_cpu_isa(), in, out, count);
}
void bfloat16_to_float_cpu(const bfloat16_t* in, float* out, std::size_t count) {
  bfloat16_to_float_cpu(active_cpu_isa(), in, out, count);
}
void float_to_bfloat16_cpu(const float* in, bfloat16_t* out, std::size_t count) {
  float_to_bfloat16_cpu(active_cpu_isa(), in, out, count);
}

void half_to_float_cpu(CpuIsa isa, const half_t* in, float* out, std::size_t count) {
  detail::cpu_kernels(isa).half_to_float(in, out, count);
}
void float_to_half_cpu(CpuIsa isa, const float* in, half_t* out, std::size_t count) {
  detail::cpu_kernels(isa).float_to_half(in, out, count);
}
void bfloat16_to_float_cpu(CpuIsa isa, const bfloat16_t* in, float* out, std::size_t count) {
  detail::cpu_kernels(isa).bfloat16_to_float(in, out, count);
}
void float_to_bfloat16_cpu(CpuIsa isa, const float* in, bfloat16_t* out, std::size_t count) {
  detail::cpu_kernels(isa).float_to_bfloat16(in, out, count);
}

}  // namespace fb
