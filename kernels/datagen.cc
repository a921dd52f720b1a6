#include "kernels/datagen.h"

#include <cmath>
#include <vector>

namespace fb {

void generate(DType dtype, RedOp op, int nranks, std::uint64_t seed, int stream, std::size_t first,
              void* buf, std::size_t count) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(buf);
    for (std::size_t i = 0; i < count; ++i) {
      p[i] = generate_element<T>(op, nranks, seed, stream, first + i);
    }
  });
}

void expected_reduction(DType dtype, RedOp op, int nranks, std::uint64_t seed, std::size_t first,
                        void* out, std::size_t count) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(out);
    dispatch_redop(op, [&](auto fn) {
      for (std::size_t i = 0; i < count; ++i) {
        T acc = generate_element<T>(op, nranks, seed, 0, first + i);
        for (int r = 1; r < nranks; ++r) {
          acc = combine(acc, generate_element<T>(op, nranks, seed, r, first + i), fn);
        }
        p[i] = op == RedOp::kAvg ? avg_finalize(acc, nranks) : acc;
      }
    });
  });
}

std::size_t count_mismatches(DType dtype, RedOp op, const void* got, const void* expected,
                             std::size_t count) {
  return dispatch_dtype(dtype, [&](auto tag) -> std::size_t {
    using T = decltype(tag);
    using A = typename Arith<T>::type;
    const T* g = static_cast<const T*>(got);
    const T* e = static_cast<const T*>(expected);
    std::size_t wrong = 0;
    if constexpr (std::is_integral_v<A>) {
      for (std::size_t i = 0; i < count; ++i) wrong += g[i] != e[i];
    } else {
      const bool inexact = op == RedOp::kAvg;
      const double ulp = std::ldexp(1.0, 1 - dtype_info(dtype).mantissa_digits);
      for (std::size_t i = 0; i < count; ++i) {
        const double gv = static_cast<double>(Arith<T>::load(g[i]));
        const double ev = static_cast<double>(Arith<T>::load(e[i]));
        if (gv == ev) continue;
        if (inexact && std::fabs(gv - ev) <= 2.0 * ulp * std::fabs(ev)) continue;
        ++wrong;  // includes NaN in got
      }
    }
    return wrong;
  });
}

}  // namespace fb
