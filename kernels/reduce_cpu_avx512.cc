// CPU kernels for AVX-512 (F/BW/DQ/VL): the loops of reduce_cpu_loops.inc compiled for 512-bit
// vectors, with half and bfloat16 converted 16 lanes at a time. Selected at run time
// (kernels/cpu_isa.h), so the rest of the program keeps the baseline target.
#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels/cpu_kernels.h"

// Headers come first: their inline functions keep the baseline target (see reduce_cpu_avx2.cc).
// GCC's generic tuning would otherwise prefer 256-bit vectors even with AVX-512 enabled.
#if defined(__clang__)
#pragma clang attribute push(                                                    \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c"))), \
    apply_to = function)
#else
#pragma GCC push_options
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized flags
// once inlined (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c,prefer-vector-width=512")
#endif

namespace fb::detail {
namespace {

constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

// dst[0, bytes) = src[0, bytes) with non-temporal stores where dst is 64-byte aligned.
void stream_block(void* dst, const void* src, std::size_t bytes) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  const std::size_t head = std::min(bytes, (64 - reinterpret_cast<std::uintptr_t>(d) % 64) % 64);
  std::memcpy(d, s, head);
  d += head;
  s += head;
  bytes -= head;
  for (; bytes >= 64; bytes -= 64, d += 64, s += 64) {
    _mm512_stream_si512(reinterpret_cast<__m512i*>(d), _mm512_loadu_si512(s));
  }
  std::memcpy(d, s, bytes);
}

void to_float_block(const half_t* in, float* out, std::size_t n) {
  const __m256i exp16 = _mm256_set1_epi16(0x7c00);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    __m512 f = _mm512_cvtph_ps(h);
    // vcvtph2ps quiets signalling NaNs; the scalar code keeps every inf/NaN bit pattern:
    // sign << 16 | 0x7f800000 | mant << 13. Rare, so tested on the 16-bit input first.
    const __mmask16 special = _mm256_cmpeq_epi16_mask(_mm256_and_si256(h, exp16), exp16);
    if (special != 0) {
      const __m512i t = _mm512_cvtepu16_epi32(h);
      const __m512i exact = _mm512_or_si512(
          _mm512_or_si512(_mm512_slli_epi32(_mm512_and_si512(t, _mm512_set1_epi32(0x8000)), 16),
                          _mm512_set1_epi32(0x7f800000)),
          _mm512_slli_epi32(_mm512_and_si512(t, _mm512_set1_epi32(0x3ff)), 13));
      f = _mm512_mask_mov_ps(f, special, _mm512_castsi512_ps(exact));
    }
    _mm512_storeu_ps(out + i, f);
  }
  for (; i < n; ++i) out[i] = half_to_float(in[i]);
}

void from_float_block(const float* in, half_t* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 f = _mm512_loadu_ps(in + i);
    __m256i h = _mm512_cvtps_ph(f, kRound);
    // vcvtps2ph keeps NaN payloads; the scalar code writes sign | 0x7e00 for every NaN.
    const __mmask16 nan = _mm512_cmp_ps_mask(f, f, _CMP_UNORD_Q);
    if (nan != 0) {
      const __m256i canonical = _mm256_or_si256(_mm256_and_si256(h, _mm256_set1_epi16(-0x8000)),
                                                _mm256_set1_epi16(0x7e00));
      h = _mm256_mask_mov_epi16(h, nan, canonical);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), h);
  }
  for (; i < n; ++i) out[i] = float_to_half(in[i]);
}

void to_float_block(const bfloat16_t* in, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    const __m512i f = _mm512_slli_epi32(_mm512_cvtepu16_epi32(b), 16);
    _mm512_storeu_ps(out + i, _mm512_castsi512_ps(f));
  }
  for (; i < n; ++i) out[i] = bfloat16_to_float(in[i]);
}

void from_float_block(const float* in, bfloat16_t* out, std::size_t n) {
  const __m512i one = _mm512_set1_epi32(1);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i x = _mm512_castps_si512(_mm512_loadu_ps(in + i));
    const __m512i hi = _mm512_srli_epi32(x, 16);
    // As float_to_bfloat16: x + 0x7fff + (bit 16 of x) rounds to nearest even; NaN -> quiet NaN.
    const __m512i rounding = _mm512_add_epi32(_mm512_set1_epi32(0x7fff), _mm512_and_si512(hi, one));
    const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(x, rounding), 16);
    const __mmask16 nan = _mm512_cmpgt_epi32_mask(
        _mm512_and_si512(x, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
    const __m512i r = _mm512_mask_or_epi32(rounded, nan, hi, _mm512_set1_epi32(0x40));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm512_cvtepi32_epi16(r));
  }
  for (; i < n; ++i) out[i] = float_to_bfloat16(in[i]);
}

#include "kernels/reduce_cpu_loops.inc"

}  // namespace

const CpuKernels& cpu_kernels_avx512() { return kKernels; }

}  // namespace fb::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC diagnostic pop
#pragma GCC pop_options
#endif

#endif  // x86
