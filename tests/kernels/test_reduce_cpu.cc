// Every instruction-set level of the CPU reduction kernels against the scalar functors of
// kernels/ops.h, bit for bit: every dtype and op, in and out of place, odd sizes and misaligned
// pointers, on random bit patterns (so half/bfloat16 rounding, subnormals, infinities and NaN are
// all exercised).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/reduce_cpu.h"
#include "tests/kernels/kernel_test_util.h"

namespace fb {
namespace {

using test::OffsetBuffer;

const std::size_t kSizes[] = {0, 1, 7, 31, 1000, 10007};

// Random bit patterns, except that a pair is never NaN on both sides: which NaN payload survives
// a + b then depends on the operand order the compiler picked, not on the kernel.
void fill_pair(std::mt19937_64& rng, DType dtype, void* a, void* b, std::size_t n) {
  const std::size_t bytes = n * dtype_size(dtype);
  test::fill_random_bytes(rng, a, bytes);
  test::fill_random_bytes(rng, b, bytes);
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* x = static_cast<T*>(a);
    T* y = static_cast<T*>(b);
    for (std::size_t i = 0; i < n; ++i) {
      if (test::is_nan_value(x[i]) && test::is_nan_value(y[i])) std::memset(&y[i], 0, sizeof(T));
    }
  });
}

void reference_reduce(DType dtype, RedOp op, void* out, const void* a, const void* b,
                      std::size_t n) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    dispatch_redop(op, [&](auto fn) {
      for (std::size_t i = 0; i < n; ++i) {
        static_cast<T*>(out)[i] =
            combine(static_cast<const T*>(a)[i], static_cast<const T*>(b)[i], fn);
      }
    });
  });
}

// Index of the first differing element, or n.
std::size_t first_difference(const void* x, const void* y, std::size_t n, std::size_t elem) {
  for (std::size_t i = 0; i < n; ++i) {
    if (std::memcmp(static_cast<const char*>(x) + i * elem, static_cast<const char*>(y) + i * elem,
                    elem) != 0) {
      return i;
    }
  }
  return n;
}

std::string label(CpuIsa isa, DType dtype, RedOp op, std::size_t n) {
  return std::string(cpu_isa_name(isa)) + " " + dtype_name(dtype) + " " + redop_name(op) +
         " n=" + std::to_string(n);
}

enum class Layout { kOutOfPlace, kOutIsA, kOutIsB };

TEST(ReduceCpu, MatchesScalarFunctorsBitForBit) {
  std::mt19937_64 rng(42);
  // Element offsets of (a, b, out) from a 64-byte boundary: aligned, and misaligned differently.
  const std::size_t kOffsets[][3] = {{0, 0, 0}, {1, 3, 2}};
  for (CpuIsa isa : supported_cpu_isas()) {
    for (const auto& t : all_dtypes()) {
      for (const auto& o : all_redops()) {
        for (std::size_t n : kSizes) {
          for (const auto& off : kOffsets) {
            for (Layout layout : {Layout::kOutOfPlace, Layout::kOutIsA, Layout::kOutIsB}) {
              SCOPED_TRACE(label(isa, t.dtype, o.op, n) + " offsets " + std::to_string(off[0]) +
                           " layout " + std::to_string(static_cast<int>(layout)));
              const std::size_t bytes = n * t.size;
              OffsetBuffer a(bytes, off[0] * t.size);
              OffsetBuffer b(bytes, off[1] * t.size);
              OffsetBuffer out(bytes, off[2] * t.size);
              std::vector<unsigned char> want(bytes + 1);
              fill_pair(rng, t.dtype, a.data(), b.data(), n);
              reference_reduce(t.dtype, o.op, want.data(), a.data(), b.data(), n);
              void* dst = layout == Layout::kOutIsA   ? a.data()
                          : layout == Layout::kOutIsB ? b.data()
                                                      : out.data();
              reduce_cpu(isa, t.dtype, o.op, dst, a.data(), b.data(), n);
              const std::size_t bad = first_difference(dst, want.data(), n, t.size);
              ASSERT_EQ(bad, n) << "first wrong element " << bad;
            }
          }
        }
      }
    }
  }
}

// Outputs of 8 MiB and more take the non-temporal store path (out of place only).
TEST(ReduceCpu, LargeOutOfPlaceStreamingPathMatches) {
  std::mt19937_64 rng(9);
  for (CpuIsa isa : supported_cpu_isas()) {
    for (DType dtype : {DType::kHalf, DType::kFloat}) {
      const std::size_t size = dtype_size(dtype);
      const std::size_t n = (std::size_t{8} << 20) / size + 7;
      SCOPED_TRACE(label(isa, dtype, RedOp::kSum, n));
      OffsetBuffer a(n * size, 0), b(n * size, size), out(n * size, 3 * size);
      std::vector<unsigned char> want(n * size);
      fill_pair(rng, dtype, a.data(), b.data(), n);
      reference_reduce(dtype, RedOp::kSum, want.data(), a.data(), b.data(), n);
      reduce_cpu(isa, dtype, RedOp::kSum, out.data(), a.data(), b.data(), n);
      ASSERT_EQ(first_difference(out.data(), want.data(), n, size), n);
    }
  }
}

TEST(ReduceCpu, DefaultLevelMatchesGeneric) {
  std::mt19937_64 rng(7);
  const std::size_t n = 10007;
  for (const auto& t : all_dtypes()) {
    for (const auto& o : all_redops()) {
      SCOPED_TRACE(label(active_cpu_isa(), t.dtype, o.op, n));
      std::vector<unsigned char> a(n * t.size), b(n * t.size), got(n * t.size), want(n * t.size);
      fill_pair(rng, t.dtype, a.data(), b.data(), n);
      reduce_cpu(CpuIsa::kGeneric, t.dtype, o.op, want.data(), a.data(), b.data(), n);
      reduce_cpu(t.dtype, o.op, got.data(), a.data(), b.data(), n);
      ASSERT_EQ(first_difference(got.data(), want.data(), n, t.size), n);
    }
  }
}

TEST(ReduceCpu, AvgFinalizeMatchesScalar) {
  std::mt19937_64 rng(3);
  for (CpuIsa isa : supported_cpu_isas()) {
    for (const auto& t : all_dtypes()) {
      for (std::size_t n : kSizes) {
        for (int nranks : {1, 3, 16}) {
          SCOPED_TRACE(label(isa, t.dtype, RedOp::kAvg, n) + " nranks " + std::to_string(nranks));
          OffsetBuffer buf(n * t.size, t.size);
          test::fill_random_bytes(rng, buf.data(), n * t.size);
          std::vector<unsigned char> want(buf.data(), buf.data() + n * t.size);
          dispatch_dtype(t.dtype, [&](auto tag) {
            using T = decltype(tag);
            T* w = reinterpret_cast<T*>(want.data());
            for (std::size_t i = 0; i < n; ++i) w[i] = avg_finalize(w[i], nranks);
          });
          avg_finalize_cpu(isa, t.dtype, buf.data(), n, nranks);
          ASSERT_EQ(first_difference(buf.data(), want.data(), n, t.size), n);
        }
      }
    }
  }
}

// reduce_many: k inputs read once; native types combine left to right, half/bfloat16 in float
// with one rounding at the end.
void reference_many(DType dtype, RedOp op, void* out, const std::vector<const void*>& in,
                    std::size_t n) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    dispatch_redop(op, [&](auto fn) {
      for (std::size_t i = 0; i < n; ++i) {
        auto acc = Arith<T>::load(static_cast<const T*>(in[0])[i]);
        for (std::size_t j = 1; j < in.size(); ++j) {
          acc = fn(acc, Arith<T>::load(static_cast<const T*>(in[j])[i]));
        }
        static_cast<T*>(out)[i] = Arith<T>::store(acc);
      }
    });
  });
}

TEST(ReduceCpu, ReduceManyMatchesReference) {
  std::mt19937_64 rng(11);
  for (CpuIsa isa : supported_cpu_isas()) {
    for (const auto& t : all_dtypes()) {
      for (RedOp op : {RedOp::kSum, RedOp::kProd, RedOp::kMin, RedOp::kMax}) {
        for (int k : {1, 2, 3, 5}) {
          for (std::size_t n : {std::size_t{0}, std::size_t{7}, std::size_t{3001}}) {
            for (bool alias_last : {false, true}) {
              SCOPED_TRACE(label(isa, t.dtype, op, n) + " k=" + std::to_string(k) +
                           (alias_last ? " out=in[k-1]" : ""));
              const std::size_t bytes = n * t.size;
              std::vector<OffsetBuffer> bufs;
              for (int j = 0; j < k; ++j)
                bufs.emplace_back(bytes, static_cast<std::size_t>(j) * t.size);
              std::vector<const void*> in;
              // Small values (datagen-like) keep float products and sums finite and order-free.
              for (auto& buf : bufs) {
                dispatch_dtype(t.dtype, [&](auto tag) {
                  using T = decltype(tag);
                  using A = typename Arith<T>::type;
                  T* p = reinterpret_cast<T*>(buf.data());
                  for (std::size_t i = 0; i < n; ++i) {
                    p[i] = Arith<T>::store(static_cast<A>(static_cast<int>(rng() % 7) - 3));
                  }
                });
                in.push_back(buf.data());
              }
              std::vector<unsigned char> want(bytes + 1);
              reference_many(t.dtype, op, want.data(), in, n);
              // Misaligned from the inputs by whole elements (collectives never split one).
              OffsetBuffer separate(bytes, 3 * t.size);
              void* out = alias_last ? bufs.back().data() : separate.data();
              reduce_many_cpu(isa, t.dtype, op, out, in.data(), k, n);
              ASSERT_EQ(first_difference(out, want.data(), n, t.size), n);
            }
          }
        }
      }
    }
  }
}

TEST(ReduceCpu, ReduceManyRejectsNoInputs) {
  float x = 0;
  EXPECT_THROW(reduce_many_cpu(DType::kFloat, RedOp::kSum, &x, nullptr, 0, 1), std::runtime_error);
}

TEST(CpuIsa, NamesRoundTripAndUnsupportedLevelsThrow) {
  for (CpuIsa isa : {CpuIsa::kGeneric, CpuIsa::kAvx2, CpuIsa::kAvx512}) {
    EXPECT_EQ(parse_cpu_isa(cpu_isa_name(isa)), isa);
    float x = 1;
    if (!cpu_isa_supported(isa)) {
      EXPECT_THROW(reduce_cpu(isa, DType::kFloat, RedOp::kSum, &x, &x, &x, 1), std::runtime_error);
    }
  }
  EXPECT_FALSE(parse_cpu_isa("sse9"));
  EXPECT_TRUE(cpu_isa_supported(CpuIsa::kGeneric));
  EXPECT_TRUE(cpu_isa_supported(active_cpu_isa()));
}

}  // namespace
}  // namespace fb
