// Portable CPU kernels: plain C++ loops the compiler vectorises for the baseline target.
#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels/cpu_kernels.h"

namespace fb::detail {
namespace {

// dst[0, bytes) = src[0, bytes) with non-temporal stores where dst is 16-byte aligned.
#if defined(__x86_64__) || defined(__i386__)
void stream_block(void* dst, const void* src, std::size_t bytes) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  const std::size_t head = std::min(bytes, (16 - reinterpret_cast<std::uintptr_t>(d) % 16) % 16);
  std::memcpy(d, s, head);
  d += head;
  s += head;
  bytes -= head;
  for (; bytes >= 16; bytes -= 16, d += 16, s += 16) {
    _mm_stream_si128(reinterpret_cast<__m128i*>(d),
                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(s)));
  }
  std::memcpy(d, s, bytes);
}
#else
void stream_block(void* dst, const void* src, std::size_t bytes) { std::memcpy(dst, src, bytes); }
#endif

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
