// CPU kernels for AVX2 + FMA + F16C: the loops of reduce_cpu_loops.inc compiled for this target,
// with half and bfloat16 converted 8 lanes at a time. Selected at run time (kernels/cpu_isa.h), so
// the rest of the program keeps the baseline target.
#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels/cpu_kernels.h"

// Headers come first: their inline functions keep the baseline target, so the copies the linker
// may share with other files never contain AVX2 instructions; they are inlined into the loops here.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#endif

namespace fb::detail {
namespace {

constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

// dst[0, bytes) = src[0, bytes) with non-temporal stores where dst is 32-byte aligned.
void stream_block(void* dst, const void* src, std::size_t bytes) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  const std::size_t head = std::min(bytes, (32 - reinterpret_cast<std::uintptr_t>(d) % 32) % 32);
  std::memcpy(d, s, head);
  d += head;
  s += head;
  bytes -= head;
  for (; bytes >= 32; bytes -= 32, d += 32, s += 32) {
    _mm256_stream_si256(reinterpret_cast<__m256i*>(d),
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s)));
  }
  std::memcpy(d, s, bytes);
}

void to_float_block(const half_t* in, float* out, std::size_t n) {
  const __m256i exp_mask = _mm256_set1_epi32(0x7c00);
  const __m128i exp16 = _mm_set1_epi16(0x7c00);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    __m256 f = _mm256_cvtph_ps(h);
    // vcvtph2ps quiets signalling NaNs; the scalar code keeps every inf/NaN bit pattern:
    // sign << 16 | 0x7f800000 | mant << 13. Rare, so tested on the 16-bit input first.
    if (_mm_movemask_epi8(_mm_cmpeq_epi16(_mm_and_si128(h, exp16), exp16)) != 0) {
      const __m256i t = _mm256_cvtepu16_epi32(h);
      const __m256i special = _mm256_cmpeq_epi32(_mm256_and_si256(t, exp_mask), exp_mask);
      const __m256i exact = _mm256_or_si256(
          _mm256_or_si256(_mm256_slli_epi32(_mm256_and_si256(t, _mm256_set1_epi32(0x8000)), 16),
                          _mm256_set1_epi32(0x7f800000)),
          _mm256_slli_epi32(_mm256_and_si256(t, _mm256_set1_epi32(0x3ff)), 13));
      f = _mm256_blendv_ps(f, _mm256_castsi256_ps(exact), _mm256_castsi256_ps(special));
    }
    _mm256_storeu_ps(out + i, f);
  }
  for (; i < n; ++i) out[i] = half_to_float(in[i]);
}

void from_float_block(const float* in, half_t* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), kRound);
    // vcvtps2ph keeps NaN payloads; the scalar code writes sign | 0x7e00 for every NaN.
    const __m128i nan =
        _mm_cmpgt_epi16(_mm_and_si128(h, _mm_set1_epi16(0x7fff)), _mm_set1_epi16(0x7c00));
    if (_mm_movemask_epi8(nan) != 0) {
      const __m128i canonical =
          _mm_or_si128(_mm_and_si128(h, _mm_set1_epi16(-0x8000)), _mm_set1_epi16(0x7e00));
      h = _mm_blendv_epi8(h, canonical, nan);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  for (; i < n; ++i) out[i] = float_to_half(in[i]);
}

void to_float_block(const bfloat16_t* in, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    const __m256i f = _mm256_slli_epi32(_mm256_cvtepu16_epi32(b), 16);
    _mm256_storeu_ps(out + i, _mm256_castsi256_ps(f));
  }
  for (; i < n; ++i) out[i] = bfloat16_to_float(in[i]);
}

void from_float_block(const float* in, bfloat16_t* out, std::size_t n) {
  const __m256i one = _mm256_set1_epi32(1);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i x = _mm256_castps_si256(_mm256_loadu_ps(in + i));
    const __m256i hi = _mm256_srli_epi32(x, 16);
    // As float_to_bfloat16: x + 0x7fff + (bit 16 of x) rounds to nearest even; NaN -> quiet NaN.
    const __m256i rounding = _mm256_add_epi32(_mm256_set1_epi32(0x7fff), _mm256_and_si256(hi, one));
    const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(x, rounding), 16);
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, _mm256_set1_epi32(0x7fffffff)),
                                           _mm256_set1_epi32(0x7f800000));
    const __m256i quiet = _mm256_or_si256(hi, _mm256_set1_epi32(0x40));
    const __m256i r = _mm256_blendv_epi8(rounded, quiet, nan);
    // Lanes hold values <= 0xffff, so the unsigned-saturating pack is a plain narrowing.
    const __m128i packed =
        _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), packed);
  }
  for (; i < n; ++i) out[i] = float_to_bfloat16(in[i]);
}

#include "kernels/reduce_cpu_loops.inc"

}  // namespace

const CpuKernels& cpu_kernels_avx2() { return kKernels; }

}  // namespace fb::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif  // x86
