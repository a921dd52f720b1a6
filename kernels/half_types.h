// 16-bit floating-point storage types usable on host and device. Arithmetic goes through float:
// the reduction functors convert, combine and round back, which is what GPUs do for these types.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/host_device.h"

namespace fb {

FB_HD std::uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

FB_HD float bits_float(std::uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

// IEEE 754 binary16.
struct half_t {
  std::uint16_t bits;
};

// bfloat16: the upper half of a binary32.
struct bfloat16_t {
  std::uint16_t bits;
};

// Round-to-nearest-even float -> binary16, with subnormals, infinities and NaN.
FB_HD half_t float_to_half(float f) {
  const std::uint32_t x = float_bits(f);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {  // inf or NaN
    return half_t{static_cast<std::uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u))};
  }
  if (absx >= 0x477ff000u) {  // rounds to >= 65520: overflow to inf
    return half_t{static_cast<std::uint16_t>(sign | 0x7c00u)};
  }
  if (absx < 0x38800000u) {  // below the smallest normal half (2^-14): subnormal or zero
    if (absx < 0x33000000u) return half_t{static_cast<std::uint16_t>(sign)};  // < 2^-25
    const std::uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    // value / 2^-24 = mant * 2^(e - 126), e in [102, 112]: shift right by 126 - e.
    const int shift = 126 - static_cast<int>(absx >> 23);
    const std::uint32_t halfway = 1u << (shift - 1);
    std::uint32_t r = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1u);
    if (rem > halfway || (rem == halfway && (r & 1u))) ++r;
    return half_t{static_cast<std::uint16_t>(sign | r)};
  }
  // Normal: rebias exponent (127 -> 15) and round 23 -> 10 mantissa bits.
  std::uint32_t r = ((absx - 0x38000000u) >> 13);
  const std::uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return half_t{static_cast<std::uint16_t>(sign | r)};
}

FB_HD float half_to_float(half_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h.bits & 0x8000u) << 16;
  const std::uint32_t exp = (h.bits >> 10) & 0x1fu;
  std::uint32_t mant = h.bits & 0x3ffu;
  if (exp == 0x1fu) return bits_float(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    if (mant == 0) return bits_float(sign);
    // Subnormal: value = mant * 2^-24.
    const float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

FB_HD bfloat16_t float_to_bfloat16(float f) {
  const std::uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) {  // NaN stays a quiet NaN
    return bfloat16_t{static_cast<std::uint16_t>((x >> 16) | 0x40u)};
  }
  const std::uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);  // round to nearest even
  return bfloat16_t{static_cast<std::uint16_t>((x + rounding) >> 16)};
}

FB_HD float bfloat16_to_float(bfloat16_t b) {
  return bits_float(static_cast<std::uint32_t>(b.bits) << 16);
}

// Uniform conversions so templates can treat every element type alike.
template <typename T>
struct Arith {
  using type = T;  // type in which two elements are combined
  FB_HD static T load(T v) { return v; }
  FB_HD static T store(T v) { return v; }
};
template <>
struct Arith<half_t> {
  using type = float;
  FB_HD static float load(half_t v) { return half_to_float(v); }
  FB_HD static half_t store(float v) { return float_to_half(v); }
};
template <>
struct Arith<bfloat16_t> {
  using type = float;
  FB_HD static float load(bfloat16_t v) { return bfloat16_to_float(v); }
  FB_HD static bfloat16_t store(float v) { return float_to_bfloat16(v); }
};

}  // namespace fb
