// Input generation and exact checking.
//
// Every element a rank contributes is a pure function of (seed, stream, index), so any rank (or
// the checker) can regenerate any other rank's data without communication. Values are chosen so
// that the reduced result is exactly representable whatever order the ranks are combined in:
//  - integers: |v| <= B with nranks * B inside the type's range for sum (no overflow), odd values
//    for prod (wraps modulo 2^bits, order-independent, never collapses to 0), any value for
//    min/max;
//  - floats: small integers |v| <= B with nranks * B <= 2^mantissa_digits, so every partial sum
//    is exact; for prod, 1 or 2 from at most kProdTwos ranks, so every partial product is an exact
//    power of two; min/max take any small integer.
// Only avg on floats is inexact (one rounding of the exact sum divided by nranks); its bound is in
// count_mismatches().
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/dtype.h"
#include "kernels/host_device.h"
#include "kernels/ops.h"

namespace fb {

constexpr int kProdTwos = 8;  // ranks that may contribute a factor 2 to a float product

FB_HD std::uint64_t mix64(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

FB_HD std::uint64_t element_hash(std::uint64_t seed, int stream, std::uint64_t index) {
  return mix64(seed ^ mix64(static_cast<std::uint64_t>(stream) * 0x100000001b3ull + index));
}

// Largest magnitude B for float sums so that nranks * B stays exactly representable.
FB_HD std::int64_t float_sum_bound(int mantissa_digits, int nranks) {
  const std::int64_t limit = std::int64_t{1} << (mantissa_digits < 40 ? mantissa_digits : 40);
  std::int64_t b = limit / (nranks > 0 ? nranks : 1);
  if (b > 1000) b = 1000;  // keep values readable in dumps
  return b < 1 ? 1 : b;
}

// Largest magnitude B for integer sums so that nranks * B stays inside the type's range.
template <typename T>
FB_HD std::uint64_t integer_sum_bound(int nranks) {
  constexpr int kBits = static_cast<int>(sizeof(T) * 8) - (std::is_signed_v<T> ? 1 : 0);
  const std::uint64_t max =
      kBits >= 63 ? (std::uint64_t{1} << 62) : (std::uint64_t{1} << kBits) - 1;
  const std::uint64_t b = max / static_cast<std::uint64_t>(nranks > 0 ? nranks : 1);
  return b < 1 ? 1 : b;
}

// The value stream `stream` holds at logical element `index`.
template <typename T>
FB_HD T generate_element(RedOp op, int nranks, std::uint64_t seed, int stream,
                         std::uint64_t index) {
  const std::uint64_t h = element_hash(seed, stream, index);
  using A = typename Arith<T>::type;
  if constexpr (std::is_integral_v<A>) {
    if (op == RedOp::kProd) return static_cast<T>(h | 1u);
    if (op == RedOp::kMin || op == RedOp::kMax) return static_cast<T>(h);
    // Sums stay inside the type's range: wrap-around is well defined for us, but MPI libraries
    // may saturate instead (Open MPI's AVX operators do for 8-bit types), and overflow is not
    // what a benchmark should be judged on.
    const std::uint64_t b = integer_sum_bound<T>(nranks);
    const std::uint64_t v = h % (b + 1);
    if constexpr (std::is_signed_v<T>) {
      return static_cast<T>((h >> 63) ? -static_cast<std::int64_t>(v)
                                      : static_cast<std::int64_t>(v));
    } else {
      return static_cast<T>(v);
    }
  } else {
    constexpr int kDigits = std::is_same_v<T, half_t>       ? 11
                            : std::is_same_v<T, bfloat16_t> ? 8
                            : std::is_same_v<T, float>      ? 24
                                                            : 53;
    if (op == RedOp::kProd) {
      const bool two = stream < kProdTwos && ((h >> 7) & 1u);
      return Arith<T>::store(two ? A(2) : A(1));
    }
    const std::int64_t b = float_sum_bound(kDigits, nranks);
    const std::int64_t v = static_cast<std::int64_t>(h % static_cast<std::uint64_t>(2 * b + 1)) - b;
    return Arith<T>::store(static_cast<A>(v));
  }
}

// Fills buf[0..count) with stream `stream`, logical elements [first, first + count).
void generate(DType dtype, RedOp op, int nranks, std::uint64_t seed, int stream, std::size_t first,
              void* buf, std::size_t count);

// out[0..count) = reduction over streams 0..nranks-1 of elements [first, first + count), with avg
// finalised.
void expected_reduction(DType dtype, RedOp op, int nranks, std::uint64_t seed, std::size_t first,
                        void* out, std::size_t count);

// Number of elements of got[] that differ from expected[]: exact equality, except avg on floats
// where |got - expected| <= 2 ulp of expected (double rounding: sum / n in the arithmetic type,
// then storage in the element type).
std::size_t count_mismatches(DType dtype, RedOp op, const void* got, const void* expected,
                             std::size_t count);

}  // namespace fb
