// Properties of the exact-result data scheme (kernels/datagen.h) that every collective check
// relies on: expected_reduction equals an independent exact computation, reducing the generated
// streams with the CPU kernels in any order matches it, one wrong element is counted, and float
// avg stays within the documented bound.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/datagen.h"
#include "kernels/reduce_cpu.h"

namespace fb {
namespace {

constexpr std::uint64_t kSeed = 0x5eed;
constexpr std::size_t kCount = 1000;
constexpr std::size_t kFirst = 12345;  // logical offset: chunks of a larger buffer
const int kRankCounts[] = {1, 2, 3, 5, 8, 9, 16};

std::string label(DType dtype, RedOp op, int nranks) {
  return std::string(dtype_name(dtype)) + " " + redop_name(op) + " nranks " +
         std::to_string(nranks);
}

__extension__ typedef __int128 Int128;  // GCC/Clang extension, wide enough for any 64-bit sum

// The exact result in wide arithmetic: int64/uint64 for integers (then wrapped to T), double for
// floats (the generated floats are small integers or powers of two, so double holds every partial
// result exactly), without the functors of ops.h.
template <typename T>
double exact_float(RedOp op, int nranks, std::size_t index) {
  auto value = [&](int r) {
    return static_cast<double>(Arith<T>::load(generate_element<T>(op, nranks, kSeed, r, index)));
  };
  double acc = value(0);
  for (int r = 1; r < nranks; ++r) {
    const double v = value(r);
    switch (op) {
      case RedOp::kProd:
        acc *= v;
        break;
      case RedOp::kMin:
        acc = std::fmin(acc, v);
        break;
      case RedOp::kMax:
        acc = std::fmax(acc, v);
        break;
      default:
        acc += v;
    }
  }
  return op == RedOp::kAvg ? acc / nranks : acc;
}

template <typename T>
T exact_integer(RedOp op, int nranks, std::size_t index) {
  using U = std::make_unsigned_t<T>;
  std::uint64_t acc = static_cast<U>(generate_element<T>(op, nranks, kSeed, 0, index));
  T best = generate_element<T>(op, nranks, kSeed, 0, index);
  for (int r = 1; r < nranks; ++r) {
    const T v = generate_element<T>(op, nranks, kSeed, r, index);
    if (op == RedOp::kProd) acc *= static_cast<U>(v);
    if (op == RedOp::kSum || op == RedOp::kAvg) acc += static_cast<U>(v);
    if (op == RedOp::kMin && v < best) best = v;
    if (op == RedOp::kMax && v > best) best = v;
  }
  if (op == RedOp::kMin || op == RedOp::kMax) return best;
  if (op == RedOp::kSum || op == RedOp::kAvg) {
    // Sums never overflow (MPI libraries may saturate instead of wrapping): the exact sum in
    // 128-bit arithmetic fits T.
    Int128 exact = 0;
    for (int r = 0; r < nranks; ++r) exact += generate_element<T>(op, nranks, kSeed, r, index);
    EXPECT_GE(exact, static_cast<Int128>(std::numeric_limits<T>::min())) << index;
    EXPECT_LE(exact, static_cast<Int128>(std::numeric_limits<T>::max())) << index;
  }
  const T wrapped = static_cast<T>(static_cast<U>(acc));  // modulo 2^bits
  return op == RedOp::kAvg ? static_cast<T>(wrapped / static_cast<T>(nranks)) : wrapped;
}

TEST(Datagen, ExpectedReductionIsExact) {
  for (const auto& t : all_dtypes()) {
    for (const auto& o : all_redops()) {
      for (int nranks : kRankCounts) {
        SCOPED_TRACE(label(t.dtype, o.op, nranks));
        std::vector<unsigned char> expected(kCount * t.size);
        expected_reduction(t.dtype, o.op, nranks, kSeed, kFirst, expected.data(), kCount);
        dispatch_dtype(t.dtype, [&](auto tag) {
          using T = decltype(tag);
          const T* e = reinterpret_cast<const T*>(expected.data());
          for (std::size_t i = 0; i < kCount; ++i) {
            if constexpr (std::is_integral_v<typename Arith<T>::type>) {
              ASSERT_EQ(e[i], exact_integer<T>(o.op, nranks, kFirst + i)) << "element " << i;
            } else {
              const double want = exact_float<T>(o.op, nranks, kFirst + i);
              const double got = static_cast<double>(Arith<T>::load(e[i]));
              if (o.op != RedOp::kAvg) {
                ASSERT_EQ(got, want) << "element " << i;
              } else {
                // One rounding of sum / n in the arithmetic type, one more storing as T.
                const double eps = std::ldexp(1.0, 1 - t.mantissa_digits);
                ASSERT_LE(std::fabs(got - want), eps * std::fabs(want)) << "element " << i;
              }
            }
          }
        });
      }
    }
  }
}

// Combining the generated streams with reduce_cpu forwards, backwards, or as a pairwise tree gives
// the expected values (exact for everything but float avg, which count_mismatches bounds).
TEST(Datagen, KernelReductionInAnyOrderMatchesExpected) {
  for (const auto& t : all_dtypes()) {
    for (const auto& o : all_redops()) {
      for (int nranks : kRankCounts) {
        SCOPED_TRACE(label(t.dtype, o.op, nranks));
        const std::size_t bytes = kCount * t.size;
        std::vector<std::vector<unsigned char>> streams(nranks, std::vector<unsigned char>(bytes));
        for (int r = 0; r < nranks; ++r) {
          generate(t.dtype, o.op, nranks, kSeed, r, kFirst, streams[r].data(), kCount);
        }
        std::vector<unsigned char> expected(bytes);
        expected_reduction(t.dtype, o.op, nranks, kSeed, kFirst, expected.data(), kCount);

        std::vector<unsigned char> forward = streams[0];
        for (int r = 1; r < nranks; ++r) {
          reduce_cpu(t.dtype, o.op, forward.data(), forward.data(), streams[r].data(), kCount);
        }
        std::vector<unsigned char> backward = streams[nranks - 1];
        for (int r = nranks - 2; r >= 0; --r) {
          reduce_cpu(t.dtype, o.op, backward.data(), streams[r].data(), backward.data(), kCount);
        }
        auto tree = streams;
        for (int step = 1; step < nranks; step *= 2) {
          for (int r = 0; r + step < nranks; r += 2 * step) {
            reduce_cpu(t.dtype, o.op, tree[r].data(), tree[r].data(), tree[r + step].data(),
                       kCount);
          }
        }
        for (auto* result : {&forward, &backward, &tree[0]}) {
          if (o.op == RedOp::kAvg) avg_finalize_cpu(t.dtype, result->data(), kCount, nranks);
          EXPECT_EQ(count_mismatches(t.dtype, o.op, result->data(), expected.data(), kCount), 0u);
          if (o.op != RedOp::kAvg || !t.is_float) {
            EXPECT_EQ(std::memcmp(result->data(), expected.data(), bytes), 0);
          }
        }
      }
    }
  }
}

TEST(Datagen, OneWrongElementIsCounted) {
  for (const auto& t : all_dtypes()) {
    for (const auto& o : all_redops()) {
      SCOPED_TRACE(label(t.dtype, o.op, 4));
      std::vector<unsigned char> expected(kCount * t.size);
      expected_reduction(t.dtype, o.op, 4, kSeed, 0, expected.data(), kCount);
      EXPECT_EQ(count_mismatches(t.dtype, o.op, expected.data(), expected.data(), kCount), 0u);
      for (std::size_t pos : {std::size_t{0}, std::size_t{517}, kCount - 1}) {
        auto got = expected;
        dispatch_dtype(t.dtype, [&](auto tag) {
          using T = decltype(tag);
          using A = typename Arith<T>::type;
          T* g = reinterpret_cast<T*>(got.data());
          if constexpr (std::is_integral_v<A>) {
            g[pos] = wrap_add(g[pos], T{1});
          } else if (o.op == RedOp::kAvg) {
            // avg tolerates 2 ulp; 1.0 is far more for the small averages generated.
            g[pos] = Arith<T>::store(Arith<T>::load(g[pos]) + A(1));
          } else {
            // The next representable value: one ulp is already wrong for exact results.
            std::uint16_t bits16 = 0;
            if constexpr (sizeof(T) == 2) {
              std::memcpy(&bits16, &g[pos], 2);
              ++bits16;
              std::memcpy(&g[pos], &bits16, 2);
            } else {
              g[pos] = std::nextafter(g[pos], std::numeric_limits<T>::infinity());
            }
          }
        });
        EXPECT_EQ(count_mismatches(t.dtype, o.op, got.data(), expected.data(), kCount), 1u)
            << "position " << pos;
      }
      if (t.is_float) {  // NaN is always wrong, even for avg
        auto got = expected;
        dispatch_dtype(t.dtype, [&](auto tag) {
          using T = decltype(tag);
          using A = typename Arith<T>::type;
          reinterpret_cast<T*>(got.data())[3] =
              Arith<T>::store(std::numeric_limits<A>::quiet_NaN());
        });
        EXPECT_EQ(count_mismatches(t.dtype, o.op, got.data(), expected.data(), kCount), 1u);
      }
    }
  }
}

}  // namespace
}  // namespace fb
